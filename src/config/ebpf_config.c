// SPDX-License-Identifier: MIT
/*
 * The schema: walks the HCL tree of a configuration file, checks every field
 * against what its block allows, and fills struct fw_config. It never stops
 * at the first problem: each one becomes a positioned diagnostic, so a user
 * fixes a file in one round. Single fields are parsed by ebpf_fields.c,
 * which the REST API shares.
 */
#include "config/ebpf_config.h"
#include "ebpf/feeds.h"
#include "ebpf/rules.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/hcl.h"
#include "ebpf/hook_ops.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct checker {
	struct hcl_diags *diags;
	struct fw_config *cfg;
	char config_dir[FW_PATH_MAX];   /* relative paths resolve against it */
	bool program_dir_ok;
	size_t progs_cap;               /* room in cfg->ebpf.progs */
};

#define report(c, pos, ...) hcl_diag_add((c)->diags, (pos), __VA_ARGS__)

/* Enough errors: stop walking (see HCL_MAX_DIAGS). */
static bool full(const struct checker *c)
{
	return hcl_diags_full(c->diags);
}

static const char *a_type(enum hcl_type type)
{
	switch (type) {
	case HCL_BOOL: return "a bool";
	case HCL_NUMBER: return "a number";
	case HCL_STRING: return "a string";
	case HCL_LIST: return "a list";
	case HCL_OBJECT: return "an object";
	default: return "null";
	}
}

/* "what must be a T; found a U", at the value. False when the type is wrong. */
static bool want(struct checker *c, const struct hcl_value *v, enum hcl_type type,
		 const char *what)
{
	if (v->type == type)
		return true;
	report(c, v->pos, "%s must be %s; found %s", what, a_type(type), a_type(v->type));
	return false;
}

static bool get_bool(struct checker *c, const struct hcl_attr *a, bool *out)
{
	if (!want(c, a->value, HCL_BOOL, a->key))
		return false;
	*out = a->value->b;
	return true;
}

/* A string that fits in size bytes (with its NUL). */
static bool get_string(struct checker *c, const struct hcl_attr *a, char *out, size_t size)
{
	const struct hcl_value *v = a->value;

	if (!want(c, v, HCL_STRING, a->key))
		return false;
	if (v->str.len >= size) {
		report(c, v->pos, "%s is longer than %zu characters", a->key, size - 1);
		return false;
	}
	memcpy(out, v->str.s, v->str.len + 1);
	return true;
}

/* f as the shortest text that reads back as f: 1.5, 0.1, 1e+30. */
static const char *show_number(double f, char buf[32])
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, 32, "%.*g", prec, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	return buf;
}

/*
 * A whole number, however it is written: 1000, 1e3 and 1000.0 are the same
 * number in HCL (the parser makes every whole number that fits int64 an
 * integer). A fraction, or a whole number beyond int64, is reported here,
 * naming the field.
 */
static bool get_integer(struct checker *c, const struct hcl_value *v, const char *what,
			int64_t *out)
{
	char shown[32];

	if (!want(c, v, HCL_NUMBER, what))
		return false;
	if (v->num.is_int) {
		*out = v->num.i;
		return true;
	}
	if (v->num.f == floor(v->num.f))
		report(c, v->pos, "%s is beyond the 64-bit integer range; found %s", what,
		       show_number(v->num.f, shown));
	else
		report(c, v->pos, "%s must be a whole number; found %s", what,
		       show_number(v->num.f, shown));
	return false;
}

/* Reports err (from a field parser) at pos; false when there was one. */
static bool ok_or_report(struct checker *c, struct hcl_pos pos, int ret, const struct fw_error *err)
{
	if (ret)
		report(c, pos, "%s", err->msg);
	return ret == 0;
}

/* ---- generic body checks -------------------------------------------- */

static const struct hcl_attr *find_earlier(const struct hcl_attr *list,
					   const struct hcl_attr *a)
{
	for (; list && list != a; list = list->next)
		if (strcmp(list->key, a->key) == 0)
			return list;
	return NULL;
}

/* An attribute set twice: reported at the second. True when a is a repeat. */
static bool is_duplicate(struct checker *c, const struct hcl_attr *list,
			 const struct hcl_attr *a, const char *what)
{
	const struct hcl_attr *first = find_earlier(list, a);

	if (first)
		report(c, a->pos, "duplicate %s \"%s\"; it was first set on line %u",
		       what, a->key, first->pos.line);
	return first != NULL;
}

static void report_unknown(struct checker *c, struct hcl_pos pos, const char *what,
			   const char *word, const char *where,
			   const char *const *choices, size_t n)
{
	const char *hint = fw_suggest(word, choices, n);

	if (hint)
		report(c, pos, "unknown %s \"%s\" in %s; did you mean \"%s\"?", what, word, where, hint);
	else
		report(c, pos, "unknown %s \"%s\" in %s", what, word, where);
}

static void report_labels(struct checker *c, const struct hcl_block *b)
{
	if (b->n_labels)
		report(c, b->labels->pos, "%s takes no label: write %s { ... }", b->type, b->type);
}

/* ---- program blocks -------------------------------------------------- */

struct prog_field {
	const char *name;
	/* which hooks take it (ebpf/hook_ops.h); 0: every hook takes it */
	enum fw_hook_field field;
	bool (*apply)(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a);
};

static bool apply_program(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	struct fw_error err = { 0 };
	char path[FW_PATH_MAX];

	if (!get_string(c, a, path, sizeof(path)))
		return false;
	if (!path[0]) {
		report(c, a->value->pos, "program is empty; expected the path of an eBPF object (.o)");
		return false;
	}
	if (!c->program_dir_ok)
		return true; /* reported at program_dir */
	return ok_or_report(c, a->value->pos,
			    fw_path_resolve(c->cfg->ebpf.program_dir, path, spec->object,
					    sizeof(spec->object), &err), &err);
}

static bool apply_interface(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	struct fw_error err = { 0 };

	if (!want(c, a->value, HCL_STRING, a->key))
		return false;
	if (!ok_or_report(c, a->value->pos, fw_ifname_valid(a->value->str.s, &err), &err))
		return false;
	strcpy(spec->interface, a->value->str.s);
	return true;
}

static bool apply_direction(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	struct fw_error err = { 0 };

	return want(c, a->value, HCL_STRING, a->key) &&
	       ok_or_report(c, a->value->pos,
			    fw_tc_direction_parse(a->value->str.s, &spec->direction, &err), &err);
}

