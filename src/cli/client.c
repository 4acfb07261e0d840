// SPDX-License-Identifier: MIT
#include "cli/client.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/listen_address.h"
#include "cli/command.h"
#include "config/ebpf_config.h"

/* Where the URL came from, for messages. */
static const char *url_source = "the default";

int fw_client_usage(const char *cmd, const char *args)
{
	fprintf(stderr, "Usage: flywall ebpf %s %s " FW_CLIENT_OPTIONS "\n", cmd, args);
	return FW_EXIT_USAGE;
}

int fw_client_usage_word(const char *cmd, const char *args, const char *why, const char *word)
{
	fprintf(stderr, "flywall ebpf %s: %s '%s'\n", cmd, why, word);
	return fw_client_usage(cmd, args);
}

int fw_client_fail(const struct fw_client *cl, int exit_code, const char *detail,
		   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cl && cl->json) {
		json_t *j = json_pack("{s:s, s:s}", "error", msg, "detail", detail ? detail : "");

		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else if (detail && detail[0]) {
		fprintf(stderr, "flywall: %s (%s)\n", msg, detail);
	} else {
		fprintf(stderr, "flywall: %s\n", msg);
	}
	return exit_code;
}

/* "127.0.0.1:8080" → "http://127.0.0.1:8080"; a wildcard host is reached
 * through loopback. */
static void url_from_listen(const char *listen, char *url, size_t size)
{
	char host[128];
	uint16_t port;

	if (fw_api_listen_parse(listen, host, sizeof(host), &port, NULL)) {
		snprintf(url, size, "http://%s", listen);
		return;
	}
	if (!strcmp(host, "0.0.0.0"))
		strcpy(host, "127.0.0.1");
	else if (!strcmp(host, "::"))
		strcpy(host, "::1");
	snprintf(url, size, strchr(host, ':') ? "http://[%s]:%u" : "http://%s:%u", host, port);
}

static void set_url(struct fw_client *cl, const char *url, const char *source)
{
	const char *unix_path = fw_api_listen_unix_path(url);
	size_t len;

	cl->unix_path[0] = '\0';
	if (unix_path) {
		/* The host is only what the Host header says; the socket is the address. */
		snprintf(cl->unix_path, sizeof(cl->unix_path), "%s", unix_path);
		snprintf(cl->url, sizeof(cl->url), "http://localhost");
	} else if (strstr(url, "://"))
		snprintf(cl->url, sizeof(cl->url), "%s", url);
	else
		url_from_listen(url, cl->url, sizeof(cl->url));
	len = strlen(cl->url);
	while (len && cl->url[len - 1] == '/')
		cl->url[--len] = '\0';
	url_source = source;
}

/* The configuration file fills what flags and environment left open. A
 * missing default file means the defaults; an explicit -c must load. */
static int apply_config(struct fw_client *cl, const char *path, bool explicit,
			bool need_url, bool need_token_file)
{
	struct fw_config cfg;
	char *errors = NULL;

	if (!explicit && access(path, F_OK) != 0) {
		if (need_url)
			set_url(cl, FW_DEFAULT_API_LISTEN, "the default");
		if (need_token_file)
			snprintf(cl->token_file, sizeof(cl->token_file), "%s", FW_DEFAULT_TOKEN_FILE);
		return 0;
	}
	memset(&cfg, 0, sizeof(cfg));
	if (fw_config_load_file(path, &cfg, &errors)) {
		fprintf(stderr, "%s", errors ? errors : "");
		free(errors);
		return fw_client_fail(cl, FW_EXIT_USAGE, "pass --api URL or fix the file",
				      "cannot read the API address from %s", path);
	}
	if (need_url)
		set_url(cl, cfg.api.listen[0] ? cfg.api.listen : FW_DEFAULT_API_LISTEN, path);
	if (need_token_file)
		snprintf(cl->token_file, sizeof(cl->token_file), "%s",
			 cfg.api.token_file[0] ? cfg.api.token_file : FW_DEFAULT_TOKEN_FILE);
	fw_config_release(&cfg);
	return 0;
}

