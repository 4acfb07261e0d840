// SPDX-License-Identifier: MIT
/*
 * The daemon's side of ddos_filter's rule plane: the rules calls of struct
 * fw_api_backend (ctx is the daemon), the configuration's `rule` blocks, and
 * the `rules` program extension. The rule set lives in the program's pinned
 * maps (rule_defs of the live generation), so there is nothing to rebuild
 * after a restart: every change reads the live set, edits it and compiles
 * the result into the inactive generation, then flips (src/ebpf/rules.c).
 * d->rules.lock orders the changes.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/backend_internal.h"
#include "daemon/program_ext.h"
#include "daemon/rules.h"
#include "ebpf/pins.h"
#include "ebpf/rules.h"
#include "flywall/ddos.h"

/* The pin root, if the daemon runs program (under the daemon lock). */
static int program_root(struct fw_daemon *d, const char *program, char *root, size_t size,
			struct fw_error *err)
{
	bool found;

	fw_daemon_lock(d);
	found = fw_registry_find(&d->reg, program) != NULL;
	snprintf(root, size, "%s", d->reg.root);
	fw_daemon_unlock(d);
	if (!found)
		return fw_error_set(err, ENOENT, "no program named \"%s\"", program);
	return 0;
}

int fw_rule_plane_map_fd(struct fw_daemon *d, const char *program, const char *map,
			 struct fw_error *err)
{
	char root[sizeof(d->reg.root)], path[FW_PATH_MAX];
	int ret = program_root(d, program, root, sizeof(root), err), fd;

	if (ret)
		return ret;
	fw_pins_map_path(root, program, map, path);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return fw_error_set(err, EINVAL, "program %s has no %s map (is it a ddos_filter?)",
				    program, map);
	return fd;
}

static int open_maps(struct fw_daemon *d, const char *program, struct fw_rules_maps *m,
		     struct fw_error *err)
{
	char root[sizeof(d->reg.root)];
	int ret = program_root(d, program, root, sizeof(root), err);

	return ret ? ret : fw_rules_maps_open(m, root, program, err);
}

/* A rule from its JSON form; err names the field ("rules[2]: rule \"x\": dport: ..."). */
static int rule_from_json(json_t *j, struct fw_rule_def *out, struct fw_error *err)
{
	static const char *const known[] = { "name", "action", "proto", "src", "dst", "dport",
					     "tcp_flags", "rate_pps", "position" };
	struct fw_rule_fields f = { .rate_pps = -1 };
	const char **text[] = { &f.name, &f.action, &f.proto, &f.src, &f.dst, &f.dport,
				&f.tcp_flags };
	char port[16], field[32];
	const char *key;
	json_t *v;

	if (!json_is_object(j))
		return fw_error_set(err, EINVAL, "a rule is a JSON object");
	json_object_foreach(j, key, v) {
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(key, known[i]))
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			return fw_error_set(err, EINVAL, "unknown rule field \"%.40s\" (known: name, action, proto, src, dst, dport, tcp_flags, rate_pps, position)", key);
		if (i < sizeof(text) / sizeof(text[0])) {
			if (!strcmp(key, "dport") && json_is_integer(v)) {
				snprintf(port, sizeof(port), "%lld", (long long)json_integer_value(v));
				f.dport = port;
			} else if (json_is_string(v)) {
				*text[i] = json_string_value(v);
			} else {
				return fw_error_set(err, EINVAL, "rule field \"%s\" must be a string", key);
			}
		} else if (!strcmp(key, "rate_pps")) {
			if (!json_is_integer(v))
				return fw_error_set(err, EINVAL, "rule field \"rate_pps\" must be an integer");
			f.rate_pps = json_integer_value(v);
		}
	}
	return fw_rule_from_fields(&f, out, field, sizeof(field), err);
}

static json_t *listing(struct fw_daemon *d, const char *program,
		       const struct fw_rules_maps *m, const struct fw_rule_def *defs, size_t n)
{
	json_t *rules = json_array(), *out, *prog = NULL, *args;
	struct fw_error err = { 0 };

	for (size_t i = 0; i < n; i++)
		json_array_append_new(rules, fw_rule_to_json(m, &defs[i]));
	out = json_pack("{s:s, s:I, s:o}", "program", program, "count", (json_int_t)n,
			"rules", rules);
	if (!d->backend.program(d, program, &prog, &err)) {
		args = json_object_get(prog, "args");
		json_object_set(out, "shadow_mode", json_object_get(args, "shadow_mode") ?: json_null());
		json_object_set(out, "under_attack", json_object_get(args, "under_attack") ?: json_null());
	}
	json_decref(prog);
	fw_error_clear(&err);
	return out;
}