static bool apply_mode(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	struct fw_error err = { 0 };

	return want(c, a->value, HCL_STRING, a->key) &&
	       ok_or_report(c, a->value->pos,
			    fw_xdp_mode_parse(a->value->str.s, &spec->xdp_mode, &err), &err);
}

static bool apply_priority(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	struct fw_error err = { 0 };
	int64_t n;

	if (!get_integer(c, a->value, a->key, &n) ||
	    !ok_or_report(c, a->value->pos, fw_priority_valid(n, &err), &err))
		return false;
	spec->has_priority = true;
	spec->priority = (int32_t)n;
	return true;
}

static bool apply_tracepoint(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	struct fw_error err = { 0 };

	if (!want(c, a->value, HCL_STRING, a->key) ||
	    !ok_or_report(c, a->value->pos, fw_tracepoint_valid(a->value->str.s, &err), &err))
		return false;
	strcpy(spec->tracepoint, a->value->str.s);
	return true;
}

static bool apply_function(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	struct fw_error err = { 0 };

	if (!want(c, a->value, HCL_STRING, a->key) ||
	    !ok_or_report(c, a->value->pos, fw_function_valid(a->value->str.s, &err), &err))
		return false;
	strcpy(spec->function, a->value->str.s);
	return true;
}

static bool apply_sockets(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	bool ok = true;

	if (!want(c, a->value, HCL_LIST, a->key))
		return false;
	if (!a->value->items) {
		report(c, a->value->pos, "sockets must name at least one service: \"dns\" or \"dhcp\"");
		return false;
	}
	for (const struct hcl_value *v = a->value->items; v && !full(c); v = v->next) {
		struct fw_error err = { 0 };
		enum fw_service svc;

		if (!want(c, v, HCL_STRING, "each socket") ||
		    !ok_or_report(c, v->pos, fw_service_parse(v->str.s, &svc, &err), &err)) {
			ok = false;
			continue;
		}
		if (spec->services & svc) {
			report(c, v->pos, "socket service \"%s\" is listed twice", v->str.s);
			ok = false;
		}
		spec->services |= svc;
	}
	return ok;
}

/* One map of `maps = { NAME = { type = ..., size = ... } }`. */
static bool check_map(struct checker *c, const struct hcl_attr *m, struct fw_map_override *out)
{
	static const char *const keys[] = { "type", "size" };
	const struct hcl_attr *type = NULL, *size = NULL;
	struct fw_error err = { 0 };
	bool ok = true;
	char where[FW_NAME_MAX + 8];

	strcpy(out->name, m->key);
	if (m->value->type != HCL_OBJECT) {
		report(c, m->value->pos, "map \"%s\" must be an object such as { type = \"hash\", size = 1024 }; found %s",
		       m->key, a_type(m->value->type));
		return false;
	}
	snprintf(where, sizeof(where), "map \"%s\"", m->key);
	for (const struct hcl_attr *a = m->value->attrs; a && !full(c); a = a->next) {
		if (is_duplicate(c, m->value->attrs, a, "field")) {
			ok = false;
		} else if (strcmp(a->key, "type") == 0) {
			type = a;
			ok &= want(c, a->value, HCL_STRING, "type") &&
			      ok_or_report(c, a->value->pos,
					   fw_map_type_parse(a->value->str.s, &out->type, &err), &err);
		} else if (strcmp(a->key, "size") == 0) {
			int64_t n;

			size = a;
			ok &= get_integer(c, a->value, "size", &n) &&
			      ok_or_report(c, a->value->pos, fw_map_size_valid(n, &err), &err);
			if (ok)
				out->size = n;
		} else {
			report_unknown(c, a->pos, "field", a->key, where, keys, ARRAY_SIZE(keys));
			ok = false;
		}
	}
	if (ok && !type && !size) {
		report(c, m->value->pos, "map \"%s\" sets neither type nor size", m->key);
		return false;
	}
	if (ok && size && !ok_or_report(c, size->value->pos,
					fw_map_override_valid(out->type, out->size, &err), &err))
		return false;
	/* Without a size the map gets map_size, which must suit its type too. */
	if (ok && !size && fw_map_override_valid(out->type, c->cfg->ebpf.map_size, &err)) {
		report(c, type->value->pos, "%s; this map sets no size, so it would get map_size = %u",
		       err.msg, c->cfg->ebpf.map_size);
		return false;
	}
	return ok;
}

static size_t count_attrs(const struct hcl_attr *a)
{
	size_t n = 0;

	for (; a; a = a->next)
		n++;
	return n;
}

/* Keeps duplicate checks (quadratic) cheap on any input. */
static bool within_limit(struct checker *c, const struct hcl_attr *a, const char *what, size_t limit)
{
	size_t n = count_attrs(a->value->attrs);

	if (n <= limit)
		return true;
	report(c, a->value->pos, "a program sets at most %zu %s; found %zu", limit, what, n);
	return false;
}

static bool apply_maps(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	bool ok = true;

	if (a->value->type != HCL_OBJECT) {
		report(c, a->value->pos, "maps must be an object such as maps = { NAME = { type = \"hash\", size = 1024 } }; found %s",
		       a_type(a->value->type));
		return false;
	}
	if (!within_limit(c, a, "maps", FW_CONFIG_MAX_MAPS))
		return false;
	spec->maps = calloc(count_attrs(a->value->attrs) + 1, sizeof(*spec->maps));
	if (!spec->maps) {
		report(c, a->pos, "maps: out of memory");
		return false;
	}
	for (const struct hcl_attr *m = a->value->attrs; m && !full(c); m = m->next) {
		struct fw_error err = { 0 };

		if (is_duplicate(c, a->value->attrs, m, "map") ||
		    !ok_or_report(c, m->pos, fw_map_name_valid(m->key, &err), &err) ||
		    !check_map(c, m, &spec->maps[spec->n_maps])) {
			ok = false;
			continue;
		}
		spec->n_maps++;
	}
	return ok;
}

