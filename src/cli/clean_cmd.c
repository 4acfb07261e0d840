// SPDX-License-Identifier: MIT
/*
 * `flywall ebpf clean [--pin-root DIR] [--json]`: removes everything Flywall
 * attached and pinned — programs, links, clsact filters, maps, state. Run it
 * in the network namespace the daemon ran in, with the daemon stopped (a
 * running daemon holds links and sockets open, and the pin root's lock: clean
 * refuses and names its pid).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/command.h"
#include "common/log.h"
#include "daemon/reconcile.h"
#include "daemon/registry.h"

/* Unlinks the pins in dir (one level; Flywall's layout has no deeper ones
 * but maps/<program>/) and then dir itself. */
static void remove_pins(const char *dir, bool recurse_once)
{
	char path[FW_PATH_MAX * 2];
	struct dirent *ent;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		if (ent->d_type == DT_DIR && recurse_once)
			remove_pins(path, false);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* What the records did not account for (pins of a crashed apply, say). */
static int remove_tree(const char *root)
{
	static const char *const subdirs[] = { "links", "progs", "maps", "chains" };
	char path[FW_PATH_MAX * 2];

	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, subdirs[i]);
		remove_pins(path, strcmp(subdirs[i], "maps") == 0 || strcmp(subdirs[i], "chains") == 0);
	}
	snprintf(path, sizeof(path), "%s/state", root);
	unlink(path);
	return rmdir(root) < 0 && errno != ENOENT ? -errno : 0;
}

int fw_cmd_ebpf_clean(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pin-root", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	const char *root = FW_PIN_ROOT_DEFAULT;
	struct fw_registry reg;
	struct fw_error err = {};
	bool json = false;
	size_t n;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
		if (c == 'p')
			root = optarg;
		else if (c == 'j')
			json = true;
		else
			return 2;
	}
	fw_log_set_level(FW_LOG_WARN);
	/* The registry holds the pin root's lock: a running daemon makes this
	 * fail with its pid, and no daemon starts on the root until it is gone. */
	ret = fw_registry_open(&reg, root, &err);
	n = reg.n_progs;
	if (!ret)
		ret = fw_reconcile_remove_all(&reg, &err);
	if (!ret)
		ret = remove_tree(root);
	fw_registry_close(&reg);
	if (ret && !err.code)
		fw_error_set(&err, ret, "removing %s: %s", root, strerror(-ret));
	if (json) {
		json_t *out = ret ? json_pack("{s:s}", "error", err.msg)
				  : json_pack("{s:I, s:s}", "removed", (json_int_t)n, "pin_root", root);

		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(out);
	} else if (ret) {
		fprintf(stderr, "flywall ebpf clean: %s\n", err.msg);
	} else {
		printf("removed %zu program%s and everything pinned under %s\n", n,
		       n == 1 ? "" : "s", root);
	}
	fw_error_clear(&err);
	return ret ? 1 : 0;
}
