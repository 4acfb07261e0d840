// SPDX-License-Identifier: MIT
#include "api/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/http_error.h"
#include "api/sse.h"
#include "common/log.h"

struct fw_api_server {
	struct MHD_Daemon *mhd;
	struct fw_api_context ctx;
	char token[FW_TOKEN_MAX];
	bool stopping;          /* read by event streams, atomically */
};

/* A request's body as it arrives, kept until the last call of the handler. */
struct upload {
	char *body;
	size_t len;
	bool too_large;
	size_t discarded;       /* bytes dropped after the body outgrew the limit */
	struct fw_api_upload *stream;   /* a body taken in as it arrives (routes.h) */
};

/* A body still streaming this far past the limit is cut off (the connection
 * closes) instead of being read to its end for a 413. */
#define DISCARD_MAX (8 * FW_API_BODY_MAX)

int fw_api_listen_parse(const char *listen, char *host, size_t host_size,
			uint16_t *port, struct fw_error *err)
{
	const char *colon, *start = listen, *end;
	unsigned long value;
	char *tail;

	if (listen[0] == '[') {
		start = listen + 1;
		end = strchr(start, ']');
		colon = end && end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(listen, ':');
		end = colon;
	}
	if (!colon || end == start || (size_t)(end - start) >= host_size || !colon[1])
		goto bad;
	errno = 0;
	value = strtoul(colon + 1, &tail, 10);
	if (errno || *tail || value > 65535)
		goto bad;
	memcpy(host, start, end - start);
	host[end - start] = '\0';
	*port = (uint16_t)value;
	return 0;
bad:
	return fw_error_set(err, EINVAL, "api listen \"%s\": expected \"HOST:PORT\" such as "
			    "\"127.0.0.1:8080\" or \"[::1]:8080\"", listen);
}

static int resolve_listen(const char *listen, struct sockaddr_storage *ss, bool *v6,
			  struct fw_error *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *res;
	char host[128], port_text[8];
	uint16_t port;
	int ret;

	ret = fw_api_listen_parse(listen, host, sizeof(host), &port, err);
	if (ret)
		return ret;
	snprintf(port_text, sizeof(port_text), "%u", port);
	ret = getaddrinfo(host, port_text, &hints, &res);
	if (ret)
		return fw_error_set(err, EINVAL, "api listen \"%s\": cannot resolve %s: %s",
				    listen, host, gai_strerror(ret));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*v6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return 0;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	fw_warn("api: %s", line);
}

static const char *query_value(void *conn, const char *key)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

static struct MHD_Response *json_response(struct fw_api_response *resp)
{
	char *text = json_dumps(resp->json, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				JSON_ENCODE_ANY);
	struct MHD_Response *r;
	size_t len;

	if (!text)
		text = strdup("{\"error\": \"cannot render the response\", \"detail\": \"\"}");
	if (!text)
		return NULL;
	len = strlen(text);
	text = realloc(text, len + 2);
	text[len++] = '\n';
	text[len] = '\0';
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	else
		free(text);
	return r;
}

/* A streamed body (resp->stream): MHD asks for the next bytes; a failure
 * cuts the connection, so the client sees a broken transfer. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct fw_api_stream *s = cls;
	ssize_t n = s->read(s->self, buf, max);

	if (n < 0)
		fw_warn("api: a streamed answer failed: %s", strerror((int)-n));
	return n > 0 ? n : n == 0 ? MHD_CONTENT_READER_END_OF_STREAM
				 : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
	struct fw_api_stream *s = cls;

	s->close(s->self);
	free(s);
}

static struct MHD_Response *make_response(struct fw_api_server *srv,
					  struct fw_api_response *resp)
{
	struct MHD_Response *r;

	if (resp->stream.read) {
		struct fw_api_stream *s = malloc(sizeof(*s));

		if (!s)
			return NULL;
		*s = resp->stream;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s,
						      stream_free);
		if (!r) {
			free(s);
			return NULL;
		}
		resp->stream = (struct fw_api_stream){ 0 };     /* the response owns it */
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
		return r;
	}

	if (resp->sse) {
		struct fw_sse_stream *s = fw_sse_stream_new(srv->ctx.backend, resp->sse_since,
							    &srv->stopping);
		if (!s)
			return NULL;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
						      fw_sse_stream_read, s,
						      fw_sse_stream_free);
		if (!r) {
			fw_sse_stream_free(s);
			return NULL;
		}
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
		return r;
	}
	if (resp->text) {
		r = MHD_create_response_from_buffer(strlen(resp->text), resp->text,
						    MHD_RESPMEM_MUST_FREE);
		if (!r)
			return NULL;
		resp->text = NULL;      /* the response owns it now */
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
		return r;
	}
	r = json_response(resp);
	if (r && resp->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	if (r && resp->auth_challenge)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"flywall\"");
	return r;
}

static enum MHD_Result send_response(struct fw_api_server *srv, struct MHD_Connection *conn,
				     struct fw_api_response *resp)
{
	struct MHD_Response *r = make_response(srv, resp);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;  /* out of memory: drop the connection */
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_too_large(struct fw_api_server *srv,
				       struct MHD_Connection *conn)
{
	struct fw_api_response resp = { 0 };
	enum MHD_Result ret;

