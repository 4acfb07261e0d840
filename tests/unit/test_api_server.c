// SPDX-License-Identifier: MIT
/* The HTTP layer over a real socket (127.0.0.1, a free port, in a network
 * namespace of the test's own) with libcurl as the client: headers, status
 * codes, the body limit and the event stream; and what it does against
 * hostile clients (other Host names, connection floods, slow senders, many
 * event streams), with raw sockets from a second loopback address. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/server.h"
#include "api_fake_backend.h"
#include "api_netns.h"

static struct fw_api_server *srv;
static char token_path[128];
static char base[64];
static uint16_t port;
static char unix_socket[128];           /* requests go there when set */
static long timeout_ms = 10000;

struct reply {
	long status;
	char *body;
	size_t len;
	char headers[2048];
	size_t stop_after;      /* abort the transfer once this much body came */
};

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct reply *r = userdata;

	r->body = realloc(r->body, r->len + size * n + 1);
	memcpy(r->body + r->len, data, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	if (r->stop_after && r->len >= r->stop_after)
		return 0;
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
	struct reply *r = userdata;
	size_t used = strlen(r->headers);

	if (used + size * n < sizeof(r->headers))
		memcpy(r->headers + used, data, size * n);
	return size * n;
}

static struct reply request(const char *method, const char *path, const char *body,
			    size_t body_len, const char *const *headers, size_t stop_after)
{
	struct reply r = { .stop_after = stop_after };
	struct curl_slist *list = NULL;
	CURL *c = curl_easy_init();
	char url[256];

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (unix_socket[0])
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, unix_socket);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	for (; headers && *headers; headers++)
		list = curl_slist_append(list, *headers);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
	return r;
}

/* (Re)starts the server with cfg (the fixture's token) and limits. */
static void restart(struct fw_api_config *cfg, const struct fw_api_limits *limits)
{
	struct fw_error err = { 0 };

	fw_api_server_stop(srv);
	snprintf(cfg->token_file, sizeof(cfg->token_file), "%s", token_path);
	srv = fw_api_server_start_with(cfg, &fake_backend, limits, &err);
	if (!srv)
		fail_msg("server did not start: %s", err.msg);
	port = fw_api_server_port(srv);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
}

static int start(void **state)
{
	struct fw_api_config cfg = { .listen = "127.0.0.1:0", .n_allowed_hosts = 1,
				     .allowed_hosts = { "flywall.example" } };
	struct fw_error err = { 0 };
	FILE *f;

	fake_reset();
	unix_socket[0] = '\0';
	timeout_ms = 10000;
	snprintf(token_path, sizeof(token_path), "/tmp/flywall-api-server-test-%d", (int)getpid());
	f = fopen(token_path, "w");
	fputs(FAKE_TOKEN "\n", f);
	fclose(f);
	chmod(token_path, 0600);
	snprintf(cfg.token_file, sizeof(cfg.token_file), "%s", token_path);
	srv = fw_api_server_start_with(&cfg, &fake_backend, NULL, &err);
	if (!srv)
		fail_msg("server did not start: %s", err.msg);
	port = fw_api_server_port(srv);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
	return 0;
}

static int stop(void **state)
{
	fw_api_server_stop(srv);
	srv = NULL;
	unlink(token_path);
	fake_reset();
	return 0;
}

static void test_get_json(void **state)
{
	struct reply r = request("GET", "/api/ebpf/programs", NULL, 0, NULL, 0);
	json_t *j;

	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.headers, "Content-Type: application/json"));
	/* Kept alive: the checks made on the headers must not cost that. */
	assert_null(strstr(r.headers, "Connection: close"));
	j = json_loads(r.body, 0, NULL);
	assert_true(json_is_array(j));
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "name")),
			    "ddos_filter");
	json_decref(j);
	free(r.body);
}

