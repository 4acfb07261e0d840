// SPDX-License-Identifier: MIT
/*
 * `flywall daemon -c FILE`: makes the kernel match the file's ebpf block and
 * keeps it there. Stopping the daemon (SIGTERM, SIGINT, even kill -9) leaves
 * every program attached and filtering; a new daemon adopts them. Only
 * `enabled = false` or `flywall ebpf clean` removes them.
 */
#include "daemon/state.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <bpf/bpf.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/server.h"
#include "cli/command.h"
#include "common/log.h"
#include "cluster/cluster.h"
#include "daemon/backend_internal.h"
#include "daemon/event_log.h"
#include "daemon/privileges.h"
#include "daemon/reconcile.h"
#include "daemon/rules.h"
#include "ebpf/compiler.h"
#include "ebpf/hooks.h"
#include "ebpf/loader.h"

static double elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1e3 + (now.tv_nsec - start->tv_nsec) / 1e6;
}

/* jit = true turns the JIT on when it is off; a kernel built with the JIT
 * always on cannot turn it off, which jit = false reports. */
static void apply_jit_setting(bool jit)
{
	const char *path = "/proc/sys/net/core/bpf_jit_enable";
	FILE *f = fopen(path, "r+");
	int value = -1;

	if (!f) {
		/* Only the initial network namespace has it. */
		fw_debug("JIT setting not applied: %s: %s", path, strerror(errno));
		return;
	}
	if (fscanf(f, "%d", &value) != 1)
		value = -1;
	if (jit && value == 0) {
		rewind(f);
		if (fprintf(f, "1\n") < 0 || fflush(f))
			fw_warn("jit = true, but the JIT could not be enabled: %s", strerror(errno));
		else
			fw_info("enabled the BPF JIT");
	} else if (!jit && value != 0) {
		rewind(f);
		if (fprintf(f, "0\n") < 0 || fflush(f))
			fw_warn("jit = false has no effect: this kernel keeps the BPF JIT always on");
	}
	fclose(f);
}

/* Loads FILE and makes the kernel match it. On any error nothing that was
 * running changes, and the configuration in force stays the old one. */
static int apply_config_file(struct fw_daemon *d, struct fw_error *err)
{
	struct fw_reconcile_report rep = {};
	struct fw_config cfg = {};
	struct timespec start;
	char *errors = NULL;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (fw_config_load_file(d->config_path, &cfg, &errors)) {
		ret = fw_error_set(err, EINVAL, "configuration %s is not valid:\n%s",
				   d->config_path, errors ? errors : "");
		free(errors);
		fw_config_release(&cfg);
		return ret;
	}
	/* Programs named by their .bpf.c source: compiled (cached) before anything changes. */
	if (cfg.ebpf.enabled &&
	    (ret = fw_compile_program_sources(cfg.ebpf.progs, cfg.ebpf.n_progs, err))) {
		fw_error_wrap(err, "configuration %s", d->config_path);
		fw_config_release(&cfg);
		return ret;
	}
	pthread_mutex_lock(&d->lock);
	if (cfg.ebpf.enabled)
		apply_jit_setting(cfg.ebpf.jit);
	ret = fw_reconcile(&d->reg, cfg.ebpf.progs, cfg.ebpf.enabled ? cfg.ebpf.n_progs : 0,
			   FW_ORIGIN_CONFIG, true, &rep, err);
	if (ret) {
		fw_config_release(&cfg);
	} else {
		fw_config_release(&d->cfg);
		d->cfg = cfg;
	}
	fw_event_log_sync(d->events, &d->reg);
	pthread_mutex_unlock(&d->lock);
	if (!ret)
		fw_info("applied %s in %.1f ms: %d attached, %d replaced, %d kept, %d removed%s",
			d->config_path, elapsed_ms(&start), rep.loaded, rep.replaced, rep.kept,
			rep.removed, d->cfg.ebpf.enabled ? "" : " (ebpf disabled)");
	/* Rule and feed blocks: after the programs' maps are pinned, with no
	 * lock held (a feed is a file to read). */
	if (!ret && d->cfg.ebpf.enabled)
		fw_rule_plane_configure(d);
	return ret;
}

/* systemd's readiness protocol (Type=notify): one datagram to
 * $NOTIFY_SOCKET; "@name" is an abstract socket. No-op outside systemd. */
static void notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), 0, (struct sockaddr *)&sa, len) < 0)
		fw_debug("sd_notify %s: %s", state, strerror(errno));
	close(fd);
}

static void report_error(const struct fw_error *err)
{
	fw_err_log("%s", err->msg);
	if (err->detail)
		fprintf(stderr, "--- verifier log (tail) ---\n%s\n--- end of verifier log ---\n",
			err->detail);
}

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Block in every thread (those started later inherit the mask). */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* ---- run statistics ----------------------------------------------------------
 * run_cnt/run_time_ns cost ~35 ns per run of every program on the host
 * (KERNEL-FACTS), so they are on only when the operator says so
 * (--run-stats), never because someone read the API. The kernel turns them
 * off when the daemon's fd closes, also on a crash. */