	fw_api_fail(&resp, 413, "request bodies are limited to 1 MiB; send fewer entries "
		    "per request", "request body too large");
	ret = send_response(srv, conn, &resp);
	fw_api_response_release(&resp);
	return ret;
}

/* First call: look at Content-Length; later calls: collect the body. */
static enum MHD_Result receive(struct MHD_Connection *conn, struct upload *up,
			       const char *data, size_t *size)
{
	if (up->too_large || up->len + *size > FW_API_BODY_MAX) {
		up->too_large = true;
		up->discarded += up->len + *size;
		free(up->body);
		up->body = NULL;
		up->len = 0;
		if (up->discarded > DISCARD_MAX)
			return MHD_NO;
	} else {
		char *grown = realloc(up->body, up->len + *size + 1);

		if (!grown)
			return MHD_NO;
		memcpy(grown + up->len, data, *size);
		up->len += *size;
		grown[up->len] = '\0';
		up->body = grown;
	}
	*size = 0;
	return MHD_YES;
}

/* A request whose body routes.c takes as it arrives: true when it is one
 * (*ret then says how to go on; a refusal is answered at once). */
static bool stream_begin(struct fw_api_server *srv, struct MHD_Connection *conn,
			 const char *url, const char *method, struct upload *up,
			 enum MHD_Result *ret)
{
	struct fw_api_response resp = { 0 };
	struct fw_api_request req = {
		.method = method,
		.path = url,
		.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_AUTHORIZATION),
		.query = query_value,
		.query_ctx = conn,
	};
	const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_CONTENT_TYPE);

	if (!fw_api_upload_begin(&srv->ctx, &req, type, &up->stream, &resp))
		return false;
	*ret = MHD_YES;
	if (!up->stream) {
		up->too_large = true;   /* whatever body follows is dropped */
		*ret = send_response(srv, conn, &resp);
		fw_api_response_release(&resp);
	}
	return true;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_data_size,
			      void **con_cls)
{
	struct fw_api_server *srv = cls;
	struct upload *up = *con_cls;
	struct fw_api_response resp;
	struct fw_api_request req;
	enum MHD_Result ret;

	if (!up) {
		const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								 MHD_HTTP_HEADER_CONTENT_LENGTH);
		up = calloc(1, sizeof(*up));
		if (!up)
			return MHD_NO;
		*con_cls = up;
		if (stream_begin(srv, conn, url, method, up, &ret))
			return ret;
		/* Refuse a declared oversize body before reading any of it. */
		if (length && strtoull(length, NULL, 10) > FW_API_BODY_MAX) {
			up->too_large = true;
			return reply_too_large(srv, conn);
		}
		return MHD_YES;
	}
	if (up->stream) {
		if (*upload_data_size) {
			fw_api_upload_feed(up->stream, upload_data, *upload_data_size);
			*upload_data_size = 0;
			return MHD_YES;
		}
		fw_api_upload_end(up->stream, &resp);
		up->stream = NULL;
		ret = send_response(srv, conn, &resp);
		fw_api_response_release(&resp);
		return ret;
	}
	if (*upload_data_size)
		return receive(conn, up, upload_data, upload_data_size);
	if (up->too_large)
		return reply_too_large(srv, conn);

	req = (struct fw_api_request){
		.method = method,
		.path = url,
		.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_AUTHORIZATION),
		.last_event_id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     "Last-Event-ID"),
		.body = up->body,
		.body_len = up->len,
		.query = query_value,
		.query_ctx = conn,
	};
	fw_api_route(&srv->ctx, &req, &resp);
	fw_debug("api: %s %s -> %u", method, url, resp.status);
	ret = send_response(srv, conn, &resp);
	fw_api_response_release(&resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode why)
{
	struct upload *up = *con_cls;

	if (up) {
		fw_api_upload_abort(up->stream);        /* broken off: undone */
		free(up->body);
		free(up);
		*con_cls = NULL;
	}
}

struct fw_api_server *fw_api_server_start_with(const struct fw_api_config *cfg,
					       const struct fw_api_backend *be,
					       struct fw_error *err)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_POLL | MHD_USE_ERROR_LOG;
	struct sockaddr_storage ss = { 0 };
	struct fw_api_server *srv;
	bool v6 = false;

	if (resolve_listen(cfg->listen, &ss, &v6, err))
		return NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		fw_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (fw_api_token_load(cfg->token_file, srv->token, sizeof(srv->token), err)) {
		free(srv);
		return NULL;
	}
	srv->ctx.backend = be;
	srv->ctx.token = srv->token;
	srv->mhd = MHD_start_daemon(flags | (v6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
				    handle, srv,
				    MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, srv,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)FW_API_CONNECTION_LIMIT,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)FW_API_IDLE_TIMEOUT_S,
				    MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		fw_error_set(err, EADDRINUSE, "cannot listen on %s (is another daemon "
			     "running there? change api { listen })", cfg->listen);
		free(srv);
		return NULL;
	}
	fw_info("api: listening on %s (port %u)", cfg->listen, fw_api_server_port(srv));
	return srv;
}

struct fw_api_server *fw_api_server_start(const struct fw_api_config *cfg,
					  struct fw_error *err)
{
	return fw_api_server_start_with(cfg, &fw_api_daemon_backend, err);
}

uint16_t fw_api_server_port(const struct fw_api_server *srv)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return info ? info->port : 0;
}

void fw_api_server_stop(struct fw_api_server *srv)
{
	if (!srv)
		return;
	__atomic_store_n(&srv->stopping, true, __ATOMIC_RELEASE);
	MHD_stop_daemon(srv->mhd);
	explicit_bzero(srv->token, sizeof(srv->token));
	free(srv);
}
