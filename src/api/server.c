// SPDX-License-Identifier: MIT
#include "api/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/auth.h"
#include "api/deadlines.h"
#include "api/host_check.h"
#include "api/ui.h"
#include "api/http_error.h"
#include "api/sse.h"
#include "common/log.h"

struct fw_api_server {
	struct MHD_Daemon *mhd;
	struct fw_api_context ctx;
	struct fw_api_config cfg;       /* a copy: a reload replaces the daemon's */
	struct fw_api_limits limits;
	struct fw_deadlines *deadlines;
	char token[FW_TOKEN_MAX];
	struct stat unix_socket;        /* the socket file made (st_ino 0: TCP) */
	bool stopping;                  /* read by event streams, atomically */
	unsigned int streams;           /* open event streams, atomically */
	pthread_mutex_t log_lock;       /* guards the log's rate limit */
	time_t log_window;
	unsigned int log_lines, log_dropped;
	char last_log[256];             /* libmicrohttpd's last message, for errors */
};

/* One request, kept from the handler's first call to its last. */
struct upload {
	char *body;
	size_t len;
	bool too_large;
	size_t discarded;       /* bytes dropped after the body outgrew the limit */
	struct fw_api_upload *stream;   /* a body taken in as it arrives (routes.h) */
	bool answered;          /* answered from the headers; the body is not read */
};

/* A body still streaming this far past the limit is cut off (the connection
 * closes) instead of being read to its end for a 413. */
#define DISCARD_MAX (8 * FW_API_BODY_MAX)

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

/* libmicrohttpd writes a line for every refused or broken connection, so
 * a client opening them in a loop would flood the log: at most LOG_BURST
 * lines per LOG_WINDOW_S seconds, then one line with how many were dropped. */
#define LOG_BURST 20
#define LOG_WINDOW_S 10

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct fw_api_server *srv = cls;
	struct timespec now;
	unsigned int dropped = 0;
	bool print;
	char line[512];

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&srv->log_lock);
	if (now.tv_sec - srv->log_window >= LOG_WINDOW_S) {
		dropped = srv->log_dropped;
		srv->log_window = now.tv_sec;
		srv->log_lines = srv->log_dropped = 0;
	}
	print = srv->log_lines < LOG_BURST;
	if (print)
		srv->log_lines++;
	else
		srv->log_dropped++;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	snprintf(srv->last_log, sizeof(srv->last_log), "%.255s", line);
	pthread_mutex_unlock(&srv->log_lock);
	if (dropped)
		fw_warn("api: %u more messages of the HTTP server were not logged", dropped);
	if (print)
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