static void test_auth_over_http(void **state)
{
	static const char *const good[] = { "Authorization: Bearer " FAKE_TOKEN, NULL };
	static const char *const bad[] = { "Authorization: Bearer nope", NULL };
	const char *body = "{\"addresses\": [\"192.0.2.1\"]}";
	struct reply r;

	r = request("POST", "/api/ebpf/blocklist", body, strlen(body), NULL, 0);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.headers, "WWW-Authenticate: Bearer"));
	assert_non_null(strstr(r.body, "\"error\": \"this request changes state and needs the API token\""));
	free(r.body);
	r = request("POST", "/api/ebpf/blocklist", body, strlen(body), bad, 0);
	assert_int_equal(r.status, 403);
	free(r.body);
	assert_int_equal(fake.calls, 0);
	r = request("POST", "/api/ebpf/blocklist", body, strlen(body), good, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(fake.last_call, "blocklist_add");
	free(r.body);
}

static void test_body_limit(void **state)
{
	static const char *const token[] = { "Authorization: Bearer " FAKE_TOKEN, NULL };
	static const char *const chunked[] = { "Authorization: Bearer " FAKE_TOKEN,
					       "Transfer-Encoding: chunked", NULL };
	size_t len = FW_API_BODY_MAX + 1;
	char *big = malloc(len);
	struct reply r;

	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	r = request("POST", "/api/ebpf/blocklist", big, len, token, 0);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "request body too large"));
	free(r.body);
	r = request("POST", "/api/ebpf/blocklist", big, len, chunked, 0);
	assert_int_equal(r.status, 413);
	free(r.body);
	assert_int_equal(fake.calls, 0);
	/* Just under the limit is read and judged on its content. */
	big[len - 2] = '}';
	r = request("POST", "/api/ebpf/blocklist", big, len - 1, token, 0);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "invalid blocklist request"));
	free(r.body);
	free(big);
}

/* A chunked body far past the limit is not read to its end: the server
 * closes the connection, and nothing reaches the daemon. */
static void test_endless_body_is_cut_off(void **state)
{
	static const char *const chunked[] = { "Authorization: Bearer " FAKE_TOKEN,
					       "Transfer-Encoding: chunked", NULL };
	size_t len = 16 * FW_API_BODY_MAX;
	char *big = calloc(1, len);
	time_t begin = time(NULL);
	struct reply r;

	memset(big, ' ', len);
	r = request("POST", "/api/ebpf/blocklist", big, len, chunked, 0);
	assert_true(r.status < 200);    /* no final answer: the connection closed */
	assert_true(time(NULL) - begin < 10);
	assert_int_equal(fake.calls, 0);
	free(r.body);
	free(big);
}

static void test_headers_of_errors(void **state)
{
	struct reply r = request("DELETE", "/api/ebpf/maps", NULL, 0, NULL, 0);

	assert_int_equal(r.status, 405);
	assert_non_null(strstr(r.headers, "Allow: GET"));
	free(r.body);
	r = request("GET", "/nothing/here", NULL, 0, NULL, 0);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "\"detail\": \"see docs/api.md for the endpoints\""));
	free(r.body);
}

static void test_metrics_content_type(void **state)
{
	struct reply r = request("GET", "/metrics", NULL, 0, NULL, 0);

	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.headers, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(r.body, "flywall_up 1\n"));
	free(r.body);
}

static void test_event_stream(void **state)
{
	const char *want = "retry: 2000\n: flywall events from seq 0\n\n"
			   "id: 0\ndata: {\"seq\":0,\"type\":\"ddos_drop\"}\n\n"
			   "id: 1\ndata: {\"seq\":1,\"type\":\"ddos_drop\"}\n\n";
	struct reply r;

	fake.events_total = 2;
	r = request("GET", "/api/ebpf/events", NULL, 0, NULL, strlen(want));
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.headers, "Content-Type: text/event-stream"));
	assert_string_equal(r.body, want);
	free(r.body);
}

static void *open_stream(void *arg)
{
	struct reply r = request("GET", "/api/ebpf/events", NULL, 0, NULL, 0);

	free(r.body);
	return NULL;
}