static bool check_arg(struct checker *c, const struct hcl_attr *m, struct fw_arg *arg)
{
	const struct hcl_value *v = m->value;

	strcpy(arg->name, m->key);
	switch (v->type) {
	case HCL_BOOL:
		arg->kind = FW_ARG_BOOL;
		arg->b = v->b;
		return true;
	case HCL_STRING:
		arg->kind = FW_ARG_STRING;
		arg->s = strdup(v->str.s);
		if (!arg->s) {
			report(c, m->pos, "arg %s: out of memory", m->key);
			return false;
		}
		return true;
	case HCL_NUMBER:
		if (v->num.is_int) {
			arg->kind = FW_ARG_INT;
			arg->i = v->num.i;
			return true;
		}
		if (v->num.f == floor(v->num.f) && fabs(v->num.f) >= 9223372036854775808.0) {
			report(c, v->pos, "arg \"%s\" does not fit in a 64-bit integer", m->key);
			return false;
		}
		arg->kind = FW_ARG_FLOAT;
		arg->f = v->num.f;
		return true;
	default:
		report(c, v->pos, "arg \"%s\" must be a number, bool or string; found %s",
		       m->key, a_type(v->type));
		return false;
	}
}

static bool apply_args(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	bool ok = true;

	if (a->value->type != HCL_OBJECT) {
		report(c, a->value->pos, "args must be an object such as args = { max_pps = 1000000 }; found %s",
		       a_type(a->value->type));
		return false;
	}
	if (!within_limit(c, a, "args", FW_CONFIG_MAX_ARGS))
		return false;
	spec->args = calloc(count_attrs(a->value->attrs) + 1, sizeof(*spec->args));
	if (!spec->args) {
		report(c, a->pos, "args: out of memory");
		return false;
	}
	for (const struct hcl_attr *m = a->value->attrs; m && !full(c); m = m->next) {
		struct fw_error err = { 0 };

		if (is_duplicate(c, a->value->attrs, m, "arg") ||
		    !ok_or_report(c, m->pos, fw_arg_name_valid(m->key, &err), &err) ||
		    !check_arg(c, m, &spec->args[spec->n_args])) {
			ok = false;
			continue;
		}
		spec->n_args++;
	}
	return ok;
}

/* rate or burst: a string with a unit, or a whole number of bits. */
static bool get_quantity(struct checker *c, const struct hcl_attr *a, uint64_t *out,
			 int (*parse)(const char *, uint64_t *, struct fw_error *))
{
	struct fw_error err = { 0 };
	int64_t n;

	if (a->value->type == HCL_STRING)
		return ok_or_report(c, a->value->pos, parse(a->value->str.s, out, &err), &err);
	if (a->value->type != HCL_NUMBER) {
		report(c, a->value->pos, "%s must be a string such as \"1gbit\" or a number of bits; found %s",
		       a->key, a_type(a->value->type));
		return false;
	}
	if (!get_integer(c, a->value, a->key, &n))
		return false;
	if (n < 1) {
		report(c, a->value->pos, "%s must be at least 1 bit; found %lld", a->key, (long long)n);
		return false;
	}
	*out = n;
	return true;
}

static bool apply_shaping(struct checker *c, struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	static const char *const keys[] = { "rate", "burst" };
	bool ok = true, has_rate = false;

	if (a->value->type != HCL_OBJECT) {
		report(c, a->value->pos, "shaping must be an object such as shaping = { rate = \"1gbit\", burst = \"100mbit\" }; found %s",
		       a_type(a->value->type));
		return false;
	}
	for (const struct hcl_attr *s = a->value->attrs; s && !full(c); s = s->next) {
		if (is_duplicate(c, a->value->attrs, s, "field")) {
			ok = false;
		} else if (strcmp(s->key, "rate") == 0) {
			has_rate = true;
			ok &= get_quantity(c, s, &spec->shaping.rate_bps, fw_rate_parse);
		} else if (strcmp(s->key, "burst") == 0) {
			ok &= get_quantity(c, s, &spec->shaping.burst_bits, fw_burst_parse);
		} else {
			report_unknown(c, s->pos, "field", s->key, "shaping", keys, ARRAY_SIZE(keys));
			ok = false;
		}
	}
	if (!has_rate) {
		report(c, a->value->pos, "shaping needs a rate, such as rate = \"1gbit\"");
		ok = false;
	}
	spec->shaping.set = ok;
	return ok;
}

static const struct prog_field prog_fields[] = {
	{ "program", 0, apply_program },
	{ "interface", FW_FIELD_INTERFACE, apply_interface },
	{ "direction", FW_FIELD_DIRECTION, apply_direction },
	{ "mode", FW_FIELD_MODE, apply_mode },
	{ "priority", FW_FIELD_PRIORITY, apply_priority },
	{ "maps", 0, apply_maps },
	{ "args", 0, apply_args },
	{ "shaping", FW_FIELD_SHAPING, apply_shaping },
	{ "sockets", FW_FIELD_SOCKETS, apply_sockets },
	{ "tracepoint", FW_FIELD_TRACEPOINT, apply_tracepoint },
	{ "function", FW_FIELD_FUNCTION, apply_function },
};

static const struct prog_field *find_prog_field(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(prog_fields); i++)
		if (strcmp(prog_fields[i].name, name) == 0)
			return &prog_fields[i];
	return NULL;
}

/* Every hook needs its program; the rest is the hook's to say. */
static bool field_required(const struct prog_field *f, enum fw_hook hook)
{
	return f->apply == apply_program || (f->field && fw_hook_requires(hook, f->field));
}

/* How messages name a program block: xdp "ddos_filter", or "this xdp block". */
static const char *block_where(const struct hcl_block *b, char *out, size_t size)
{
	if (b->labels)
		snprintf(out, size, "%s \"%.63s\"", b->type, b->labels->text);
	else
		snprintf(out, size, "this %s block", b->type);
	return out;
}

static void check_prog_attr(struct checker *c, const struct hcl_block *b,
			    struct fw_prog_spec *spec, const struct hcl_attr *a)
{
	const struct prog_field *f = find_prog_field(a->key);
	char where[128], belongs[96];

	if (!f) {
		const char *names[ARRAY_SIZE(prog_fields)];

		for (size_t i = 0; i < ARRAY_SIZE(prog_fields); i++)
			names[i] = prog_fields[i].name;
		report_unknown(c, a->pos, "field", a->key, block_where(b, where, sizeof(where)),
			       names, ARRAY_SIZE(names));
		return;
	}
	if (f->field && !fw_hook_takes(spec->hook, f->field)) {
		fw_hooks_taking(f->field, belongs, sizeof(belongs));
		report(c, a->pos, "%s is not valid in %s blocks; it belongs in %s blocks",
		       a->key, b->type, belongs);
		return;
	}
	f->apply(c, spec, a);
}

