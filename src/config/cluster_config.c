// SPDX-License-Identifier: MIT
/* The `cluster {}` block (see cluster_config.h and docs/cluster.md). */
#include <ctype.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/cluster_config.h"
#include "config/ebpf_config.h"
#include "config/hcl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define report(d, pos, ...) hcl_diag_add((d), (pos), __VA_ARGS__)

static const char *const set_names[] = { "blocklist", "cidr_blocklist", "allowlist" };

const char *fw_cluster_set_name(enum fw_cluster_set set)
{
	for (size_t i = 0; i < ARRAY_SIZE(set_names); i++)
		if (set == 1u << i)
			return set_names[i];
	return "?";
}

void fw_cluster_config_defaults(struct fw_cluster_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	if (gethostname(cfg->node, sizeof(cfg->node)) || !cfg->node[0])
		strcpy(cfg->node, "flywall");
	cfg->node[sizeof(cfg->node) - 1] = '\0';
	for (char *p = cfg->node; *p; p++)      /* a host name may hold dots */
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			*p = '_';
	strcpy(cfg->stream, FW_CLUSTER_DEFAULT_STREAM);
	cfg->shared = FW_SHARE_BLOCKLIST | FW_SHARE_CIDR_BLOCKLIST;
	cfg->replicas = 1;
	cfg->apply_wait_ms = FW_CLUSTER_APPLY_WAIT_DEFAULT_MS;
	cfg->snapshot_every = FW_CLUSTER_SNAPSHOT_EVERY_DEFAULT;
}

static bool is_string(struct hcl_diags *d, const struct hcl_value *v, const char *what)
{
	if (v->type == HCL_STRING)
		return true;
	report(d, v->pos, "%s must be a string", what);
	return false;
}

/* A name NATS accepts as a stream name and we accept as a node name:
 * letters, digits, '-' and '_' (no '.', '*', '>' or spaces). */
static bool name_ok(struct hcl_diags *d, const struct hcl_attr *a, char *out)
{
	const struct hcl_value *v = a->value;

	if (!is_string(d, v, a->key))
		return false;
	if (!v->str.len || v->str.len >= FW_CLUSTER_NAME_MAX) {
		report(d, v->pos, "%s must be 1 to %d characters; found \"%s\"", a->key,
		       FW_CLUSTER_NAME_MAX - 1, v->str.s);
		return false;
	}
	for (const char *p = v->str.s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			report(d, v->pos, "%s takes letters, digits, '-' and '_'; found \"%s\"",
			       a->key, v->str.s);
			return false;
		}
	memcpy(out, v->str.s, v->str.len + 1);
	return true;
}

/* nats://host:port or tls://host:port (user:password@ allowed, as NATS). */
static bool url_ok(const char *s)
{
	const char *rest, *host_end;

	if (!strncmp(s, "nats://", 7))
		rest = s + 7;
	else if (!strncmp(s, "tls://", 6))
		rest = s + 6;
	else
		return false;
	if (strchr(rest, '@'))
		rest = strrchr(rest, '@') + 1;
	host_end = strrchr(rest, ':');
	if (!*rest || host_end == rest || strpbrk(rest, " /?#"))
		return false;
	if (host_end) {
		char *end;
		long port = strtol(host_end + 1, &end, 10);

		if (*end || end == host_end + 1 || port < 1 || port > 65535)
			return false;
	}
	return true;
}

static void check_servers(struct hcl_diags *d, const struct hcl_attr *a,
			  struct fw_cluster_config *cfg)
{
	if (a->value->type != HCL_LIST) {
		report(d, a->value->pos, "servers must be a list of URLs, such as [\"nats://10.0.0.1:4222\"]");
		return;
	}
	for (const struct hcl_value *v = a->value->items; v; v = v->next) {
		if (!is_string(d, v, "each server"))
			continue;
		if (cfg->n_servers == FW_CLUSTER_SERVERS_MAX) {
			report(d, v->pos, "servers holds at most %d URLs", FW_CLUSTER_SERVERS_MAX);
			return;
		}
		if (v->str.len >= FW_CLUSTER_URL_MAX || !url_ok(v->str.s)) {
			report(d, v->pos, "servers takes URLs such as \"nats://10.0.0.1:4222\" or \"tls://nats.example.org:4222\"; found \"%.200s\"",
			       v->str.s);
			continue;
		}
		memcpy(cfg->servers[cfg->n_servers++], v->str.s, v->str.len + 1);
	}
	if (!a->value->items)
		report(d, a->value->pos, "servers is empty; name at least one NATS server");
}

static void check_shared(struct hcl_diags *d, const struct hcl_attr *a,
			 struct fw_cluster_config *cfg)
{
	if (a->value->type != HCL_LIST) {
		report(d, a->value->pos, "shared must be a list of set names (blocklist, cidr_blocklist, allowlist)");
		return;
	}
	cfg->shared = 0;
	for (const struct hcl_value *v = a->value->items; v; v = v->next) {
		size_t i;

		if (!is_string(d, v, "each shared set"))
			continue;
		for (i = 0; i < ARRAY_SIZE(set_names); i++)
			if (!strcmp(v->str.s, set_names[i]))
				break;
		if (i == ARRAY_SIZE(set_names)) {
			const char *hint = fw_suggest(v->str.s, set_names, ARRAY_SIZE(set_names));

			if (hint)
				report(d, v->pos, "unknown set \"%s\" in shared; did you mean \"%s\"?",
				       v->str.s, hint);
			else
				report(d, v->pos, "unknown set \"%s\" in shared; the sets are blocklist, cidr_blocklist and allowlist",
				       v->str.s);
		} else if (cfg->shared & (1u << i)) {
			report(d, v->pos, "shared names \"%s\" twice", v->str.s);
		} else {
			cfg->shared |= 1u << i;
		}
	}
}