static void run_stats_start(struct fw_daemon *d, long seconds)
{
	d->run_stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (d->run_stats_fd < 0) {
		fw_warn("--run-stats: cannot enable run statistics: %s", strerror(errno));
		return;
	}
	d->run_stats_until = seconds ? time(NULL) + seconds : 0;
	if (seconds)
		fw_info("run statistics on for %ld s", seconds);
	else
		fw_info("run statistics on while the daemon runs");
}

static void run_stats_tick(struct fw_daemon *d)
{
	pthread_mutex_lock(&d->lock);
	if (d->run_stats_fd >= 0 && d->run_stats_until && time(NULL) >= d->run_stats_until) {
		close(d->run_stats_fd);
		d->run_stats_fd = -1;
		fw_info("run statistics off (--run-stats time is up)");
	}
	pthread_mutex_unlock(&d->lock);
}

static void run_until_stopped(struct fw_daemon *d, int sig_fd)
{
	struct pollfd pfd = { .fd = sig_fd, .events = POLLIN };
	struct signalfd_siginfo si;

	for (;;) {
		struct fw_error err = {};

		/* Expiry and counts have their own thread (fw_backend_start): this
		 * one waits for signals, waking once a second for --run-stats. */
		if (poll(&pfd, 1, 1000) <= 0) {
			run_stats_tick(d);
			continue;
		}
		if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
			return;

		if (si.ssi_signo != SIGHUP) {
			fw_info("stopping on signal %u; programs stay attached", si.ssi_signo);
			return;
		}
		fw_info("SIGHUP: reloading %s", d->config_path);
		notify_systemd("RELOADING=1");
		if (apply_config_file(d, &err)) {
			report_error(&err);
			fw_err_log("reload failed: the previous configuration stays in force");
		}
		notify_systemd("READY=1");
		fw_error_clear(&err);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: flywall daemon [-c FILE] [--pin-root DIR] [--log-level LEVEL] [--events-log FILE]\n"
		"                      [--events-log-max SIZE] [--run-stats on|SECONDS]\n"
		"                      [--tc-attach auto|clsact] [--oneshot] [--no-api]\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  --pin-root DIR      bpffs directory for pins (default %s)\n"
		"  --log-level LEVEL   error, warn, info (default) or debug\n"
		"  --events-log FILE   also append every program event to FILE as JSON lines (0600)\n"
		"  --events-log-max SIZE  rotate FILE to FILE.1 beyond SIZE bytes (K, M, G; default 64M; 0 never)\n"
		"  --run-stats on|SECONDS  turn on the kernel's run statistics (run_cnt, run_time_ns) while\n"
		"                      the daemon runs, or for SECONDS; they cost ~35 ns per program run\n"
		"  --tc-attach MODE    auto (tcx link, else clsact; default) or clsact\n"
		"  --oneshot           apply the configuration and exit (socket filters need the daemon)\n"
		"  --no-api            do not start the REST API\n",
		FW_DEFAULT_CONFIG, FW_PIN_ROOT_DEFAULT);
}

struct daemon_options {
	const char *config, *pin_root, *events_log;
	uint64_t events_log_max;
	long run_stats;                 /* -1 off, 0 while running, else seconds */
	struct fw_hook_opts hook_opts;  /* --tc-attach */
	bool oneshot, no_api;
};

/* "64M", "1048576", "0": bytes with an optional K/M/G (x1024) suffix. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_run_stats(const char *s, long *out)
{
	char *end;

	if (strcmp(s, "on") == 0) {
		*out = 0;
		return 0;
	}
	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || *end || end == s || *out <= 0 ? -1 : 0;
}

static int parse_options(int argc, char **argv, struct daemon_options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pin-root", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "oneshot", no_argument, NULL, 'o' },
		{ "no-api", no_argument, NULL, 'n' },
		{ "events-log", required_argument, NULL, 'e' },
		{ "events-log-max", required_argument, NULL, 'm' },
		{ "run-stats", required_argument, NULL, 's' },
		{ "tc-attach", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, level;

	*o = (struct daemon_options){ .config = FW_DEFAULT_CONFIG, .pin_root = FW_PIN_ROOT_DEFAULT,
				      .events_log_max = FW_EVENT_LOG_FILE_MAX_DEFAULT,
				      .run_stats = -1 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'p': o->pin_root = optarg; break;
		case 'o': o->oneshot = true; break;
		case 'n': o->no_api = true; break;
		case 'e': o->events_log = optarg; break;
		case 'm':
			if (parse_size(optarg, &o->events_log_max)) {
				fprintf(stderr, "flywall daemon: --events-log-max takes a size such as 64M, not '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 's':
			if (parse_run_stats(optarg, &o->run_stats)) {
				fprintf(stderr, "flywall daemon: --run-stats takes on or a number of seconds, not '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 't':
			if (strcmp(optarg, "clsact") != 0 && strcmp(optarg, "auto") != 0) {
				fprintf(stderr, "flywall daemon: --tc-attach takes auto or clsact, not '%s'\n",
					optarg);
				return -1;
			}
			o->hook_opts.tc_clsact_only = strcmp(optarg, "clsact") == 0;
			break;
		case 'l':
			level = fw_log_level_parse(optarg);
			if (level < 0) {
				fprintf(stderr, "flywall daemon: unknown log level '%s'\n", optarg);
				return -1;
			}
			fw_log_set_level(level);
			break;
		default:
			usage();
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flywall daemon: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* The API's TCP port when it is below 1024 (binding it needs a capability). */
/* The capabilities the API's start needs beyond the daemon's own. */
static unsigned int api_extra_caps(const struct fw_daemon *d)
{
	const struct fw_api_config *api = &d->cfg.api;
	const char *colon = strrchr(api->listen, ':');
	long port = colon ? strtol(colon + 1, NULL, 10) : 0;

	if (fw_api_listen_unix_path(api->listen))
		return api->socket_group[0] ? FW_KEEP_CHOWN : 0;
	return port > 0 && port < 1024 ? FW_KEEP_BIND_SERVICE : 0;
}