static void check_required(struct checker *c, const struct hcl_block *b,
			   const struct fw_prog_spec *spec)
{
	char where[128];

	for (size_t i = 0; i < ARRAY_SIZE(prog_fields); i++) {
		const struct hcl_attr *a = b->body.attrs;

		if (!field_required(&prog_fields[i], spec->hook))
			continue;
		while (a && strcmp(a->key, prog_fields[i].name) != 0)
			a = a->next;
		if (!a)
			report(c, b->pos, "%s is missing the required field \"%s\"",
			       block_where(b, where, sizeof(where)), prog_fields[i].name);
	}
}

/* Program names are global: API URLs and bpffs pins use them. */
static bool check_prog_name(struct checker *c, const struct hcl_block *b)
{
	const struct hcl_label *label = b->labels;
	struct fw_error err = { 0 };

	if (!label) {
		report(c, b->pos, "%s block needs a name: %s \"NAME\" { ... }", b->type, b->type);
		return false;
	}
	if (label->next) {
		report(c, label->next->pos, "%s block takes one name; found %zu labels",
		       b->type, b->n_labels);
		return false;
	}
	if (!ok_or_report(c, label->pos, fw_prog_name_valid(label->text, &err), &err))
		return false;
	for (size_t i = 0; i < c->cfg->ebpf.n_progs; i++) {
		const struct fw_prog_spec *other = &c->cfg->ebpf.progs[i];

		if (strcmp(other->name, label->text) == 0) {
			report(c, label->pos, "duplicate program name \"%s\"; %s \"%s\" already uses it (names are shared by all block types)",
			       label->text, fw_hook_name(other->hook), other->name);
			return false;
		}
	}
	return true;
}

/* A hook that holds one program per interface (XDP) shares it only among
 * blocks with priorities (they form a chain); otherwise the second block
 * would replace the first. */
static void check_interface_shared(struct checker *c, const struct hcl_block *b,
				   const struct fw_prog_spec *spec)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(spec->hook);
	char where[128];

	if (!ops || !ops->one_per_interface || !spec->interface[0])
		return;
	for (size_t i = 0; i < c->cfg->ebpf.n_progs; i++) {
		const struct fw_prog_spec *o = &c->cfg->ebpf.progs[i];

		if (o->hook != spec->hook || strcmp(o->interface, spec->interface) ||
		    (o->has_priority && spec->has_priority))
			continue;
		report(c, b->pos, "%s: interface %s already has %s \"%s\"; give both blocks a priority to run them one after the other",
		       block_where(b, where, sizeof(where)), spec->interface, fw_hook_name(o->hook),
		       o->name);
		return;
	}
}

/*
 * `rule "NAME" { action = "drop" proto = "tcp" dport = 23 ... }` in an xdp
 * block: one L4 rule of ddos_filter's rule plane (src/ebpf/rules.h), in file
 * order. A faulty field is reported at its value.
 */
static void check_rule_block(struct checker *c, const struct hcl_block *prog,
			     const struct hcl_block *b, struct fw_prog_spec *spec)
{
	static const char *const fields[] = { "action", "proto", "src", "dst", "dport",
					      "tcp_flags", "rate_pps" };
	char text[6][64], port[16], field[32];
	struct fw_rule_fields f = { .rate_pps = -1 };
	const char **slot[] = { &f.action, &f.proto, &f.src, &f.dst, &f.dport, &f.tcp_flags };
	struct fw_error err = { 0 };
	struct fw_rule_def def, *more;
	bool ok = true;

	spec->has_rules = true;
	if (prog && spec->hook != FW_HOOK_XDP) {
		report(c, b->pos, "rule blocks belong in xdp blocks (ddos_filter's rule plane)");
		return;
	}
	if (!b->labels || b->labels->next) {
		report(c, b->pos, "a rule block takes one label, its name: rule \"NAME\" { ... }");
		return;
	}
	f.name = b->labels->text;
	for (const struct hcl_attr *a = b->body.attrs; a; a = a->next) {
		size_t i;

		if (is_duplicate(c, b->body.attrs, a, "field")) {
			ok = false;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(fields) && strcmp(a->key, fields[i]); i++)
			;
		if (i == ARRAY_SIZE(fields)) {
			report_unknown(c, a->pos, "field", a->key, "rule", fields, ARRAY_SIZE(fields));
			ok = false;
		} else if (!strcmp(a->key, "rate_pps") ||
			   (!strcmp(a->key, "dport") && a->value->type == HCL_NUMBER)) {
			int64_t n;

			if (!get_integer(c, a->value, a->key, &n)) {
				ok = false;
			} else if (!strcmp(a->key, "rate_pps")) {
				f.rate_pps = n;
			} else {
				snprintf(port, sizeof(port), "%lld", (long long)n);
				f.dport = port;
			}
		} else if (get_string(c, a, text[i], sizeof(text[i]))) {
			*slot[i] = text[i];
		} else {
			ok = false;
		}
	}
	if (!ok)
		return;
	if (fw_rule_from_fields(&f, &def, field, sizeof(field), &err)) {
		struct hcl_pos pos = !strcmp(field, "name") ? b->labels->pos : b->pos;

		for (const struct hcl_attr *a = b->body.attrs; a; a = a->next)
			if (!strcmp(a->key, field))
				pos = a->value->pos;
		report(c, pos, "%s", err.msg);
		return;
	}
	for (size_t i = 0; i < spec->n_rules; i++)
		if (!strcmp(spec->rules[i].name, def.name)) {
			report(c, b->labels->pos, "a second rule named \"%s\"", def.name);
			return;
		}
	more = realloc(spec->rules, (spec->n_rules + 1) * sizeof(*more));
	if (!more) {
		report(c, b->pos, "rule \"%s\": out of memory", def.name);
		return;
	}
	spec->rules = more;
	spec->rules[spec->n_rules++] = def;
}

/* "30s", "15m", "1h", "1d" or seconds -> seconds (> 0). */
static bool parse_duration(const char *text, uint32_t *out)
{
	char *end;
	unsigned long long v = strtoull(text, &end, 10);
	unsigned long long unit = !*end ? 1 : !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 :
				  !strcmp(end, "h") ? 3600 : !strcmp(end, "d") ? 86400 : 0;

	if (end == text || !unit || !v || v * unit > UINT32_MAX)
		return false;
	*out = v * unit;
	return true;
}

/* `feed "NAME" { file = "...", refresh = "1h" }` in an xdp block. */
static void check_feed_block(struct checker *c, const struct hcl_block *b,
			     struct fw_prog_spec *spec)
{
	static const char *const fields[] = { "file", "refresh" };
	struct fw_feed_spec feed = { 0 }, *more;
	struct fw_error err = { 0 };
	char text[FW_PATH_MAX];
	bool has_file = false;