static void check_file(struct hcl_diags *d, const char *config_dir, const struct hcl_attr *a,
		       char *out)
{
	struct fw_error err = { 0 };

	if (!is_string(d, a->value, a->key))
		return;
	if (!a->value->str.len) {
		report(d, a->value->pos, "%s is empty; leave it out instead", a->key);
		return;
	}
	if (fw_path_resolve(config_dir, a->value->str.s, out, FW_PATH_MAX, &err))
		report(d, a->value->pos, "%s: %s", a->key, err.msg);
}

static void check_number(struct hcl_diags *d, const struct hcl_attr *a, int64_t lo, int64_t hi,
			 int64_t *out)
{
	const struct hcl_value *v = a->value;

	if (v->type != HCL_NUMBER || !v->num.is_int || v->num.i < lo || v->num.i > hi) {
		report(d, v->pos, "%s must be a whole number from %lld to %lld", a->key,
		       (long long)lo, (long long)hi);
		return;
	}
	*out = v->num.i;
}

void fw_cluster_config_check(struct hcl_diags *d, const char *config_dir,
			     const struct hcl_block *b, struct fw_cluster_config *cfg)
{
	static const char *const fields[] = { "servers", "node", "stream", "credentials",
					      "tls_ca", "tls_cert", "tls_key", "shared",
					      "replicas", "apply_wait_ms", "snapshot_every" };
	const struct hcl_attr *servers = NULL, *cert = NULL, *key = NULL;

	cfg->enabled = true;
	if (b->n_labels)
		report(d, b->labels->pos, "cluster takes no label: write cluster { ... }");
	for (const struct hcl_attr *a = b->body.attrs; a && !hcl_diags_full(d); a = a->next) {
		const struct hcl_attr *first = NULL;
		int64_t n;

		for (const struct hcl_attr *e = b->body.attrs; e != a; e = e->next)
			if (!first && !strcmp(e->key, a->key))
				first = e;
		if (first) {
			report(d, a->pos, "duplicate field \"%s\"; it was first set on line %u",
			       a->key, first->pos.line);
			continue;
		}
		if (!strcmp(a->key, "servers")) {
			servers = a;
			check_servers(d, a, cfg);
		} else if (!strcmp(a->key, "node")) {
			name_ok(d, a, cfg->node);
		} else if (!strcmp(a->key, "stream")) {
			name_ok(d, a, cfg->stream);
		} else if (!strcmp(a->key, "credentials")) {
			check_file(d, config_dir, a, cfg->credentials);
		} else if (!strcmp(a->key, "tls_ca")) {
			check_file(d, config_dir, a, cfg->tls_ca);
		} else if (!strcmp(a->key, "tls_cert")) {
			cert = a;
			check_file(d, config_dir, a, cfg->tls_cert);
		} else if (!strcmp(a->key, "tls_key")) {
			key = a;
			check_file(d, config_dir, a, cfg->tls_key);
		} else if (!strcmp(a->key, "shared")) {
			check_shared(d, a, cfg);
		} else if (!strcmp(a->key, "replicas")) {
			n = cfg->replicas;
			check_number(d, a, 1, 5, &n);
			cfg->replicas = (int)n;
		} else if (!strcmp(a->key, "apply_wait_ms")) {
			n = cfg->apply_wait_ms;
			check_number(d, a, 100, 60000, &n);
			cfg->apply_wait_ms = (uint32_t)n;
		} else if (!strcmp(a->key, "snapshot_every")) {
			n = cfg->snapshot_every;
			check_number(d, a, 0, 100000000, &n);
			cfg->snapshot_every = (uint32_t)n;
		} else {
			const char *hint = fw_suggest(a->key, fields, ARRAY_SIZE(fields));

			if (hint)
				report(d, a->pos, "unknown field \"%s\" in cluster; did you mean \"%s\"?",
				       a->key, hint);
			else
				report(d, a->pos, "unknown field \"%s\" in cluster", a->key);
		}
	}
	if (!servers)
		report(d, b->pos, "cluster needs servers = [\"nats://HOST:4222\", ...]");
	if (!!cert != !!key)
		report(d, (cert ? cert : key)->pos, "tls_cert and tls_key go together: set both or neither");
	for (const struct hcl_block *nb = b->body.blocks; nb && !hcl_diags_full(d); nb = nb->next)
		report(d, nb->pos, "unexpected block \"%s\" in cluster; cluster holds only fields",
		       nb->type);
}

json_t *fw_cluster_config_to_json(const struct fw_cluster_config *cfg)
{
	json_t *servers = json_array(), *shared = json_array();

	for (size_t i = 0; i < cfg->n_servers; i++)
		json_array_append_new(servers, json_string(cfg->servers[i]));
	for (size_t i = 0; i < ARRAY_SIZE(set_names); i++)
		if (cfg->shared & (1u << i))
			json_array_append_new(shared, json_string(set_names[i]));
	return json_pack("{s:b, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:i, s:I}",
			 "enabled", cfg->enabled, "servers", servers, "node", cfg->node,
			 "stream", cfg->stream, "credentials", cfg->credentials,
			 "tls_ca", cfg->tls_ca, "tls_cert", cfg->tls_cert, "tls_key", cfg->tls_key,
			 "shared", shared, "replicas", cfg->replicas,
			 "apply_wait_ms", (int)cfg->apply_wait_ms,
			 "snapshot_every", (json_int_t)cfg->snapshot_every);
}