/* The collector and API threads start after the capabilities are dropped:
 * each thread has its own, and inherits them from the one that creates it. */
static int start_threads(struct fw_daemon *d, const struct daemon_options *opt,
			 struct fw_error *err)
{
	if (fw_event_log_start(d->events, err))
		return err->code;
	pthread_mutex_lock(&d->lock);
	fw_event_log_sync(d->events, &d->reg);
	pthread_mutex_unlock(&d->lock);
	/* The cluster's seam: its table wraps the daemon's (src/cluster/). */
	if (fw_cluster_start(&d->cfg.cluster, d->reg.root, &d->backend, err))
		return err->code;
	if (!opt->no_api) {
		d->api = fw_api_server_start(&d->cfg.api, fw_cluster_backend(&d->backend), err);
		if (!d->api)
			return err->code ? err->code : -EIO;
	}
	return fw_backend_start(d, err);
}

int fw_cmd_daemon(int argc, char **argv)
{
	static struct fw_daemon d = { .lock = PTHREAD_MUTEX_INITIALIZER, .run_stats_fd = -1 };
	struct daemon_options opt;
	struct fw_error err = {};
	int sig_fd, ret = 1;

	if (parse_options(argc, argv, &opt))
		return 2;
	/* Pins, the events log and anything else the daemon creates are its own. */
	umask(077);
	/* The API serves each connection on its own thread; glibc would give
	 * up to 8 arenas per CPU, kept after their threads end, and memory would
	 * creep up under load. 2 per CPU: flat RSS, p50 within ~1 ms of 8
	 * (measured with tests/e2e/test_api.sh's 50-client runs). */
	mallopt(M_ARENA_MAX, 2 * (int)sysconf(_SC_NPROCESSORS_ONLN));
	snprintf(d.config_path, sizeof(d.config_path), "%s", opt.config);
	fw_loader_init();
	sig_fd = open_signals();
	fw_backend_init(&d);
	d.events = fw_event_log_new();
	if (!d.events) {
		fw_error_set(&err, ENOMEM, "out of memory");
		goto out;
	}
	if (fw_registry_open(&d.reg, opt.pin_root, &err))
		goto out;
	d.reg.hook_opts = opt.hook_opts;
	if (!opt.oneshot && opt.events_log &&
	    fw_event_log_open_file(d.events, opt.events_log, opt.events_log_max, &err))
		goto out;
	if (apply_config_file(&d, &err))
		goto out;
	if (opt.oneshot) {
		ret = 0;
		goto out;
	}
	if (opt.run_stats >= 0)
		run_stats_start(&d, opt.run_stats);
	if (fw_privileges_drop(api_extra_caps(&d), &err) || start_threads(&d, &opt, &err))
		goto out;
	fw_info("running (pid %d); SIGHUP reloads %s", (int)getpid(), d.config_path);
	notify_systemd("READY=1");
	run_until_stopped(&d, sig_fd);
	notify_systemd("STOPPING=1");
	ret = 0;
out:
	if (ret && !err.code)
		fw_error_set(&err, EIO, "failed without a message (a bug: please report it)");
	if (err.code)
		report_error(&err);
	/* Long operations give up first (an unfinished import is undone), so
	 * the API's connections end promptly. */
	fw_cluster_stop();
	fw_backend_stop(&d);
	fw_api_server_stop(d.api);
	fw_cluster_close();
	fw_backend_join(&d);
	fw_event_log_free(d.events);
	fw_rule_plane_free(&d);
	fw_registry_close(&d.reg);
	fw_config_release(&d.cfg);
	fw_error_clear(&err);
	if (d.run_stats_fd >= 0)
		close(d.run_stats_fd);
	if (sig_fd >= 0)
		close(sig_fd);
	return ret;
}