	if (spec->hook != FW_HOOK_XDP) {
		report(c, b->pos, "feed blocks belong in xdp blocks (ddos_filter's rule plane)");
		return;
	}
	if (!b->labels || b->labels->next || !b->labels->text[0] ||
	    strlen(b->labels->text) >= sizeof(feed.name)) {
		report(c, b->pos, "a feed block takes one label, its name (1-47 characters): feed \"NAME\" { ... }");
		return;
	}
	snprintf(feed.name, sizeof(feed.name), "%s", b->labels->text);
	for (const struct hcl_attr *a = b->body.attrs; a; a = a->next) {
		if (is_duplicate(c, b->body.attrs, a, "field"))
			continue;
		if (!strcmp(a->key, "file")) {
			has_file = get_string(c, a, text, sizeof(text)) &&
				   ok_or_report(c, a->value->pos,
						fw_path_resolve(c->config_dir, text, feed.file,
								sizeof(feed.file), &err), &err);
		} else if (!strcmp(a->key, "refresh")) {
			if (get_string(c, a, text, sizeof(text)) &&
			    !parse_duration(text, &feed.refresh_s))
				report(c, a->value->pos, "refresh: a duration such as \"30s\", \"15m\", \"1h\" or \"1d\"; found \"%s\"", text);
		} else {
			report_unknown(c, a->pos, "field", a->key, "feed", fields, ARRAY_SIZE(fields));
		}
	}
	if (!has_file) {
		bool given = false;

		for (const struct hcl_attr *a = b->body.attrs; a; a = a->next)
			given |= !strcmp(a->key, "file");
		if (!given)
			report(c, b->pos, "feed \"%s\" needs file = \"PATH\"", feed.name);
		return;
	}
	if (spec->n_feeds == FW_FEEDS_MAX) {
		report(c, b->pos, "at most %d feeds per program", FW_FEEDS_MAX);
		return;
	}
	for (size_t i = 0; i < spec->n_feeds; i++)
		if (!strcmp(spec->feeds[i].name, feed.name)) {
			report(c, b->labels->pos, "a second feed named \"%s\"", feed.name);
			return;
		}
	more = realloc(spec->feeds, (spec->n_feeds + 1) * sizeof(*more));
	if (!more) {
		report(c, b->pos, "feed \"%s\": out of memory", feed.name);
		return;
	}
	spec->feeds = more;
	spec->feeds[spec->n_feeds++] = feed;
}

static void check_prog_block(struct checker *c, const struct hcl_block *b, enum fw_hook hook)
{
	struct fw_ebpf_config *e = &c->cfg->ebpf;
	struct fw_prog_spec *spec;
	char where[128];

	if (e->n_progs == c->progs_cap) {
		/* Doubling: a spec is over 4 KiB, so growing by one would copy a lot. */
		size_t cap = c->progs_cap ? 2 * c->progs_cap : 8;
		struct fw_prog_spec *progs = realloc(e->progs, cap * sizeof(*e->progs));

		if (!progs) {
			report(c, b->pos, "out of memory");
			return;
		}
		e->progs = progs;
		c->progs_cap = cap;
	}
	spec = &e->progs[e->n_progs];
	memset(spec, 0, sizeof(*spec));
	check_prog_name(c, b);
	spec->hook = hook;
	spec->direction = FW_TC_INGRESS;
	spec->xdp_mode = FW_XDP_AUTO;
	spec->default_map_size = e->map_size;
	/* An invalid name still names the block in messages; it loads nothing. */
	snprintf(spec->name, sizeof(spec->name), "%s", b->labels ? b->labels->text : "");

	for (const struct hcl_attr *a = b->body.attrs; a && !full(c); a = a->next)
		if (!is_duplicate(c, b->body.attrs, a, "field"))
			check_prog_attr(c, b, spec, a);
	for (const struct hcl_block *nb = b->body.blocks; nb && !full(c); nb = nb->next) {
		if (!strcmp(nb->type, "rule"))
			check_rule_block(c, b, nb, spec);
		else if (!strcmp(nb->type, "feed"))
			check_feed_block(c, nb, spec);
		else if (find_prog_field(nb->type))
			report(c, nb->pos, "%s is an attribute, not a block: write %s = { ... }",
			       nb->type, nb->type);
		else
			report(c, nb->pos, "unexpected block \"%s\" in %s; program blocks hold only fields",
			       nb->type, block_where(b, where, sizeof(where)));
	}
	check_required(c, b, spec);
	check_interface_shared(c, b, spec);
	/* Kept even when unnamed or faulty: the spec owns memory to release. */
	e->n_progs++;
}

/* ---- ebpf and api blocks --------------------------------------------- */

static const char *const ebpf_fields[] = { "enabled", "program_dir", "map_size", "jit" };

static void check_ebpf_attr(struct checker *c, const struct hcl_attr *a)
{
	struct fw_ebpf_config *e = &c->cfg->ebpf;
	struct fw_error err = { 0 };
	enum fw_hook hook;
	int64_t n;

	if (strcmp(a->key, "enabled") == 0) {
		get_bool(c, a, &e->enabled);
	} else if (strcmp(a->key, "jit") == 0) {
		get_bool(c, a, &e->jit);
	} else if (strcmp(a->key, "map_size") == 0) {
		if (!get_integer(c, a->value, "map_size", &n))
			return;
		if (fw_map_size_valid(n, &err))
			report(c, a->value->pos, "map_size must be between 1 and %u; found %lld",
			       FW_MAP_SIZE_MAX, (long long)n);
		else
			e->map_size = n;
	} else if (strcmp(a->key, "program_dir") == 0) {
		char dir[FW_PATH_MAX];

		c->program_dir_ok = get_string(c, a, dir, sizeof(dir)) &&
			ok_or_report(c, a->value->pos,
				     fw_path_resolve(c->config_dir, dir, e->program_dir,
						     sizeof(e->program_dir), &err), &err);
	} else if (fw_hook_parse(a->key, &hook, &err) == 0) {
		report(c, a->pos, "%s is a block, not an attribute: write %s \"NAME\" { ... }",
		       a->key, a->key);
	} else {
		const char *names[ARRAY_SIZE(ebpf_fields) + FW_HOOK__COUNT];

		for (size_t i = 0; i < ARRAY_SIZE(ebpf_fields); i++)
			names[i] = ebpf_fields[i];
		for (int h = 0; h < FW_HOOK__COUNT; h++)
			names[ARRAY_SIZE(ebpf_fields) + h] = fw_hook_name(h);
		report_unknown(c, a->pos, "field", a->key, "ebpf", names, ARRAY_SIZE(names));
	}
}