/* The deadline of the connection a request arrived on (NULL if untracked). */
static struct fw_deadline *conn_deadline(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

static void set_phase(struct fw_api_server *srv, struct MHD_Connection *conn,
		      unsigned int ms, const char *what)
{
	fw_deadline_set(srv->deadlines, conn_deadline(conn), ms, what);
}

/* Every connection is watched from its start until its socket is closed;
 * libmicrohttpd says "closed" before it closes the fd. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct fw_api_server *srv = cls;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = info ? fw_deadline_add(srv->deadlines, info->connect_fd,
							 srv->limits.header_ms,
							 "request headers") : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		fw_deadline_remove(srv->deadlines, *socket_context);
		*socket_context = NULL;
	}
}

/* A new event stream, or a 503 (resp->status says which) when the most
 * the server serves at once are open: each holds a thread and a connection
 * for as long as the client likes. */
static struct MHD_Response *open_stream(struct fw_api_server *srv,
					struct fw_api_response *resp)
{
	struct fw_sse_stream *s;
	struct MHD_Response *r;
	char detail[256];

	if (__atomic_add_fetch(&srv->streams, 1, __ATOMIC_ACQ_REL) > srv->limits.event_streams) {
		__atomic_sub_fetch(&srv->streams, 1, __ATOMIC_RELEASE);
		snprintf(detail, sizeof(detail), "%u streams are open, the most the daemon "
			 "serves at once; close one, or retry later", srv->limits.event_streams);
		fw_api_fail(resp, 503, detail, "too many event streams");
		r = json_response(resp);
		if (r)
			MHD_add_response_header(r, "Retry-After", "5");
		return r;
	}
	s = fw_sse_stream_new(srv->ctx.backend, resp->sse_since, &srv->stopping, &srv->streams);
	if (!s) {
		__atomic_sub_fetch(&srv->streams, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, fw_sse_stream_read, s,
					      fw_sse_stream_free);
	if (!r) {
		fw_sse_stream_free(s);
		return NULL;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	return r;
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

	if (resp->sse)
		return open_stream(srv, resp);
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
	bool stream = resp->sse;
	struct MHD_Response *r = make_response(srv, resp);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;  /* out of memory: drop the connection */
	/* For the dashboard, and for any answer a browser would render. */
	MHD_add_response_header(r, "Content-Security-Policy", FW_API_CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (stream && resp->status == 200)
		set_phase(srv, conn, 0, "event stream");
	else
		set_phase(srv, conn, srv->limits.answer_ms, "answer");
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error(struct fw_api_server *srv, struct MHD_Connection *conn,
				  unsigned int status, const char *detail, const char *error)
{
	struct fw_api_response resp = { 0 };
	enum MHD_Result ret;

	fw_api_fail(&resp, status, detail, "%s", error);
	resp.auth_challenge = status == 401;
	ret = send_response(srv, conn, &resp);
	fw_api_response_release(&resp);
	return ret;
}

static enum MHD_Result reply_too_large(struct fw_api_server *srv,
				       struct MHD_Connection *conn)
{
	return send_error(srv, conn, 413, "request bodies are limited to 1 MiB; send fewer "
			  "entries per request", "request body too large");
}

/* Later calls: collect the body. */
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
	if (!up->stream) {      /* refused: whatever body follows is dropped */
		*ret = send_response(srv, conn, &resp);
		fw_api_response_release(&resp);
	}
	return true;
}

/* The next bytes of a streamed body, or (none left) its end and the answer. */
static enum MHD_Result feed_stream(struct fw_api_server *srv, struct MHD_Connection *conn,
				   struct upload *up, const char *data, size_t *size)
{
	struct fw_api_response resp;
	enum MHD_Result ret;

	if (*size) {
		fw_api_upload_feed(up->stream, data, *size);
		*size = 0;
		return MHD_YES;
	}
	up->answered = true;
	set_phase(srv, conn, 0, "processing");
	fw_api_upload_end(up->stream, &resp);
	up->stream = NULL;
	ret = send_response(srv, conn, &resp);
	fw_api_response_release(&resp);
	return ret;
}

static enum MHD_Result route(struct fw_api_server *srv, struct MHD_Connection *conn,
			     const char *url, const char *method, struct upload *up)
{
	struct fw_api_response resp;
	struct fw_api_request req = {
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
	enum MHD_Result ret;

	/* The request is in: the daemon's own work (compiling, loading, making
	 * a large map) has no deadline; sending the answer will. */
	set_phase(srv, conn, 0, "processing");
	fw_api_route(&srv->ctx, &req, &resp);
	fw_debug("api: %s %s -> %u", method, url, resp.status);
	ret = send_response(srv, conn, &resp);
	fw_api_response_release(&resp);
	return ret;
}

static enum MHD_Result refuse_host(struct fw_api_server *srv, struct MHD_Connection *conn,
				   const char *host)
{
	char error[FW_API_HOST_MAX + 64];

	snprintf(error, sizeof(error), "this API does not answer to the name \"%.*s\"",
		 FW_API_HOST_MAX - 1, host);
	return send_error(srv, conn, 421, "connect by IP address or as localhost, or add "
			  "the name to api { allowed_hosts = [...] } (other names are refused "
			  "so that a web page cannot reach the API by DNS rebinding)", error);
}

static bool body_announced(struct MHD_Connection *conn)
{
	const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (length && strtoull(length, NULL, 10) > 0) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/*
 * The handler's first call has the headers and none of the body: whatever
 * can be decided from them is decided here, so a client without the token
 * cannot make the daemon read (or wait for) a body. Returns true when it
 * answered (*ret set); the body, if any, is then never read. Requests that
 * pass are answered in a later call: an answer queued in the first one
 * makes libmicrohttpd close the connection instead of keeping it alive.
 */
static bool judge_headers(struct fw_api_server *srv, struct MHD_Connection *conn,
			  const char *url, const char *method, struct upload *up,
			  enum MHD_Result *ret)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_HOST);
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_CONTENT_LENGTH);
	bool needs_token, takes_body;
	enum fw_auth_result token;

	up->answered = true;
	if (!srv->unix_socket.st_ino && !fw_api_host_allowed(&srv->cfg, host)) {
		*ret = refuse_host(srv, conn, host);
		return true;
	}
	fw_api_route_needs(method, url, &needs_token, &takes_body);
	token = fw_api_auth_check(srv->token, auth);
	if (srv->cfg.read_auth && !needs_token && token != FW_AUTH_OK &&
	    !fw_api_ui_public(method, url)) {
		*ret = token == FW_AUTH_MISSING ?
		       send_error(srv, conn, 401, "send the header 'Authorization: Bearer "
				  "TOKEN' with the token from api { token_file }",
				  "this API needs the token for reading too (api { read_auth })") :
		       send_error(srv, conn, 403, "the token does not match the one in api "
				  "{ token_file }", "wrong API token");
		return true;
	}
	/* Without the token the route asks for (the routes say which status),
	 * or with a body the route has no use for, the answer needs nothing
	 * more; libmicrohttpd then closes the connection, leaving any body
	 * unread. */
	if ((needs_token && token != FW_AUTH_OK) ||
	    (!takes_body && body_announced(conn))) {
		*ret = route(srv, conn, url, method, up);
		return true;
	}
	/* A bulk body the route takes as it arrives has no size limit; any
	 * other declared oversize body is refused before reading any of it. */
	if (stream_begin(srv, conn, url, method, up, ret)) {
		if (!up->stream)
			return true;
	} else if (length && strtoull(length, NULL, 10) > FW_API_BODY_MAX) {
		up->too_large = true;
		*ret = reply_too_large(srv, conn);
		return true;
	}
	up->answered = false;
	set_phase(srv, conn, srv->limits.body_ms, "request body");
	return false;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_data_size,
			      void **con_cls)
{
	struct fw_api_server *srv = cls;
	struct upload *up = *con_cls;
	enum MHD_Result ret;

	if (!up) {
		up = calloc(1, sizeof(*up));
		if (!up)
			return MHD_NO;
		*con_cls = up;
		return judge_headers(srv, conn, url, method, up, &ret) ? ret : MHD_YES;
	}
	if (up->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (up->stream)
		return feed_stream(srv, conn, up, upload_data, upload_data_size);
	if (*upload_data_size)
		return receive(conn, up, upload_data, upload_data_size);
	if (up->too_large)
		return reply_too_large(srv, conn);
	up->answered = true;
	return route(srv, conn, url, method, up);
}

/* The end of a request: the next one on this connection has its headers'
 * deadline from now. */
static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode why)
{
	struct fw_api_server *srv = cls;
	struct upload *up = *con_cls;

	if (up) {
		fw_api_upload_abort(up->stream);        /* broken off: undone */
		free(up->body);
		free(up);
		*con_cls = NULL;
	}
	set_phase(srv, conn, srv->limits.header_ms, "request headers");
}

/* ---- UNIX socket --------------------------------------------------------- */

static int group_id(const char *name, gid_t *gid, struct fw_error *err)
{
	struct group grp, *found = NULL;
	char buf[4096], *end;
	unsigned long n;

	errno = 0;
	n = strtoul(name, &end, 10);
	if (name[0] && !*end && !errno) {
		*gid = (gid_t)n;
		return 0;
	}
	getgrnam_r(name, &grp, buf, sizeof(buf), &found);
	if (!found)
		return fw_error_set(err, ENOENT, "api socket_group \"%s\": no such group "
				    "(create it with 'groupadd %s', or change socket_group)",
				    name, name);
	*gid = found->gr_gid;
	return 0;
}

/* A socket file left by a daemon that died is removed; one that answers
 * belongs to a running daemon, and anything else is not ours to delete. */
static int clear_old_socket(const char *path, struct fw_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : fw_error_set(err, errno, "api listen unix:%s: %s",
							  path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return fw_error_set(err, EEXIST, "api listen unix:%s: the file exists and is not "
				    "a socket; remove it or choose another path", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fw_error_set(err, errno, "socket: %s", strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (ret == 0)
		return fw_error_set(err, EADDRINUSE, "cannot listen on unix:%s: another daemon "
				    "answers there (stop it, or change api { listen })", path);
	if (unlink(path) && errno != ENOENT)
		return fw_error_set(err, errno, "cannot remove the old socket %s: %s", path,
				    strerror(errno));
	return 0;
}

static int bind_private(int fd, const struct sockaddr_un *sa, const char *path)
{
	/* Born 0600, so nobody connects before the group and mode are set;
	 * a stricter umask for a moment harms no other thread's files. */
	mode_t old = umask(0177);
	int ret = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));

	umask(old);
	if (ret && errno == ENOENT) {
		char dir[sizeof(sa->sun_path)];

		snprintf(dir, sizeof(dir), "%s", path);
		if (mkdir(dirname(dir), 0755) == 0)
			return bind_private(fd, sa, path);
		errno = ENOENT;
	}
	return ret;
}

/* A listening socket at path, mode 0660, in group (when given). */
static int unix_listen(const char *path, const char *group, struct stat *made,
		       struct fw_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	gid_t gid = (gid_t)-1;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fw_error_set(err, ENAMETOOLONG, "api listen unix:%s: the path is too long",
				    path);
	if ((group[0] && group_id(group, &gid, err)) || clear_old_socket(path, err))
		return err->code;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fw_error_set(err, errno, "socket: %s", strerror(errno));
	if (bind_private(fd, &sa, path)) {
		fw_error_set(err, errno, "cannot listen on unix:%s: %s (its directory must "
			     "exist or be creatable, and be writable by the daemon)", path,
			     strerror(errno));
		close(fd);
		return err->code;
	}
	if (chown(path, (uid_t)-1, gid) || chmod(path, 0660) || listen(fd, SOMAXCONN) ||
	    stat(path, made)) {
		fw_error_set(err, errno, "cannot set up the socket unix:%s: %s", path,
			     strerror(errno));
		unlink(path);
		close(fd);
		return err->code;
	}
	return fd;
}

/* ---- start and stop ------------------------------------------------------- */

static struct MHD_Daemon *start_tcp(struct fw_api_server *srv, struct fw_error *err)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_POLL | MHD_USE_ERROR_LOG;
	struct sockaddr_storage ss = { 0 };
	struct MHD_Daemon *mhd;
	bool v6 = false;

	if (resolve_listen(srv->cfg.listen, &ss, &v6, err))
		return NULL;
	mhd = MHD_start_daemon(flags | (v6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL, handle, srv,
			       MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, srv,
			       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			       MHD_OPTION_CONNECTION_LIMIT, srv->limits.connections,
			       MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->limits.per_client,
			       MHD_OPTION_CONNECTION_TIMEOUT, srv->limits.idle_s,
			       MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
			       MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
			       MHD_OPTION_END);
	if (!mhd)
		fw_error_set(err, EADDRINUSE, "cannot listen on %s (is another daemon "
			     "running there? change api { listen })", srv->cfg.listen);
	return mhd;
}

/* Every local client of a UNIX socket has the same (empty) address, so
 * there is no per-client limit here: the socket's group says who may come. */
static struct MHD_Daemon *start_unix(struct fw_api_server *srv, const char *path,
				     struct fw_error *err)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_POLL | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *mhd;
	int fd = unix_listen(path, srv->cfg.socket_group, &srv->unix_socket, err);

	if (fd < 0)
		return NULL;
	mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
			       MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, srv,
			       MHD_OPTION_LISTEN_SOCKET, fd,
			       MHD_OPTION_CONNECTION_LIMIT, srv->limits.connections,
			       MHD_OPTION_CONNECTION_TIMEOUT, srv->limits.idle_s,
			       MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
			       MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
			       MHD_OPTION_END);
	if (!mhd) {
		/* fd is left open: whether libmicrohttpd closed it on failure
		 * depends on its version, and closing twice could hit another
		 * thread's file. */
		fw_error_set(err, EIO, "cannot serve on unix:%s: %s", path,
			     srv->last_log[0] ? srv->last_log : "libmicrohttpd gave no reason");
		unlink(path);
		memset(&srv->unix_socket, 0, sizeof(srv->unix_socket));
	}
	return mhd;
}

/* Removes the socket file, unless another daemon has put its own there. */
static void remove_socket_file(const struct fw_api_server *srv)
{
	const char *path = fw_api_listen_unix_path(srv->cfg.listen);
	struct stat st;

	if (path && srv->unix_socket.st_ino && lstat(path, &st) == 0 &&
	    st.st_ino == srv->unix_socket.st_ino && st.st_dev == srv->unix_socket.st_dev)
		unlink(path);
}

struct fw_api_server *fw_api_server_start_with(const struct fw_api_config *cfg,
					       const struct fw_api_backend *be,
					       const struct fw_api_limits *limits,
					       struct fw_error *err)
{
	static const struct fw_api_limits defaults = FW_API_LIMITS_DEFAULT;
	const char *unix_path = fw_api_listen_unix_path(cfg->listen);
	struct fw_api_server *srv = calloc(1, sizeof(*srv));

	if (!srv) {
		fw_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	srv->cfg = *cfg;
	srv->limits = limits ? *limits : defaults;
	pthread_mutex_init(&srv->log_lock, NULL);
	srv->ctx.backend = be;
	srv->ctx.token = srv->token;
	srv->ctx.ui = fw_api_ui_new();
	if (!srv->ctx.ui) {
		fw_error_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	if (fw_api_token_load(cfg->token_file, srv->token, sizeof(srv->token), err))
		goto fail;
	srv->deadlines = fw_deadlines_start();
	if (!srv->deadlines) {
		fw_error_set(err, ENOMEM, "cannot start the API's watchdog thread");
		goto fail;
	}
	srv->mhd = unix_path ? start_unix(srv, unix_path, err) : start_tcp(srv, err);
	if (!srv->mhd)
		goto fail;
	if (unix_path)
		fw_info("api: listening on %s (mode 0660%s%s)", cfg->listen,
			cfg->socket_group[0] ? ", group " : "", cfg->socket_group);
	else
		fw_info("api: listening on %s (port %u)", cfg->listen, fw_api_server_port(srv));
	return srv;
fail:
	fw_deadlines_stop(srv->deadlines);
	fw_api_ui_free(srv->ctx.ui);
	pthread_mutex_destroy(&srv->log_lock);
	explicit_bzero(srv->token, sizeof(srv->token));
	free(srv);
	return NULL;
}

struct fw_api_server *fw_api_server_start(const struct fw_api_config *cfg,
					  const struct fw_api_backend *be, struct fw_error *err)
{
	return fw_api_server_start_with(cfg, be, NULL, err);
}

uint16_t fw_api_server_port(const struct fw_api_server *srv)
{
	const union MHD_DaemonInfo *info;

	if (srv->unix_socket.st_ino)
		return 0;
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	return info ? info->port : 0;
}

void fw_api_server_stop(struct fw_api_server *srv)
{
	if (!srv)
		return;
	__atomic_store_n(&srv->stopping, true, __ATOMIC_RELEASE);
	MHD_stop_daemon(srv->mhd);
	fw_deadlines_stop(srv->deadlines);
	remove_socket_file(srv);
	fw_api_ui_free(srv->ctx.ui);
	pthread_mutex_destroy(&srv->log_lock);
	explicit_bzero(srv->token, sizeof(srv->token));
	free(srv);
}