int fw_rules_list(void *ctx, const char *program, json_t **out, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_rules_maps m;
	struct fw_rule_def *defs = NULL;
	size_t n;
	int ret = open_maps(d, program, &m, err);

	if (ret)
		return ret;
	ret = fw_rules_read(&m, &defs, &n, err);
	if (!ret)
		*out = listing(d, program, &m, defs, n);
	free(defs);
	fw_rules_maps_close(&m);
	return ret;
}

int fw_rules_add(void *ctx, const char *program, json_t *rule, json_t **out,
		 struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	json_t *pos = json_object_get(rule, "position");
	struct fw_rule_def def, *defs = NULL, *more;
	struct fw_rules_maps m;
	size_t n, at;
	int ret;

	ret = rule_from_json(rule, &def, err);
	if (ret)
		return ret;
	if (pos && (!json_is_integer(pos) || json_integer_value(pos) < 0))
		return fw_error_set(err, EINVAL, "\"position\" must be an integer >= 0");
	ret = open_maps(d, program, &m, err);
	if (ret)
		return ret;
	pthread_mutex_lock(&d->rules.lock);
	ret = fw_rules_read(&m, &defs, &n, err);
	if (ret)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(defs[i].name, def.name)) {
			ret = fw_error_set(err, EEXIST, "program %s has a rule named \"%s\" already",
					   program, def.name);
			goto out;
		}
	more = realloc(defs, (n + 1) * sizeof(*defs));
	if (!more) {
		ret = fw_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	defs = more;
	at = pos && (size_t)json_integer_value(pos) < n ? (size_t)json_integer_value(pos) : n;
	memmove(&defs[at + 1], &defs[at], (n - at) * sizeof(*defs));
	defs[at] = def;
	ret = fw_rules_apply(&m, defs, n + 1, err);
	if (!ret)
		*out = fw_rule_to_json(&m, &defs[at]);
out:
	pthread_mutex_unlock(&d->rules.lock);
	free(defs);
	fw_rules_maps_close(&m);
	return ret;
}

int fw_rules_delete(void *ctx, const char *program, const char *rule, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_rule_def *defs = NULL;
	struct fw_rules_maps m;
	size_t n, i;
	int ret = open_maps(d, program, &m, err);

	if (ret)
		return ret;
	pthread_mutex_lock(&d->rules.lock);
	ret = fw_rules_read(&m, &defs, &n, err);
	if (ret)
		goto out;
	for (i = 0; i < n && strcmp(defs[i].name, rule); i++)
		;
	if (i == n) {
		ret = fw_error_set(err, ENOENT, "program %s has no rule named \"%s\"", program, rule);
		goto out;
	}
	memmove(&defs[i], &defs[i + 1], (n - i - 1) * sizeof(*defs));
	ret = fw_rules_apply(&m, defs, n - 1, err);
out:
	pthread_mutex_unlock(&d->rules.lock);
	free(defs);
	fw_rules_maps_close(&m);
	return ret;
}

int fw_rules_replace(void *ctx, const char *program, json_t *rules, json_t **out,
		     struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	size_t n = json_array_size(rules);
	struct fw_rule_def *defs;
	struct fw_rules_maps m;
	int ret;

	if (!json_is_array(rules))
		return fw_error_set(err, EINVAL, "\"rules\" must be an array of rules");
	if (n > FW_RULES_MAX)
		return fw_error_set(err, E2BIG, "%zu rules: at most %d", n, FW_RULES_MAX);
	defs = calloc(n ? n : 1, sizeof(*defs));
	if (!defs)
		return fw_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		ret = rule_from_json(json_array_get(rules, i), &defs[i], err);
		if (ret) {
			fw_error_wrap(err, "rules[%zu]", i);
			free(defs);
			return ret;
		}
	}
	ret = open_maps(d, program, &m, err);
	if (ret) {
		free(defs);
		return ret;
	}
	pthread_mutex_lock(&d->rules.lock);
	ret = fw_rules_apply(&m, defs, n, err);
	pthread_mutex_unlock(&d->rules.lock);
	if (!ret)
		*out = listing(d, program, &m, defs, n);
	free(defs);
	fw_rules_maps_close(&m);
	return ret;
}