/* Stopping the server ends an open stream instead of waiting for it. */
static void test_stop_ends_open_streams(void **state)
{
	struct fw_api_config cfg = { .listen = "127.0.0.1:0" };
	struct fw_error err = { 0 };
	pthread_t client;
	time_t begin;

	snprintf(cfg.token_file, sizeof(cfg.token_file), "%s", token_path);
	fw_api_server_stop(srv);
	srv = fw_api_server_start_with(&cfg, &fake_backend, NULL, &err);
	assert_non_null(srv);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", fw_api_server_port(srv));
	pthread_create(&client, NULL, open_stream, NULL);
	usleep(300 * 1000);
	begin = time(NULL);
	fw_api_server_stop(srv);
	srv = NULL;
	assert_true(time(NULL) - begin <= 2);
	pthread_join(client, NULL);
}

static void test_listen_errors(void **state)
{
	struct fw_api_config cfg = { .listen = "127.0.0.1:0" };
	struct fw_error err = { 0 };
	char host[64];
	uint16_t port;

	assert_int_equal(fw_api_listen_parse("127.0.0.1:8080", host, sizeof(host), &port, &err), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 8080);
	assert_int_equal(fw_api_listen_parse("[::1]:9", host, sizeof(host), &port, &err), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(fw_api_listen_parse("localhost", host, sizeof(host), &port, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "expected \"HOST:PORT\""));
	assert_int_equal(fw_api_listen_parse("1.2.3.4:99999", host, sizeof(host), &port, &err), -EINVAL);
	assert_int_equal(fw_api_listen_parse(":80", host, sizeof(host), &port, &err), -EINVAL);

	/* The port the fixture's server holds cannot be taken twice. */
	snprintf(cfg.listen, sizeof(cfg.listen), "127.0.0.1:%u", fw_api_server_port(srv));
	snprintf(cfg.token_file, sizeof(cfg.token_file), "%s", token_path);
	assert_null(fw_api_server_start_with(&cfg, &fake_backend, NULL, &err));
	assert_non_null(strstr(err.msg, "cannot listen on 127.0.0.1:"));
}

/* ---- hostile clients --------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A TCP connection to the server from source (a loopback address). */
static int raw_connect(const char *source)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, source, &from.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	return fd;
}

static void raw_send(int fd, const char *text)
{
	send(fd, text, strlen(text), MSG_NOSIGNAL);
}

/* What the server sends within ms, until it closes or "until" appears. */
static size_t raw_read(int fd, char *buf, size_t size, int ms, const char *until)
{
	uint64_t end = now_ms() + ms;
	size_t len = 0;

	buf[0] = '\0';
	while (len + 1 < size && now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, (int)(end - now_ms())) <= 0)
			break;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n <= 0)
			break;
		len += n;
		buf[len] = '\0';
		if (until && strstr(buf, until))
			break;
	}
	return len;
}

/* True when the server has closed fd (end of stream or reset). */
static bool closed_by_server(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return false;
	return recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) <= 0;
}

/* DNS rebinding: a page whose name now points at 127.0.0.1 still sends its
 * own name as Host; that is refused, addresses and listed names are not. */
static void test_host_check(void **state)
{
	static const char *const refused[] = { "rebind.example:8080", "rebind.example",
					       "localhost.rebind.example", "127.0.0.1.nip.io",
					       "127.0.0.1:80:80", "[::1", "", NULL };
	static const char *const allowed[] = { "localhost", "LocalHost:8080", "127.0.0.1",
					       "127.0.0.1:8080", "[::1]", "[::1]:8080",
					       "192.0.2.7:8080", "flywall.example:443", NULL };
	char header[128];

	for (const char *const *h = refused; *h; h++) {
		const char *headers[] = { header, NULL };
		struct reply r;

		snprintf(header, sizeof(header), "Host: %s", *h);
		r = request("GET", "/api/ebpf/blocklist", NULL, 0, headers, 0);
		if (r.status != 421)
			fail_msg("Host: %s answered %ld, not 421", *h, r.status);
		snprintf(header, sizeof(header), "\"error\": \"this API does not answer to the "
			 "name \\\"%s\\\"\"", *h);
		assert_non_null(strstr(r.body, header));
		assert_non_null(strstr(r.body, "add the name to api { allowed_hosts = [...] }"));
		free(r.body);
	}
	assert_int_equal(fake.calls, 0);
	for (const char *const *h = allowed; *h; h++) {
		const char *headers[] = { header, NULL };
		struct reply r;

		snprintf(header, sizeof(header), "Host: %s", *h);
		r = request("GET", "/api/ebpf/blocklist", NULL, 0, headers, 0);
		if (r.status != 200)
			fail_msg("Host: %s answered %ld, not 200", *h, r.status);
		free(r.body);
	}
}