static void check_ebpf_block(struct checker *c, const struct hcl_block *b)
{
	report_labels(c, b);
	/* Fields first: programs resolve against program_dir and use map_size. */
	for (const struct hcl_attr *a = b->body.attrs; a && !full(c); a = a->next)
		if (!is_duplicate(c, b->body.attrs, a, "field"))
			check_ebpf_attr(c, a);
	for (const struct hcl_block *pb = b->body.blocks; pb && !full(c); pb = pb->next) {
		const char *names[FW_HOOK__COUNT];
		struct fw_error err = { 0 };
		enum fw_hook hook;

		if (fw_hook_parse(pb->type, &hook, &err) == 0) {
			if (c->cfg->ebpf.n_progs == FW_CONFIG_MAX_PROGS) {
				report(c, pb->pos, "a configuration holds at most %d programs",
				       FW_CONFIG_MAX_PROGS);
				return;
			}
			check_prog_block(c, pb, hook);
			continue;
		}
		for (int h = 0; h < FW_HOOK__COUNT; h++)
			names[h] = fw_hook_name(h);
		if (strcmp(pb->type, "ebpf") == 0)
			report(c, pb->pos, "ebpf blocks cannot be nested");
		else
			report_unknown(c, pb->pos, "block type", pb->type, "ebpf", names, FW_HOOK__COUNT);
	}
}

/* "host:port" or "[v6]:port", port 1-65535. */
static bool listen_valid(const char *s)
{
	const char *colon = strrchr(s, ':'), *p;
	long port;
	char *end;

	if (!colon || colon == s || !colon[1])
		return false;
	if (s[0] == '[' && colon[-1] != ']')
		return false;
	if (s[0] != '[' && memchr(s, ':', colon - s))
		return false; /* a bare IPv6 address needs brackets */
	for (p = s; p < colon; p++)
		if ((unsigned char)*p <= ' ' || *p == '/' || *p == 0x7f)
			return false;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return !*end && !errno && colon[1] != '-' && colon[1] != '+' && port >= 1 && port <= 65535;
}

/* listen = "unix:PATH": PATH resolves like token_file and must fit a
 * sockaddr_un. False after reporting. */
static bool check_unix_listen(struct checker *c, const struct hcl_attr *a,
			      struct fw_api_config *api)
{
	const char *given = api->listen + strlen(FW_API_UNIX_PREFIX);
	char path[FW_PATH_MAX];
	struct fw_error err = { 0 };

	if (!given[0]) {
		report(c, a->value->pos, "listen \"unix:\" needs a path, such as \"unix:/run/flywall/api.sock\"");
		return false;
	}
	if (!ok_or_report(c, a->value->pos, fw_path_resolve(c->config_dir, given, path,
							     sizeof(path), &err), &err))
		return false;
	if (strlen(path) >= FW_API_UNIX_PATH_MAX) {
		report(c, a->value->pos, "listen socket path %s is longer than %d characters (a limit of UNIX sockets); choose a shorter one",
		       path, FW_API_UNIX_PATH_MAX - 1);
		return false;
	}
	snprintf(api->listen, sizeof(api->listen), "%s%s", FW_API_UNIX_PREFIX, path);
	return true;
}

/* A Host header name: letters, digits, '-', '_' and '.', without a port. */
static bool host_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= FW_API_HOST_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return false;
	return true;
}

static void check_allowed_hosts(struct checker *c, const struct hcl_attr *a,
				struct fw_api_config *api)
{
	if (!want(c, a->value, HCL_LIST, a->key))
		return;
	for (const struct hcl_value *v = a->value->items; v && !full(c); v = v->next) {
		if (!want(c, v, HCL_STRING, "each allowed host"))
			continue;
		if (api->n_allowed_hosts == FW_API_ALLOWED_HOSTS_MAX) {
			report(c, v->pos, "allowed_hosts holds at most %d names",
			       FW_API_ALLOWED_HOSTS_MAX);
			return;
		}
		if (!host_name_valid(v->str.s)) {
			report(c, v->pos, "allowed_hosts takes host names such as \"flywall.example.org\" (letters, digits, '-', '_', '.'; no port, any port is accepted); found \"%s\"",
			       v->str.s);
			continue;
		}
		snprintf(api->allowed_hosts[api->n_allowed_hosts++], FW_API_HOST_MAX, "%s",
			 v->str.s);
	}
}

/* A group name or number, checked against the system when the daemon
 * creates the socket. */
static void check_socket_group(struct checker *c, const struct hcl_attr *a,
			       struct fw_api_config *api)
{
	if (!get_string(c, a, api->socket_group, sizeof(api->socket_group)))
		return;
	for (const char *p = api->socket_group; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p)) {
			report(c, a->value->pos, "socket_group takes a group name or number; found \"%s\"",
			       api->socket_group);
			api->socket_group[0] = '\0';
			return;
		}
	if (!api->socket_group[0])
		report(c, a->value->pos, "socket_group is empty; leave it out to keep the daemon's group");
}