int fw_client_init(struct fw_client *cl, int argc, char **argv, int *first)
{
	static const struct option options[] = {
		{ "api", required_argument, NULL, 'a' },
		{ "token-file", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	const char *config = FW_DEFAULT_CONFIG, *env;
	bool config_given = false;
	int opt;

	memset(cl, 0, sizeof(*cl));
	/* GNU getopt moves options found after the words in front of them, so
	 * "map dump X --json" works; optind = 0 resets its state. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:j", options, NULL)) != -1) {
		switch (opt) {
		case 'a': set_url(cl, optarg, "--api"); break;
		case 't': snprintf(cl->token_file, sizeof(cl->token_file), "%s", optarg); break;
		case 'c': config = optarg; config_given = true; break;
		case 'j': cl->json = true; break;
		default:
			return fw_client_fail(cl, FW_EXIT_USAGE, "options: " FW_CLIENT_OPTIONS,
					      "%s: unknown option '%s'", argv[0],
					      argv[optind - 1]);
		}
	}
	*first = optind;
	if (!cl->url[0] && (env = getenv("FLYWALL_API")) && *env)
		set_url(cl, env, "FLYWALL_API");
	if ((env = getenv("FLYWALL_TOKEN")) && *env && !cl->token_file[0])
		snprintf(cl->token, sizeof(cl->token), "%s", env);
	if (!cl->url[0] || (!cl->token[0] && !cl->token_file[0]))
		return apply_config(cl, config, config_given, !cl->url[0],
				    !cl->token[0] && !cl->token_file[0]);
	return 0;
}

/* A mutating call cannot go without the token: not being able to read it
 * is an error here (reads only try, in prepare), so reading commands work
 * for users who cannot read the root-only token file. */
static int ensure_token(struct fw_client *cl)
{
	struct fw_error err = { 0 };

	if (cl->token[0])
		return 0;
	if (fw_api_token_read(cl->token_file, cl->token, sizeof(cl->token), &err)) {
		int code = fw_client_fail(cl, FW_EXIT_FAIL, "run as root, or pass --token-file F "
					  "or FLYWALL_TOKEN", "%s", err.msg);

		fw_error_clear(&err);
		return code;
	}
	return 0;
}

struct buffer {
	char *data;
	size_t len;
};

static size_t collect(char *data, size_t size, size_t n, void *userdata)
{
	struct buffer *b = userdata;
	char *grown = realloc(b->data, b->len + size * n + 1);

	if (!grown)
		return 0;
	memcpy(grown + b->len, data, size * n);
	b->len += size * n;
	grown[b->len] = '\0';
	b->data = grown;
	return size * n;
}

static int transport_error(const struct fw_client *cl, CURLcode rc)
{
	char where[600], address[300];

	if (cl->unix_path[0])
		snprintf(address, sizeof(address), "unix:%s", cl->unix_path);
	else
		snprintf(address, sizeof(address), "%s", cl->url);
	/* Connecting to a socket needs write permission on it (and search
	 * permission on its directories). */
	if (cl->unix_path[0] && access(cl->unix_path, W_OK) != 0 && errno == EACCES)
		return fw_client_fail(cl, FW_EXIT_FAIL, "root and the members of the socket's "
				      "group (api { socket_group }) may connect",
				      "permission denied on %s", address);
	snprintf(where, sizeof(where), "nothing answers at %s, the address from %s; start "
		 "it with 'flywall daemon -c FILE'", address, url_source);
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
		return fw_client_fail(cl, FW_EXIT_NO_DAEMON, where, "the daemon is not running");
	return fw_client_fail(cl, FW_EXIT_NO_DAEMON, curl_easy_strerror(rc),
			      "cannot talk to the daemon at %s", address);
}

static CURL *prepare(struct fw_client *cl, const char *method, const char *path,
		     struct curl_slist **headers)
{
	CURL *c = curl_easy_init();
	char url[1024], auth[FW_TOKEN_MAX + 32];

	if (!c)
		return NULL;
	/* With api { read_auth } reads need the token too: sent when readable,
	 * and a user who cannot read it still reads where no token is asked. */
	if (!cl->token[0] && cl->token_file[0] &&
	    fw_api_token_read(cl->token_file, cl->token, sizeof(cl->token), NULL))
		cl->token[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", cl->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (cl->unix_path[0])
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, cl->unix_path);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	*headers = curl_slist_append(NULL, "Accept: application/json");
	if (cl->token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", cl->token);
		*headers = curl_slist_append(*headers, auth);
	}
	return c;
}

int fw_client_call(struct fw_client *cl, const char *method, const char *path,
		   json_t *body, bool needs_token, long *status, json_t **out)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int ret;

	if (body && !text)
		return fw_client_fail(cl, FW_EXIT_FAIL, NULL, "out of memory");
	ret = fw_client_send(cl, method, path, text ? "application/json" : NULL, text,
			     text ? strlen(text) : 0, needs_token, status, out);
	free(text);
	return ret;
}

/*
 * Sends the request c was prepared for and decodes the answer's JSON (NULL
 * when there is none); frees c and headers. An upload whose reader gave up
 * (CURLE_ABORTED_BY_CALLBACK) has said why itself: not a transport error.
 */
static int perform_json(struct fw_client *cl, CURL *c, struct curl_slist *headers,
			long *status, json_t **out)
{
	struct buffer reply = { 0 };
	CURLcode rc;
	int ret = 0;

	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		*out = reply.data ? json_loads(reply.data, 0, NULL) : NULL;
	} else if (rc != CURLE_ABORTED_BY_CALLBACK) {
		ret = transport_error(cl, rc);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	free(reply.data);
	return ret;
}

int fw_client_send(struct fw_client *cl, const char *method, const char *path,
		   const char *content_type, const char *body, size_t body_len,
		   bool needs_token, long *status, json_t **out)
{
	struct curl_slist *headers = NULL;
	char type[128];
	CURL *c;
	int ret;

	*out = NULL;
	if (needs_token && (ret = ensure_token(cl)))
		return ret;
	c = prepare(cl, method, path, &headers);
	if (!c)
		return fw_client_fail(cl, FW_EXIT_FAIL, NULL, "out of memory");
	if (body) {
		snprintf(type, sizeof(type), "Content-Type: %s", content_type);
		headers = curl_slist_append(headers, type);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	return perform_json(cl, c, headers, status, out);
}

struct upload_src {
	size_t (*read)(char *buf, size_t max, void *ctx);
	void *ctx;
};

static size_t upload_bytes(char *buf, size_t size, size_t n, void *userdata)
{
	struct upload_src *src = userdata;
	size_t got = src->read(buf, size * n, src->ctx);

	return got == (size_t)-1 ? CURL_READFUNC_ABORT : got;
}

int fw_client_upload(struct fw_client *cl, const char *method, const char *path,
		     const char *content_type,
		     size_t (*read)(char *buf, size_t max, void *ctx), void *ctx,
		     long *status, json_t **out)
{
	struct upload_src src = { read, ctx };
	struct curl_slist *headers = NULL;
	char type[128];
	CURL *c;
	int ret;

	*out = NULL;
	if ((ret = ensure_token(cl)))
		return ret;
	c = prepare(cl, method, path, &headers);
	if (!c)
		return fw_client_fail(cl, FW_EXIT_FAIL, NULL, "out of memory");
	snprintf(type, sizeof(type), "Content-Type: %s", content_type);
	headers = curl_slist_append(headers, type);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);        /* chunked: the size is not known */
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_bytes);
	curl_easy_setopt(c, CURLOPT_READDATA, &src);
	return perform_json(cl, c, headers, status, out);
}

/* ---- line streams (NDJSON listings) -------------------------------------- */

struct lines {
	CURL *curl;
	struct buffer line;
	struct buffer error;            /* the body of an error answer */
	long status;
	bool (*on_line)(const char *line, void *ctx);
	void *ctx;
	bool stopped;
};

static size_t lines_bytes(char *data, size_t size, size_t n, void *userdata)
{
	struct lines *l = userdata;
	size_t len = size * n, i = 0;

	if (!l->status)
		curl_easy_getinfo(l->curl, CURLINFO_RESPONSE_CODE, &l->status);
	if (l->status >= 300)
		return collect(data, 1, len, &l->error);
	while (i < len && !l->stopped) {
		char *nl = memchr(data + i, '\n', len - i);
		size_t take = nl ? (size_t)(nl - (data + i)) : len - i;

		collect(data + i, 1, take, &l->line);
		i += take;
		if (nl) {
			i++;
			if (l->line.len)
				l->stopped = !l->on_line(l->line.data, l->ctx);
			l->line.len = 0;
			if (l->line.data)
				l->line.data[0] = '\0';
		}
	}
	return l->stopped ? 0 : len;
}

int fw_client_get_lines(struct fw_client *cl, const char *path,
			bool (*on_line)(const char *line, void *ctx), void *ctx)
{
	struct lines l = { .on_line = on_line, .ctx = ctx };
	struct curl_slist *headers = NULL;
	CURLcode rc;
	int ret = 0;

	l.curl = prepare(cl, "GET", path, &headers);
	if (!l.curl)
		return fw_client_fail(cl, FW_EXIT_FAIL, NULL, "out of memory");
	curl_easy_setopt(l.curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(l.curl, CURLOPT_WRITEFUNCTION, lines_bytes);
	curl_easy_setopt(l.curl, CURLOPT_WRITEDATA, &l);
	rc = curl_easy_perform(l.curl);
	curl_easy_getinfo(l.curl, CURLINFO_RESPONSE_CODE, &l.status);
	if (l.status >= 300) {
		json_t *body = l.error.data ? json_loads(l.error.data, 0, NULL) : NULL;

		fw_client_print_error(cl, l.status, body);
		json_decref(body);
		ret = FW_EXIT_FAIL;
	} else if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && l.stopped)) {
		ret = l.status ? fw_client_fail(cl, FW_EXIT_FAIL, curl_easy_strerror(rc),
						"the listing broke off: what was printed is incomplete")
			       : transport_error(cl, rc);
	} else if (l.line.len) {
		ret = fw_client_fail(cl, FW_EXIT_FAIL, "the last line has no end",
				     "the listing broke off: what was printed is incomplete");
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(l.curl);
	free(l.line.data);
	free(l.error.data);
	return ret;
}

/* ---- request paths -------------------------------------------------------- */

const struct fw_command_word fw_client_words[] = {
	{ "--json", FW_VALUE_NONE, NULL, "print the API's JSON (errors too)" },
	{ "--api", FW_VALUE_TEXT, "URL|unix:PATH", "the daemon's API (default: $FLYWALL_API, "
	  "else api { listen } of the configuration)" },
	{ "--token-file", FW_VALUE_FILE, "F", "the API token (default: $FLYWALL_TOKEN, else "
	  "api { token_file })" },
	{ "-c", FW_VALUE_FILE, "FILE", "the configuration to read the API address and token "
	  "from (default " FW_DEFAULT_CONFIG ")" },
	{ 0 },
};

int fw_client_escape(const char *text, char *out, size_t size)
{
	char *escaped = curl_easy_escape(NULL, text, 0);
	int ret = 0;

	if (!escaped || (size_t)snprintf(out, size, "%s", escaped) >= size)
		ret = -ENAMETOOLONG;
	if (ret && size)
		out[0] = '\0';
	curl_free(escaped);
	return ret;
}

int fw_client_path(char *path, size_t size, const char *base, const char *segment,
		   const char *suffix)
{
	size_t len = (size_t)snprintf(path, size, "%s", base);

	if (len >= size || fw_client_escape(segment, path + len, size - len))
		return -ENAMETOOLONG;
	len += strlen(path + len);
	return (size_t)snprintf(path + len, size - len, "%s", suffix ? suffix : "") >= size - len
	       ? -ENAMETOOLONG : 0;
}

int fw_client_add_query(char *path, size_t size, const char *key, const char *value)
{
	size_t len = strlen(path);

	if (!value)
		return 0;
	if ((size_t)snprintf(path + len, size - len, "%c%s=", strchr(path, '?') ? '&' : '?',
			     key) >= size - len)
		return -ENAMETOOLONG;
	len += strlen(path + len);
	return fw_client_escape(value, path + len, size - len);
}

void fw_client_print_error(const struct fw_client *cl, long status, json_t *body)
{
	const char *error = json_string_value(json_object_get(body, "error"));
	const char *detail = json_string_value(json_object_get(body, "detail"));

	if (cl->json && body) {
		json_dumpf(body, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		return;
	}
	if (!error) {
		fprintf(stderr, "flywall: the daemon answered HTTP %ld\n", status);
		return;
	}
	/* A verifier log is long: it goes on its own lines. */
	if (detail && strchr(detail, '\n'))
		fprintf(stderr, "flywall: %s\n%s", error, detail);
	else if (detail && detail[0])
		fprintf(stderr, "flywall: %s (%s)\n", error, detail);
	else
		fprintf(stderr, "flywall: %s\n", error);
}

/* ---- Server-Sent Events ------------------------------------------------ */

struct stream {
	struct buffer line;     /* the current partial line */
	char id[32];
	struct buffer data;
	bool (*on_event)(const char *id, const char *data, void *ctx);
	void *ctx;
	bool stopped;
};

static void stream_line(struct stream *s, const char *line)
{
	if (!line[0]) {                         /* a blank line ends an event */
		if (s->data.len && !s->stopped)
			s->stopped = !s->on_event(s->id, s->data.data, s->ctx);
		free(s->data.data);
		s->data = (struct buffer){ 0 };
		return;
	}
	if (!strncmp(line, "data:", 5)) {
		const char *v = line[5] == ' ' ? line + 6 : line + 5;

		if (s->data.len)
			collect("\n", 1, 1, &s->data);
		collect((char *)v, 1, strlen(v), &s->data);
	} else if (!strncmp(line, "id:", 3)) {
		snprintf(s->id, sizeof(s->id), "%s", line[3] == ' ' ? line + 4 : line + 3);
	}                                       /* comments and retry: ignored */
}

static size_t stream_bytes(char *data, size_t size, size_t n, void *userdata)
{
	struct stream *s = userdata;

	for (size_t i = 0; i < size * n && !s->stopped; i++) {
		if (data[i] == '\n') {
			stream_line(s, s->line.data ? s->line.data : "");
			s->line.len = 0;
			if (s->line.data)
				s->line.data[0] = '\0';
		} else if (data[i] != '\r') {
			collect(&data[i], 1, 1, &s->line);
		}
	}
	fflush(stdout);
	return s->stopped ? 0 : size * n;
}

int fw_client_stream(struct fw_client *cl, const char *path,
		     bool (*on_event)(const char *id, const char *data, void *ctx), void *ctx)
{
	struct stream s = { .on_event = on_event, .ctx = ctx };
	struct curl_slist *headers = NULL;
	long status = 0;
	CURLcode rc;
	CURL *c = prepare(cl, "GET", path, &headers);
	int ret = 0;

	if (!c)
		return fw_client_fail(cl, FW_EXIT_FAIL, NULL, "out of memory");
	headers = curl_slist_append(headers, "Accept: text/event-stream");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && s.stopped))
		ret = status ? fw_client_fail(cl, FW_EXIT_FAIL, curl_easy_strerror(rc),
					      "the event stream broke off")
			     : transport_error(cl, rc);
	else if (status >= 400)
		ret = fw_client_fail(cl, FW_EXIT_FAIL, NULL, "the daemon answered HTTP %ld", status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	free(s.line.data);
	free(s.data.data);
	return ret;
}
