// SPDX-License-Identifier: MIT
/* `flywall ebpf cluster status`: the daemon's view of the fleet it shares
 * its lists with (GET /api/ebpf/cluster; docs/cluster.md). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/ebpf_client_cmds.h"

static const char *text_or(json_t *o, const char *key, const char *fallback)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && s[0] ? s : fallback;
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* "12:03:04 UTC" of a time in Unix milliseconds, "-" for none. */
static const char *clock_text(long long ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, size, "-");
	return buf;
}

static void print_status(json_t *s)
{
	char when[40];
	json_t *node, *set;
	size_t i;

	if (!json_is_true(json_object_get(s, "enabled"))) {
		printf("cluster:  none (the configuration has no cluster block)\n");
		return;
	}
	printf("node:       %s\n", text_or(s, "node", "?"));
	printf("connected:  %s\n", json_is_true(json_object_get(s, "connected")) ?
	       text_or(s, "server", "yes") : "NO (shared sets are read-only here; filtering goes on)");
	printf("stream:     %s (subject %s)\n", text_or(s, "stream", "?"), text_or(s, "subject", "?"));
	printf("shared:    ");
	json_array_foreach(json_object_get(s, "shared"), i, set)
		printf(" %s", json_string_value(set));
	printf("\nsequence:   %lld applied of %lld (lag %lld)\n", num(s, "applied_seq"),
	       num(s, "stream_seq"), num(s, "lag"));
	printf("changes:    %lld published here, %lld applied, %lld could not be applied\n",
	       num(s, "published"), num(s, "applied"), num(s, "apply_errors"));
	printf("last error: %s", text_or(s, "last_error", "none"));
	if (json_string_value(json_object_get(s, "last_error")))
		printf(" (%s)", clock_text(num(s, "last_error_ms"), when, sizeof(when)));
	printf("\n\n%-24s %12s  %s\n", "NODE", "LAST SEQ", "LAST CHANGE");
	json_array_foreach(json_object_get(s, "nodes"), i, node)
		printf("%-24s %12lld  %s\n", text_or(node, "name", "?"), num(node, "last_seq"),
		       clock_text(num(node, "last_change_ms"), when, sizeof(when)));
	if (!json_array_size(json_object_get(s, "nodes")))
		printf("(no change seen yet)\n");
}

int fw_cmd_ebpf_cluster_status(int argc, char **argv)
{
	struct fw_client cl;
	json_t *out = NULL;
	long status = 0;
	int first, ret;

	ret = fw_client_init(&cl, argc, argv, &first);
	if (ret)
		return ret;
	if (first < argc && argv[first])
		return fw_client_usage_word("cluster status", "", "unexpected argument", argv[first]);
	ret = fw_client_call(&cl, "GET", "/api/ebpf/cluster", NULL, false, &status, &out);
	if (ret)
		return ret;
	if (status >= 400 || !out) {
		fw_client_print_error(&cl, status, out);
		json_decref(out);
		return FW_EXIT_FAIL;
	}
	if (cl.json) {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_status(out);
	}
	json_decref(out);
	return 0;
}