static void check_api_block(struct checker *c, const struct hcl_block *b)
{
	static const char *const fields[] = { "listen", "token_file", "allowed_hosts",
					      "read_auth", "socket_group" };
	struct fw_api_config *api = &c->cfg->api;
	const struct hcl_attr *group = NULL, *listen = NULL;

	report_labels(c, b);
	for (const struct hcl_attr *a = b->body.attrs; a && !full(c); a = a->next) {
		struct fw_error err = { 0 };
		char path[FW_PATH_MAX];

		if (is_duplicate(c, b->body.attrs, a, "field"))
			continue;
		if (strcmp(a->key, "listen") == 0) {
			listen = a;
			if (!get_string(c, a, api->listen, sizeof(api->listen)))
				continue;
			if (strncmp(api->listen, FW_API_UNIX_PREFIX, strlen(FW_API_UNIX_PREFIX)) == 0)
				check_unix_listen(c, a, api);
			else if (!listen_valid(api->listen))
				report(c, a->value->pos, "listen must be \"host:port\", such as \"127.0.0.1:8080\" or \"[::1]:8080\", or \"unix:/path/to/socket\"; found \"%s\"",
				       api->listen);
		} else if (strcmp(a->key, "token_file") == 0) {
			if (get_string(c, a, path, sizeof(path)))
				ok_or_report(c, a->value->pos,
					     fw_path_resolve(c->config_dir, path, api->token_file,
							     sizeof(api->token_file), &err), &err);
		} else if (strcmp(a->key, "allowed_hosts") == 0) {
			check_allowed_hosts(c, a, api);
		} else if (strcmp(a->key, "read_auth") == 0) {
			get_bool(c, a, &api->read_auth);
		} else if (strcmp(a->key, "socket_group") == 0) {
			group = a;
			check_socket_group(c, a, api);
		} else {
			report_unknown(c, a->pos, "field", a->key, "api", fields, ARRAY_SIZE(fields));
		}
	}
	if (group && (!listen || strncmp(api->listen, FW_API_UNIX_PREFIX,
					 strlen(FW_API_UNIX_PREFIX)) != 0))
		report(c, group->pos, "socket_group applies only to a UNIX socket: set listen = \"unix:/path/to/socket\" or remove it");
	for (const struct hcl_block *nb = b->body.blocks; nb && !full(c); nb = nb->next)
		report(c, nb->pos, "unexpected block \"%s\" in api; api holds only fields (%s, %s, %s, %s, %s)",
		       nb->type, fields[0], fields[1], fields[2], fields[3], fields[4]);
}

/* ---- the file -------------------------------------------------------- */

static const struct hcl_block *find_earlier_block(const struct hcl_block *list,
						  const struct hcl_block *b)
{
	for (; list && list != b; list = list->next)
		if (strcmp(list->type, b->type) == 0)
			return list;
	return NULL;
}

static void check_top_level(struct checker *c, const struct hcl_body *body)
{
	static const char *const blocks[] = { "ebpf", "api", "cluster" };
	struct fw_error err = { 0 };
	enum fw_hook hook;

	for (const struct hcl_attr *a = body->attrs; a && !full(c); a = a->next)
		report(c, a->pos, "unexpected attribute \"%s\" at the top level; settings go inside ebpf { }, api { } or cluster { }",
		       a->key);
	for (const struct hcl_block *b = body->blocks; b && !full(c); b = b->next) {
		const struct hcl_block *first = find_earlier_block(body->blocks, b);

		if (strcmp(b->type, "ebpf") == 0 || strcmp(b->type, "api") == 0 ||
		    strcmp(b->type, "cluster") == 0) {
			if (first) {
				report(c, b->pos, "duplicate %s block; the first is on line %u (a file holds one)",
				       b->type, first->pos.line);
				continue;
			}
			if (b->type[0] == 'c') {
				fw_cluster_config_check(c->diags, c->config_dir, b, &c->cfg->cluster);
			} else if (b->type[0] == 'e') {
				c->cfg->ebpf.enabled = true; /* the block's presence turns it on */
				check_ebpf_block(c, b);
			} else {
				check_api_block(c, b);
			}
		} else if (fw_hook_parse(b->type, &hook, &err) == 0) {
			report(c, b->pos, "%s blocks go inside ebpf { ... }", b->type);
		} else {
			report_unknown(c, b->pos, "block type", b->type, "the configuration",
				       blocks, ARRAY_SIZE(blocks));
		}
	}
}

static void set_defaults(struct fw_config *cfg, const char *name)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	cfg->ebpf.enabled = false; /* no ebpf block: nothing to load */
	cfg->ebpf.map_size = FW_MAP_SIZE_DEFAULT;
	cfg->ebpf.jit = true;
	strcpy(cfg->ebpf.program_dir, FW_DEFAULT_PROGRAM_DIR);
	strcpy(cfg->api.listen, FW_DEFAULT_API_LISTEN);
	strcpy(cfg->api.token_file, FW_DEFAULT_TOKEN_FILE);
	fw_cluster_config_defaults(&cfg->cluster);
}

/* The absolute directory holding the file `name` (lexically; it need not exist). */
static void config_dir_of(const char *name, char *out, size_t size)
{
	char cwd[FW_PATH_MAX], dir[FW_PATH_MAX], joined[FW_PATH_MAX];
	const char *slash = strrchr(name, '/');
	struct fw_error err = { 0 };

	dir[0] = '\0';
	if (slash == name)
		strcpy(dir, "/");
	else if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name);
	if (dir[0] != '/' && getcwd(cwd, sizeof(cwd))) {
		snprintf(joined, sizeof(joined), "%s", cwd);
		if (fw_path_resolve(joined, dir[0] ? dir : ".", out, size, &err) == 0)
			return;
	} else if (dir[0] == '/' && fw_path_resolve(NULL, dir, out, size, &err) == 0) {
		return;
	}
	snprintf(out, size, "/");
}

int fw_config_load_diags(const char *name, const char *text, size_t len,
			 struct fw_config *cfg, struct hcl_diags *diags)
{
	struct checker c = { .diags = diags, .cfg = cfg, .program_dir_ok = true };
	struct hcl_doc doc;
	size_t before = diags->count;

	set_defaults(cfg, name);
	config_dir_of(name, c.config_dir, sizeof(c.config_dir));
	if (hcl_parse(text, len, &doc, diags) == 0)
		check_top_level(&c, &doc.body);
	hcl_doc_release(&doc);
	hcl_diags_sort(diags);
	if (diags->count > before || diags->out_of_memory) {
		fw_config_release(cfg);
		return diags->count - before + diags->out_of_memory;
	}
	return 0;
}