/*
 * Lock-out safety: the address of the SSH session the daemon was started
 * from ($SSH_CONNECTION: "client-ip client-port server-ip server-port") goes
 * into the allowlist of every program with the rule plane, so no rule, feed
 * or under-attack mode cuts the operator off. FLYWALL_PROTECT_SESSION=0
 * turns it off.
 */
static void protect_session(struct fw_daemon *d, const char *program)
{
	const char *conn = getenv("SSH_CONNECTION"), *off = getenv("FLYWALL_PROTECT_SESSION");
	struct fw_lpm_key key = { .prefixlen = 128 };
	struct fw_list_entry forever = { 0 };
	char addr[INET6_ADDRSTRLEN + 1];
	struct fw_error err = { 0 };
	struct in_addr v4;
	int fd;

	if (!conn || (off && !strcmp(off, "0")) || sscanf(conn, "%46s", addr) != 1)
		return;
	if (inet_pton(AF_INET, addr, &v4) == 1) {
		key.addr[10] = key.addr[11] = 0xff;
		memcpy(key.addr + 12, &v4, 4);
	} else if (inet_pton(AF_INET6, addr, key.addr) != 1) {
		return;
	}
	fd = fw_rule_plane_map_fd(d, program, "allowlist", &err);
	fw_error_clear(&err);
	if (fd < 0)
		return;
	if (bpf_map_update_elem(fd, &key, &forever, 0) == 0)
		fw_info("%s: allowlisted %s, the SSH session this daemon was started from (FLYWALL_PROTECT_SESSION=0 turns this off)",
			program, addr);
	close(fd);
}

/* The configuration's rule blocks (and the session's allowlisting). */
static void apply_configured_rules(struct fw_daemon *d, const struct fw_prog_spec *progs,
				   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct fw_error err = { 0 };
		struct fw_rules_maps m;

		if (progs[i].hook != FW_HOOK_XDP || open_maps(d, progs[i].name, &m, &err)) {
			fw_error_clear(&err);
			continue;
		}
		fw_rules_maps_close(&m);
		protect_session(d, progs[i].name);
	}
	for (size_t i = 0; i < n; i++) {
		struct fw_error err = { 0 };
		struct fw_rules_maps m;
		struct fw_rule_def *copy;
		int ret;

		if (!progs[i].has_rules)
			continue;
		copy = malloc((progs[i].n_rules ? progs[i].n_rules : 1) * sizeof(*copy));
		if (!copy)
			return;
		memcpy(copy, progs[i].rules, progs[i].n_rules * sizeof(*copy));
		ret = open_maps(d, progs[i].name, &m, &err);
		if (!ret) {
			pthread_mutex_lock(&d->rules.lock);
			ret = fw_rules_apply(&m, copy, progs[i].n_rules, &err);
			pthread_mutex_unlock(&d->rules.lock);
			fw_rules_maps_close(&m);
		}
		if (ret)
			fw_err_log("rules of %s: %s", progs[i].name, err.msg);
		else
			fw_info("rules of %s: %zu from the configuration", progs[i].name,
				progs[i].n_rules);
		fw_error_clear(&err);
		free(copy);
	}
}

void fw_rule_plane_configure(struct fw_daemon *d)
{
	apply_configured_rules(d, d->cfg.ebpf.progs, d->cfg.ebpf.n_progs);
	fw_feeds_configure(d);
}

void fw_rule_plane_free(struct fw_daemon *d)
{
	fw_feeds_free(d);
	fw_auto_block_free(d);
}

/* ---- the rules extension ----------------------------------------------------
 * Matched by the maps an object declares. Its configuration step comes after
 * a configuration is applied (fw_rule_plane_configure, from the daemon), not
 * in apply: a change of rule or feed blocks alone keeps the program (they are
 * not in the spec's digest), so reconcile calls no hook for it; apply runs
 * before the maps are pinned; and a feed's file must not be read under the
 * daemon lock that reconcile holds. Its tick, once a second on the
 * housekeeping thread: the feeds' refresh checks, then automatic blocking. */

static bool declares_rule_plane(struct bpf_object *obj)
{
	static const char *const maps[] = { "rule_defs", "feed_cidrs", "talkers" };

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (!bpf_object__find_map_by_name(obj, maps[i]))
			return false;
	return true;
}

static void tick(struct fw_daemon *d)
{
	fw_feeds_tick(d);
	if (!fw_backend_stopping(d))
		fw_auto_block_tick(d);
}

const struct fw_program_ext fw_ext_rules = {
	.name = "rules",
	.matches = declares_rule_plane,
	.tick = tick,
};
