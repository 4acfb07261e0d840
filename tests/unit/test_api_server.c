// SPDX-License-Identifier: MIT
/* The HTTP layer over a real socket (127.0.0.1, a free port, in a network
 * namespace of the test's own) with libcurl as the client: headers, status
 * codes, the body limit and the event stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/server.h"
#include "api_fake_backend.h"
#include "api_netns.h"

static struct fw_api_server *srv;
static char token_path[128];
static char base[64];

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
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
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

static int start(void **state)
{
	struct fw_api_config cfg = { .listen = "127.0.0.1:0" };
	struct fw_error err = { 0 };
	FILE *f;

	fake_reset();
	snprintf(token_path, sizeof(token_path), "/tmp/flywall-api-server-test-%d", (int)getpid());
	f = fopen(token_path, "w");
	fputs(FAKE_TOKEN "\n", f);
	fclose(f);
	chmod(token_path, 0600);
	snprintf(cfg.token_file, sizeof(cfg.token_file), "%s", token_path);
	srv = fw_api_server_start_with(&cfg, &fake_backend, &err);
	if (!srv)
		fail_msg("server did not start: %s", err.msg);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", fw_api_server_port(srv));
	return 0;
}

static int stop(void **state)
{
	fw_api_server_stop(srv);
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
	srv = fw_api_server_start_with(&cfg, &fake_backend, &err);
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
	assert_null(fw_api_server_start_with(&cfg, &fake_backend, &err));
	assert_non_null(strstr(err.msg, "cannot listen on 127.0.0.1:"));
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
	};

	if (private_loopback()) {
		printf("1..1\nnot ok 1 - cannot make a private network namespace\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