int fw_config_read_file(const char *path, char **text, size_t *len, struct fw_error *err)
{
	size_t cap = 65536, used = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fw_error_set(err, errno, "cannot read %s: %s", path, strerror(errno));
	buf = malloc(cap + 1);
	for (;;) {
		ssize_t n;

		if (!buf) {
			close(fd);
			return fw_error_set(err, ENOMEM, "cannot read %s: out of memory", path);
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			close(fd);
			return fw_error_set(err, e, "cannot read %s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		used += n;
		if (used > FW_CONFIG_FILE_MAX) {
			free(buf);
			close(fd);
			return fw_error_set(err, EFBIG, "cannot read %s: larger than %u bytes",
					    path, FW_CONFIG_FILE_MAX);
		}
		if (used == cap) {
			char *bigger;

			cap *= 2;
			bigger = realloc(buf, cap + 1);
			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	close(fd);
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

/* Renders diags into *errors (malloc'd) for the text-only entry points. */
static int finish_text(struct hcl_diags *diags, int count, char **errors)
{
	if (errors)
		*errors = count ? hcl_diags_render(diags) : NULL;
	hcl_diags_release(diags);
	return count;
}

int fw_config_load_string(const char *name, const char *text, size_t len,
			  struct fw_config *cfg, char **errors)
{
	struct hcl_diags diags;

	hcl_diags_init(&diags, name, text, len);
	return finish_text(&diags, fw_config_load_diags(name, text, len, cfg, &diags), errors);
}

int fw_config_load_file(const char *path, struct fw_config *cfg, char **errors)
{
	struct fw_error err = { 0 };
	struct hcl_diags diags;
	char *text = NULL;
	size_t len = 0;
	int count;

	if (fw_config_read_file(path, &text, &len, &err)) {
		hcl_diags_init(&diags, path, "", 0);
		hcl_diag_add(&diags, (struct hcl_pos){ 0 }, "%s", err.msg);
		set_defaults(cfg, path);
		return finish_text(&diags, 1, errors);
	}
	hcl_diags_init(&diags, path, text, len);
	count = fw_config_load_diags(path, text, len, cfg, &diags);
	count = finish_text(&diags, count, errors);
	free(text);
	return count;
}

void fw_config_release(struct fw_config *cfg)
{
	for (size_t i = 0; i < cfg->ebpf.n_progs; i++)
		fw_prog_spec_release(&cfg->ebpf.progs[i]);
	free(cfg->ebpf.progs);
	cfg->ebpf.progs = NULL;
	cfg->ebpf.n_progs = 0;
}

/* ---- JSON ------------------------------------------------------------ */

static json_t *arg_to_json(const struct fw_arg *arg)
{
	switch (arg->kind) {
	case FW_ARG_INT: return json_integer(arg->i);
	case FW_ARG_BOOL: return json_boolean(arg->b);
	case FW_ARG_FLOAT: return json_real(arg->f);
	default: return json_string(arg->s);
	}
}

static json_t *sockets_to_json(uint32_t services)
{
	json_t *socks = json_array();

	for (unsigned bit = 1; bit && bit <= FW_SVC_DHCP; bit <<= 1)
		if (services & bit)
			json_array_append_new(socks, json_string(fw_service_name(bit)));
	return socks;
}

/* The fields the spec's hook takes (an optional interface or shaping only
 * when set), in the order the configuration reference lists them. */
static void add_hook_fields(json_t *o, const struct fw_prog_spec *spec)
{
	enum fw_hook h = spec->hook;

	if (fw_hook_takes(h, FW_FIELD_INTERFACE) &&
	    (spec->interface[0] || fw_hook_requires(h, FW_FIELD_INTERFACE)))
		json_object_set_new(o, "interface", json_string(spec->interface));
	if (fw_hook_takes(h, FW_FIELD_MODE))
		json_object_set_new(o, "mode", json_string(fw_xdp_mode_name(spec->xdp_mode)));
	if (fw_hook_takes(h, FW_FIELD_DIRECTION))
		json_object_set_new(o, "direction",
				    json_string(fw_tc_direction_name(spec->direction)));
	if (fw_hook_takes(h, FW_FIELD_PRIORITY) && spec->has_priority)
		json_object_set_new(o, "priority", json_integer(spec->priority));
	if (fw_hook_takes(h, FW_FIELD_SHAPING) && spec->shaping.set)
		json_object_set_new(o, "shaping",
				    json_pack("{s:I, s:I}",
					      "rate_bps", (json_int_t)spec->shaping.rate_bps,
					      "burst_bits", (json_int_t)spec->shaping.burst_bits));
	if (fw_hook_takes(h, FW_FIELD_SOCKETS))
		json_object_set_new(o, "sockets", sockets_to_json(spec->services));
	if (fw_hook_takes(h, FW_FIELD_TRACEPOINT))
		json_object_set_new(o, "tracepoint", json_string(spec->tracepoint));
	if (fw_hook_takes(h, FW_FIELD_FUNCTION))
		json_object_set_new(o, "function", json_string(spec->function));
}

json_t *fw_prog_spec_to_json(const struct fw_prog_spec *spec)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "name", spec->name,
			      "hook", fw_hook_name(spec->hook), "object", spec->object);
	json_t *maps = json_array(), *args = json_object();

	add_hook_fields(o, spec);
	json_object_set_new(o, "default_map_size", json_integer(spec->default_map_size));
	for (size_t i = 0; i < spec->n_maps; i++) {
		const struct fw_map_override *m = &spec->maps[i];
		json_t *jm = json_pack("{s:s}", "name", m->name);

		if (m->type != FW_MAP_DEFAULT)
			json_object_set_new(jm, "type", json_string(fw_map_type_name(m->type)));
		if (m->size)
			json_object_set_new(jm, "size", json_integer(m->size));
		json_array_append_new(maps, jm);
	}
	json_object_set_new(o, "maps", maps);
	for (size_t i = 0; i < spec->n_args; i++)
		json_object_set_new(args, spec->args[i].name, arg_to_json(&spec->args[i]));
	json_object_set_new(o, "args", args);
	return o;
}

json_t *fw_config_to_json(const struct fw_config *cfg)
{
	json_t *progs = json_array(), *hosts = json_array(), *o;

	for (size_t i = 0; i < cfg->ebpf.n_progs; i++)
		json_array_append_new(progs, fw_prog_spec_to_json(&cfg->ebpf.progs[i]));
	for (size_t i = 0; i < cfg->api.n_allowed_hosts; i++)
		json_array_append_new(hosts, json_string(cfg->api.allowed_hosts[i]));
	o = json_pack("{s:s, s:{s:b, s:s, s:i, s:b, s:o}, s:{s:s, s:s, s:o, s:b, s:s}}",
			 "file", cfg->path,
			 "ebpf",
			 "enabled", cfg->ebpf.enabled,
			 "program_dir", cfg->ebpf.program_dir,
			 "map_size", (int)cfg->ebpf.map_size,
			 "jit", cfg->ebpf.jit,
			 "programs", progs,
			 "api",
			 "listen", cfg->api.listen,
			 "token_file", cfg->api.token_file,
			 "allowed_hosts", hosts,
			 "read_auth", cfg->api.read_auth,
			 "socket_group", cfg->api.socket_group);
	if (o && cfg->cluster.enabled)
		json_object_set_new(o, "cluster", fw_cluster_config_to_json(&cfg->cluster));
	return o;
}
