// SPDX-License-Identifier: MIT
/*
 * `flywall daemon -c FILE`: makes the kernel match the file's ebpf block and
 * keeps it there. Stopping the daemon (SIGTERM, SIGINT, even kill -9) leaves
 * every program attached and filtering; a new daemon adopts them. Only
 * `enabled = false` or `flywall ebpf clean` removes them.
 */
#include "daemon/daemon.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "api/server.h"
#include "cli/command.h"
#include "common/log.h"
#include "daemon/backend_internal.h"
#include "daemon/event_log.h"
#include "daemon/reconcile.h"
#include "ebpf/hooks.h"
#include "ebpf/loader.h"

struct fw_daemon *fw_daemon_current;

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
	fw_event_log_sync(&d->reg);
	pthread_mutex_unlock(&d->lock);
	if (!ret)
		fw_info("applied %s in %.1f ms: %d attached, %d replaced, %d kept, %d removed%s",
			d->config_path, elapsed_ms(&start), rep.loaded, rep.replaced, rep.kept,
			rep.removed, d->cfg.ebpf.enabled ? "" : " (ebpf disabled)");
	return ret;
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

static void run_until_stopped(struct fw_daemon *d, int sig_fd)
{
	struct pollfd pfd = { .fd = sig_fd, .events = POLLIN };
	struct signalfd_siginfo si;

	for (;;) {
		struct fw_error err = {};

		/* Housekeeping has its own thread: this one only waits for signals. */
		if (poll(&pfd, 1, -1) <= 0)
			continue;
		if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
			return;

		if (si.ssi_signo != SIGHUP) {
			fw_info("stopping on signal %u; programs stay attached", si.ssi_signo);
			return;
		}
		fw_info("SIGHUP: reloading %s", d->config_path);
		if (apply_config_file(d, &err)) {
			report_error(&err);
			fw_err_log("reload failed: the previous configuration stays in force");
		}
		fw_error_clear(&err);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"Usage: flywall daemon [-c FILE] [--pin-root DIR] [--log-level LEVEL] [--events-log FILE]\n"
		"                      [--tc-attach auto|clsact] [--oneshot] [--no-api]\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  --pin-root DIR      bpffs directory for pins (default %s)\n"
		"  --log-level LEVEL   error, warn, info (default) or debug\n"
		"  --events-log FILE   also append every program event to FILE as JSON lines\n"
		"  --tc-attach MODE    auto (tcx link, else clsact; default) or clsact\n"
		"  --oneshot           apply the configuration and exit (socket filters need the daemon)\n"
		"  --no-api            do not start the REST API\n",
		FW_DEFAULT_CONFIG, FW_PIN_ROOT_DEFAULT);
}

struct daemon_options {
	const char *config, *pin_root, *events_log;
	bool oneshot, no_api;
};

static int parse_options(int argc, char **argv, struct daemon_options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pin-root", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "oneshot", no_argument, NULL, 'o' },
		{ "no-api", no_argument, NULL, 'n' },
		{ "events-log", required_argument, NULL, 'e' },
		{ "tc-attach", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, level;

	*o = (struct daemon_options){ .config = FW_DEFAULT_CONFIG, .pin_root = FW_PIN_ROOT_DEFAULT };
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'p': o->pin_root = optarg; break;
		case 'o': o->oneshot = true; break;
		case 'n': o->no_api = true; break;
		case 'e': o->events_log = optarg; break;
		case 't':
			if (strcmp(optarg, "clsact") != 0 && strcmp(optarg, "auto") != 0) {
				fprintf(stderr, "flywall daemon: --tc-attach takes auto or clsact, not '%s'\n",
					optarg);
				return -1;
			}
			fw_hook_set_tc_clsact_only(strcmp(optarg, "clsact") == 0);
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

int fw_cmd_daemon(int argc, char **argv)
{
	static struct fw_daemon d = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct daemon_options opt;
	struct fw_error err = {};
	int sig_fd, ret = 1;

	if (parse_options(argc, argv, &opt))
		return 2;
	/* The API serves each connection on its own thread; glibc would give
	 * up to 8 arenas per CPU, kept after their threads end, and memory would
	 * creep up under load. 2 per CPU: flat RSS, p50 within ~1 ms of 8
	 * (measured with tests/e2e/test_api.sh's 50-client runs). */
	mallopt(M_ARENA_MAX, 2 * (int)sysconf(_SC_NPROCESSORS_ONLN));
	snprintf(d.config_path, sizeof(d.config_path), "%s", opt.config);
	fw_loader_init();
	sig_fd = open_signals();
	if (fw_registry_open(&d.reg, opt.pin_root, &err))
		goto out;
	fw_daemon_current = &d;
	if (!opt.oneshot && fw_event_log_start(opt.events_log, &err))
		goto out;
	if (apply_config_file(&d, &err))
		goto out;
	if (opt.oneshot) {
		ret = 0;
		goto out;
	}
	if (!opt.no_api) {
		d.api = fw_api_server_start(&d.cfg.api, &err);
		if (!d.api)
			goto out;
	}
	fw_backend_start();
	fw_info("running (pid %d); SIGHUP reloads %s", (int)getpid(), d.config_path);
	run_until_stopped(&d, sig_fd);
	ret = 0;
out:
	if (ret && !err.code)
		fw_error_set(&err, EIO, "failed without a message (a bug: please report it)");
	if (err.code)
		report_error(&err);
	/* Long operations give up first (an unfinished import is undone), so
	 * the API's connections end promptly. */
	fw_backend_stop();
	fw_api_server_stop(d.api);
	fw_backend_join();
	fw_event_log_stop();
	fw_daemon_current = NULL;
	fw_registry_close(&d.reg);
	fw_config_release(&d.cfg);
	fw_error_clear(&err);
	if (sig_fd >= 0)
		close(sig_fd);
	return ret;
}