/* api { read_auth = true }: reading needs the token as writing does. */
static void test_read_auth(void **state)
{
	static const char *const good[] = { "Authorization: Bearer " FAKE_TOKEN, NULL };
	static const char *const bad[] = { "Authorization: Bearer nope", NULL };
	static const char *const paths[] = { "/api/ebpf/programs", "/api/ebpf/blocklist",
					     "/api/ebpf/events", "/metrics", "/no/such/path", NULL };
	struct fw_api_config cfg = { .listen = "127.0.0.1:0", .read_auth = true };
	struct reply r;

	restart(&cfg, NULL);
	for (const char *const *p = paths; *p; p++) {
		r = request("GET", *p, NULL, 0, NULL, 0);
		if (r.status != 401)
			fail_msg("GET %s without the token answered %ld, not 401", *p, r.status);
		assert_non_null(strstr(r.headers, "WWW-Authenticate: Bearer"));
		assert_non_null(strstr(r.body, "\"error\": \"this API needs the token for "
				       "reading too (api { read_auth })\""));
		free(r.body);
		r = request("GET", *p, NULL, 0, bad, 0);
		assert_int_equal(r.status, 403);
		free(r.body);
	}
	assert_int_equal(fake.calls, 0);
	r = request("GET", "/api/ebpf/blocklist", NULL, 0, good, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(fake.last_call, "blocklist_stream");
	free(r.body);
}

/* The token is judged on the headers: a client without it cannot make the
 * daemon wait for (or read) a body. */
static void test_auth_before_body(void **state)
{
	char buf[2048], head[256];
	uint64_t begin = now_ms();
	int fd = raw_connect("127.0.0.1");

	snprintf(head, sizeof(head), "POST /api/ebpf/blocklist HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		 "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", FW_API_BODY_MAX);
	raw_send(fd, head);
	raw_read(fd, buf, sizeof(buf), 3000, "\"detail\"");
	assert_true(now_ms() - begin < 2000);
	if (strncmp(buf, "HTTP/1.1 401", 12))
		fail_msg("a body-less POST without the token got: %.80s", buf);
	assert_non_null(strstr(buf, "this request changes state and needs the API token"));
	close(fd);
	assert_int_equal(fake.calls, 0);
}

/* The target: while one client holds 300 idle or half-sent connections,
 * another's GET answers 200 within a second. */
static void test_one_client_cannot_take_every_connection(void **state)
{
	const struct fw_api_limits limits = FW_API_LIMITS_DEFAULT;
	enum { HELD = 300 };
	int fds[HELD], open = 0;
	uint64_t begin, took;
	struct reply r;

	for (int i = 0; i < HELD; i++) {
		fds[i] = raw_connect("127.0.0.2");
		if (i % 2)
			raw_send(fds[i], "GET /api/ebpf/programs HTTP/1.1\r\nHost: 127.0.0.1\r\n");
	}
	usleep(300 * 1000);
	timeout_ms = 1000;
	begin = now_ms();
	r = request("GET", "/api/ebpf/programs", NULL, 0, NULL, 0);
	took = now_ms() - begin;
	assert_int_equal(r.status, 200);
	assert_true(took < 1000);
	free(r.body);
	for (int i = 0; i < HELD; i++) {
		open += !closed_by_server(fds[i]);
		close(fds[i]);
	}
	print_message("# GET while another client holds %d connections: %llu ms; "
		      "the server kept %d of them\n", HELD, (unsigned long long)took, open);
	if (open > (int)limits.per_client)
		fail_msg("one client kept %d connections; the limit is %u", open, limits.per_client);
}

/* Deadlines are absolute: trickling a byte at a time does not extend them. */
static void test_slow_clients_are_cut_off(void **state)
{
	struct fw_api_config cfg = { .listen = "127.0.0.1:0" };
	struct fw_api_limits limits = FW_API_LIMITS_DEFAULT;
	static const char *const phases[] = {
		"GET /api/ebpf/programs HTTP/1.1\r\nHost: 127.0.0.1\r\n",
		"POST /api/ebpf/blocklist HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Authorization: Bearer " FAKE_TOKEN "\r\nContent-Length: 1000\r\n\r\n{",
	};

	limits.header_ms = 1000;
	limits.body_ms = 1000;
	restart(&cfg, &limits);
	for (size_t i = 0; i < 2; i++) {
		uint64_t begin = now_ms(), took;
		int fd = raw_connect("127.0.0.2");

		raw_send(fd, phases[i]);
		while (!closed_by_server(fd) && now_ms() - begin < 5000) {
			usleep(100 * 1000);
			raw_send(fd, i == 0 ? "X-Slow: 1\r\n" : " ");
		}
		took = now_ms() - begin;
		close(fd);
		if (took < 900 || took > 2500)
			fail_msg("a slow %s was closed after %llu ms; the deadline is 1000 ms",
				 i == 0 ? "header" : "body", (unsigned long long)took);
	}
	assert_int_equal(fake.calls, 0);
}

/* The daemon's own work (a load compiles and verifies) is not the client's
 * to hurry: no deadline runs while a request is being handled. */
static void test_slow_handling_is_not_cut_off(void **state)
{
	static const char *const token[] = { "Authorization: Bearer " FAKE_TOKEN, NULL };
	const char *body = "{\"addresses\": [\"192.0.2.1\"]}";
	struct fw_api_config cfg = { .listen = "127.0.0.1:0" };
	struct fw_api_limits limits = FW_API_LIMITS_DEFAULT;
	struct reply r;

	limits.header_ms = limits.body_ms = 300;
	restart(&cfg, &limits);
	fake.delay_ms = 1000;
	r = request("POST", "/api/ebpf/blocklist", body, strlen(body), token, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(fake.last_call, "blocklist_add");
	free(r.body);
}

static int open_event_stream(char *buf, size_t size)
{
	int fd = raw_connect("127.0.0.1");

	raw_send(fd, "GET /api/ebpf/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	raw_read(fd, buf, size, 3000, "\r\n\r\n");
	return fd;
}

/* Event streams last as long as their client likes: past the cap, a 503
 * says why; a slot frees when a stream ends. */
static void test_event_streams_are_capped(void **state)
{
	struct fw_api_config cfg = { .listen = "127.0.0.1:0" };
	struct fw_api_limits limits = FW_API_LIMITS_DEFAULT;
	char buf[2048];
	uint64_t begin;
	int fd[3];

	limits.event_streams = 2;
	restart(&cfg, &limits);
	for (int i = 0; i < 2; i++) {
		fd[i] = open_event_stream(buf, sizeof(buf));
		assert_int_equal(strncmp(buf, "HTTP/1.1 200", 12), 0);
	}
	fd[2] = raw_connect("127.0.0.1");
	raw_send(fd[2], "GET /api/ebpf/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	raw_read(fd[2], buf, sizeof(buf), 3000, "\"detail\"");
	if (strncmp(buf, "HTTP/1.1 503", 12))
		fail_msg("a third stream past a cap of 2 got: %.80s", buf);
	assert_non_null(strstr(buf, "Retry-After: 5"));
	assert_non_null(strstr(buf, "\"error\": \"too many event streams\""));
	assert_non_null(strstr(buf, "2 streams are open, the most the daemon serves at once"));
	close(fd[2]);
	/* The server learns that a client left when it next writes to it. */
	close(fd[0]);
	begin = now_ms();
	do {
		__atomic_add_fetch(&fake.events_total, 1, __ATOMIC_RELAXED);
		usleep(200 * 1000);
		fd[0] = open_event_stream(buf, sizeof(buf));
		if (!strncmp(buf, "HTTP/1.1 200", 12))
			break;
		close(fd[0]);
		fd[0] = -1;
	} while (now_ms() - begin < 5000);
	assert_true(fd[0] >= 0);
	close(fd[0]);
	close(fd[1]);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* listen = "unix:PATH": a socket of mode 0660 in socket_group, answering
 * whatever the Host (no web page reaches it); removed at stop. */
static void test_unix_socket(void **state)
{
	static const char *const rebind[] = { "Host: rebind.example", NULL };
	struct fw_api_config cfg = { .socket_group = "4242" };
	struct fw_error err = { 0 };
	char dir[64], file[256];
	struct stat st;
	struct reply r;
	int fds;
	FILE *f;

	fw_api_server_stop(srv);
	srv = NULL;
	fds = count_fds();
	snprintf(dir, sizeof(dir), "/tmp/flywall-api-sock-%d", (int)getpid());
	snprintf(unix_socket, sizeof(unix_socket), "%s/api.sock", dir);
	snprintf(cfg.listen, sizeof(cfg.listen), "unix:%.100s", unix_socket);
	restart(&cfg, NULL);           /* the directory is made when missing */
	assert_int_equal(fw_api_server_port(srv), 0);
	assert_int_equal(stat(unix_socket, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, 4242);
	r = request("GET", "/api/ebpf/programs", NULL, 0, rebind, 0);
	assert_int_equal(r.status, 200);
	free(r.body);

	/* A second daemon on the same path is told one answers there. */
	snprintf(cfg.token_file, sizeof(cfg.token_file), "%s", token_path);
	assert_null(fw_api_server_start_with(&cfg, &fake_backend, NULL, &err));
	assert_non_null(strstr(err.msg, "another daemon answers there"));
	fw_error_clear(&err);

	fw_api_server_stop(srv);
	srv = NULL;
	assert_int_equal(stat(unix_socket, &st), -1);
	assert_int_equal(count_fds(), fds);     /* the listening socket was closed */

	/* Not a socket in the way: left alone, and said. */
	f = fopen(unix_socket, "w");
	fclose(f);
	assert_null(fw_api_server_start_with(&cfg, &fake_backend, NULL, &err));
	snprintf(file, sizeof(file), "api listen unix:%s: the file exists and is not a socket; "
		 "remove it or choose another path", unix_socket);
	assert_string_equal(err.msg, file);
	fw_error_clear(&err);
	unlink(unix_socket);

	snprintf(cfg.socket_group, sizeof(cfg.socket_group), "no-such-group-flywall");
	assert_null(fw_api_server_start_with(&cfg, &fake_backend, NULL, &err));
	assert_string_equal(err.msg, "api socket_group \"no-such-group-flywall\": no such group "
			    "(create it with 'groupadd no-such-group-flywall', or change "
			    "socket_group)");
	fw_error_clear(&err);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_json, start, stop),
		cmocka_unit_test_setup_teardown(test_auth_over_http, start, stop),
		cmocka_unit_test_setup_teardown(test_body_limit, start, stop),
		cmocka_unit_test_setup_teardown(test_endless_body_is_cut_off, start, stop),
		cmocka_unit_test_setup_teardown(test_headers_of_errors, start, stop),
		cmocka_unit_test_setup_teardown(test_metrics_content_type, start, stop),
		cmocka_unit_test_setup_teardown(test_event_stream, start, stop),
		cmocka_unit_test_setup_teardown(test_stop_ends_open_streams, start, stop),
		cmocka_unit_test_setup_teardown(test_listen_errors, start, stop),
		cmocka_unit_test_setup_teardown(test_host_check, start, stop),
		cmocka_unit_test_setup_teardown(test_read_auth, start, stop),
		cmocka_unit_test_setup_teardown(test_auth_before_body, start, stop),
		cmocka_unit_test_setup_teardown(test_one_client_cannot_take_every_connection, start, stop),
		cmocka_unit_test_setup_teardown(test_slow_clients_are_cut_off, start, stop),
		cmocka_unit_test_setup_teardown(test_slow_handling_is_not_cut_off, start, stop),
		cmocka_unit_test_setup_teardown(test_event_streams_are_capped, start, stop),
		cmocka_unit_test_setup_teardown(test_unix_socket, start, stop),
	};

	if (private_loopback()) {
		printf("1..1\nnot ok 1 - cannot make a private network namespace\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
