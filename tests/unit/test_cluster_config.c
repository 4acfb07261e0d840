// SPDX-License-Identifier: MIT
/*
 * The cluster {} block: a full block loads with every field where it belongs
 * and its defaults; each bad block gets its exact message at its exact
 * line:col, all errors at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ebpf_config.h"
#include "config/hcl.h"

#include "config_load.h"

static void test_full_block(void **state)
{
	struct loaded *l = load("cluster {\n"
				"  servers = [\"nats://10.0.0.1:4222\", \"tls://nats.example.org:4222\"]\n"
				"  node = \"edge-1\"\n  stream = \"FLEET_A\"\n"
				"  credentials = \"nats/edge.creds\"\n  tls_ca = \"/etc/ssl/ca.pem\"\n"
				"  tls_cert = \"c.pem\"\n  tls_key = \"k.pem\"\n"
				"  shared = [\"blocklist\", \"allowlist\"]\n  replicas = 3\n"
				"  apply_wait_ms = 2000\n  snapshot_every = 0\n}\n");
	const struct fw_cluster_config *c = &l->cfg.cluster;

	assert_int_equal(l->count, 0);
	assert_true(c->enabled);
	assert_int_equal(c->n_servers, 2);
	assert_string_equal(c->servers[1], "tls://nats.example.org:4222");
	assert_string_equal(c->node, "edge-1");
	assert_string_equal(c->stream, "FLEET_A");
	assert_string_equal(c->credentials, "/etc/flywall/nats/edge.creds");
	assert_string_equal(c->tls_ca, "/etc/ssl/ca.pem");
	assert_string_equal(c->tls_cert, "/etc/flywall/c.pem");
	assert_string_equal(c->tls_key, "/etc/flywall/k.pem");
	assert_int_equal(c->shared, FW_SHARE_BLOCKLIST | FW_SHARE_ALLOWLIST);
	assert_int_equal(c->replicas, 3);
	assert_int_equal(c->apply_wait_ms, 2000);
	assert_int_equal(c->snapshot_every, 0);
	unload(l);
}

static void test_defaults(void **state)
{
	struct loaded *l = load("cluster {\n  servers = [\"nats://127.0.0.1:4222\"]\n}\n");
	const struct fw_cluster_config *c = &l->cfg.cluster;
	json_t *j;

	assert_int_equal(l->count, 0);
	assert_string_equal(c->stream, "FLYWALL");
	assert_true(c->node[0] != '\0');
	assert_null(strchr(c->node, '.'));
	assert_int_equal(c->shared, FW_SHARE_BLOCKLIST | FW_SHARE_CIDR_BLOCKLIST);
	assert_int_equal(c->replicas, 1);
	assert_int_equal(c->apply_wait_ms, FW_CLUSTER_APPLY_WAIT_DEFAULT_MS);
	assert_int_equal(c->snapshot_every, 10000);
	j = fw_config_to_json(&l->cfg);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		json_object_get(j, "cluster"), "shared"), 1)), "cidr_blocklist");
	json_decref(j);
	unload(l);
}

static void test_no_block_no_cluster(void **state)
{
	struct loaded *l = load("api {\n}\n");
	json_t *j;

	assert_int_equal(l->count, 0);
	assert_false(l->cfg.cluster.enabled);
	j = fw_config_to_json(&l->cfg);
	assert_null(json_object_get(j, "cluster"));
	json_decref(j);
	unload(l);
}

struct bad_case {
	const char *name;
	const char *text;
	struct { unsigned line, col; const char *msg; } errors[6];
};

static const struct bad_case bad_cases[] = {
	{ "no_servers", "cluster {\n  node = \"a\"\n}\n",
	  { { 1, 1, "cluster needs servers = [\"nats://HOST:4222\", ...]" } } },
	{ "servers_not_list", "cluster {\n  servers = \"nats://a:4222\"\n}\n",
	  { { 2, 13, "servers must be a list of URLs, such as [\"nats://10.0.0.1:4222\"]" } } },
	{ "bad_urls", "cluster {\n  servers = [\"http://a:4222\", \"nats://a:99999\", 7, \"nats://\"]\n}\n",
	  { { 2, 14, "servers takes URLs such as \"nats://10.0.0.1:4222\" or \"tls://nats.example.org:4222\"; found \"http://a:4222\"" },
	    { 2, 31, "servers takes URLs such as \"nats://10.0.0.1:4222\" or \"tls://nats.example.org:4222\"; found \"nats://a:99999\"" },
	    { 2, 49, "each server must be a string" },
	    { 2, 52, "servers takes URLs such as \"nats://10.0.0.1:4222\" or \"tls://nats.example.org:4222\"; found \"nats://\"" } } },
	{ "empty_servers", "cluster {\n  servers = []\n}\n",
	  { { 2, 13, "servers is empty; name at least one NATS server" } } },
	{ "bad_names", "cluster {\n  servers = [\"nats://a:4222\"]\n  node = \"edge.1\"\n  stream = \"\"\n}\n",
	  { { 3, 10, "node takes letters, digits, '-' and '_'; found \"edge.1\"" },
	    { 4, 12, "stream must be 1 to 63 characters; found \"\"" } } },
	{ "shared_unknown_and_twice",
	  "cluster {\n  servers = [\"nats://a:4222\"]\n  shared = [\"blocklst\", \"allowlist\", \"allowlist\", \"rules\"]\n}\n",
	  { { 3, 13, "unknown set \"blocklst\" in shared; did you mean \"blocklist\"?" },
	    { 3, 38, "shared names \"allowlist\" twice" },
	    { 3, 51, "unknown set \"rules\" in shared; the sets are blocklist, cidr_blocklist and allowlist" } } },
	{ "numbers_out_of_range",
	  "cluster {\n  servers = [\"nats://a:4222\"]\n  replicas = 7\n  apply_wait_ms = 1.5\n  snapshot_every = -1\n}\n",
	  { { 3, 14, "replicas must be a whole number from 1 to 5" },
	    { 4, 19, "apply_wait_ms must be a whole number from 100 to 60000" },
	    { 5, 20, "snapshot_every must be a whole number from 0 to 100000000" } } },
	{ "cert_without_key", "cluster {\n  servers = [\"nats://a:4222\"]\n  tls_cert = \"c.pem\"\n}\n",
	  { { 3, 3, "tls_cert and tls_key go together: set both or neither" } } },
	{ "unknown_field_duplicate_label_block",
	  "cluster \"x\" {\n  servers = [\"nats://a:4222\"]\n  server = 1\n  node = \"a\"\n  node = \"b\"\n  nats {\n  }\n}\n",
	  { { 1, 9, "cluster takes no label: write cluster { ... }" },
	    { 3, 3, "unknown field \"server\" in cluster; did you mean \"servers\"?" },
	    { 5, 3, "duplicate field \"node\"; it was first set on line 4" },
	    { 6, 3, "unexpected block \"nats\" in cluster; cluster holds only fields" } } },
	{ "duplicate_block", "cluster {\n  servers = [\"nats://a:4222\"]\n}\ncluster {\n}\n",
	  { { 4, 1, "duplicate cluster block; the first is on line 1 (a file holds one)" } } },
};

static void run_bad_case(void **state)
{
	const struct bad_case *c = *state;
	struct loaded *l = load(c->text);
	size_t want = 0;

	while (want < 6 && c->errors[want].msg)
		want++;
	for (size_t i = 0; i < want && i < l->diags.count; i++) {
		const struct hcl_diag *d = &l->diags.items[i];

		if (strcmp(d->message, c->errors[i].msg) || d->pos.line != c->errors[i].line ||
		    d->pos.col != c->errors[i].col) {
			print_error("error %zu: want %u:%u: %s\n", i, c->errors[i].line,
				    c->errors[i].col, c->errors[i].msg);
			print_error("          got %s", d->rendered);
			fail();
		}
	}
	if ((size_t)l->count != want) {
		char *all = hcl_diags_render(&l->diags);

		print_error("want %zu errors, got %d:\n%s", want, l->count, all);
		free(all);
		fail();
	}
	unload(l);
}

int main(void)
{
	struct CMUnitTest tests[3 + sizeof(bad_cases) / sizeof(bad_cases[0])] = {
		cmocka_unit_test(test_full_block),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_no_block_no_cluster),
	};
	size_t n = 3;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++, n++)
		tests[n] = (struct CMUnitTest){ bad_cases[i].name, run_bad_case, NULL, NULL,
						(void *)&bad_cases[i] };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
