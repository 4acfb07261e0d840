// SPDX-License-Identifier: MIT
/*
 * Parsers and checks for single fields of a program description. They know
 * nothing of HCL: the config module and the REST API both call them, so a
 * user gets the same message whether a value came from a file or from JSON.
 */
#include "config/ebpf_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <unistr.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- suggestions ----------------------------------------------------- */

/* Optimal string alignment distance (a swap of neighbours costs 1), case-folded. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t *prev2, *prev, *cur, *rows, d;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	rows = calloc(3 * (lb + 1), sizeof(*rows));
	if (!rows)
		return SIZE_MAX;
	prev2 = rows;
	prev = rows + lb + 1;
	cur = rows + 2 * (lb + 1);
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = prev[j] + 1;

			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (prev[j - 1] + cost < best)
				best = prev[j - 1] + cost;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		size_t *t = prev2;

		prev2 = prev;
		prev = cur;
		cur = t;
	}
	d = prev[lb];
	free(rows);
	return d;
}

const char *fw_suggest(const char *word, const char *const *choices, size_t n)
{
	size_t len = strlen(word), limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	size_t best = SIZE_MAX;
	const char *found = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (!choices[i])
			continue;
		d = edit_distance(word, choices[i]);
		if (d <= limit && d < best) {
			best = d;
			found = choices[i];
		}
	}
	return found;
}

/* "a, b, c or d" */
static void join_choices(char *out, size_t size, const char *const *choices, size_t n)
{
	size_t used = 0, last = SIZE_MAX;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (choices[i])
			last = i;
	for (size_t i = 0, k = 0; i < n && used < size; i++) {
		if (!choices[i])
			continue;
		used += snprintf(out + used, size - used, "%s%s",
				 k == 0 ? "" : i == last ? " or " : ", ", choices[i]);
		k++;
	}
}

/* Looks text up in a table of names indexed by enum value. */
static int parse_enum(const char *text, const char *const *names, size_t n,
		      const char *what, int *out, struct fw_error *err)
{
	char expected[256];
	const char *hint;

	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(text, names[i]) == 0) {
			*out = i;
			return 0;
		}
	hint = fw_suggest(text, names, n);
	if (hint)
		return fw_error_set(err, EINVAL, "unknown %s \"%.64s\"; did you mean \"%s\"?",
				    what, text, hint);
	join_choices(expected, sizeof(expected), names, n);
	return fw_error_set(err, EINVAL, "unknown %s \"%.64s\"; expected %s", what, text, expected);
}

/* ---- enums ----------------------------------------------------------- */

int fw_hook_parse(const char *text, enum fw_hook *hook, struct fw_error *err)
{
	const char *names[FW_HOOK__COUNT];
	int v, ret;

	for (int i = 0; i < FW_HOOK__COUNT; i++)
		names[i] = fw_hook_name(i);
	ret = parse_enum(text, names, FW_HOOK__COUNT, "hook", &v, err);
	if (!ret)
		*hook = v;
	return ret;
}

int fw_map_type_parse(const char *text, enum fw_map_type *type, struct fw_error *err)
{
	const char *names[FW_MAP__COUNT];
	int v, ret;

	names[FW_MAP_DEFAULT] = NULL; /* internal: "keep the object's type" */
	for (int i = 1; i < FW_MAP__COUNT; i++)
		names[i] = fw_map_type_name(i);
	ret = parse_enum(text, names, FW_MAP__COUNT, "map type", &v, err);
	if (!ret)
		*type = v;
	return ret;
}

int fw_tc_direction_parse(const char *text, enum fw_tc_direction *dir, struct fw_error *err)
{
	if (strcmp(text, "ingress") == 0) {
		*dir = FW_TC_INGRESS;
		return 0;
	}
	if (strcmp(text, "egress") == 0) {
		*dir = FW_TC_EGRESS;
		return 0;
	}
	return fw_error_set(err, EINVAL, "direction must be \"ingress\" or \"egress\"; found \"%.64s\"",
			    text);
}

int fw_xdp_mode_parse(const char *text, enum fw_xdp_mode *mode, struct fw_error *err)
{
	/* In the order a user reads them: the explicit modes, then the default. */
	static const char *const names[] = { "native", "generic", "auto" };
	static const enum fw_xdp_mode modes[] = { FW_XDP_NATIVE, FW_XDP_GENERIC, FW_XDP_AUTO };
	int v, ret = parse_enum(text, names, ARRAY_SIZE(names), "XDP mode", &v, err);

	if (!ret)
		*mode = modes[v];
	return ret;
}

static const char *const service_names[] = { "dns", "dhcp" };

int fw_service_parse(const char *text, enum fw_service *svc, struct fw_error *err)
{
	int v, ret = parse_enum(text, service_names, ARRAY_SIZE(service_names),
				"socket service", &v, err);

	if (!ret)
		*svc = 1u << v;
	return ret;
}

const char *fw_service_name(enum fw_service svc)
{
	for (size_t i = 0; i < ARRAY_SIZE(service_names); i++)
		if (svc == 1u << i)
			return service_names[i];
	return "?";
}

/* ---- rates and bursts ------------------------------------------------ */

struct unit {
	const char *name;
	uint64_t bits;  /* bits per unit */
};

/* tc(8)'s rate units: "bit" counts bits, "bps" counts bytes. */
static const struct unit rate_units[] = {
	{ "bit", 1 },
	{ "kbit", 1000ull }, { "mbit", 1000000ull }, { "gbit", 1000000000ull },
	{ "tbit", 1000000000000ull },
	{ "kibit", 1ull << 10 }, { "mibit", 1ull << 20 }, { "gibit", 1ull << 30 },
	{ "tibit", 1ull << 40 },
	{ "bps", 8 },
	{ "kbps", 8000ull }, { "mbps", 8000000ull }, { "gbps", 8000000000ull },
	{ "tbps", 8000000000000ull },
	{ "kibps", 8ull << 10 }, { "mibps", 8ull << 20 }, { "gibps", 8ull << 30 },
	{ "tibps", 8ull << 40 },
};

/* Parses "<number><unit>" where the unit is one of rate_units (or none: bits). */
static int parse_quantity(const char *text, const char *what, const char *example,
			  uint64_t *out, struct fw_error *err)
{
	const char *names[ARRAY_SIZE(rate_units)];
	char unit[16];
	const char *p = text, *hint;
	double number, bits;
	size_t digits = 0, i;
	char *end;

	while (isdigit((unsigned char)*p) || *p == '.') {
		digits += isdigit((unsigned char)*p) != 0;
		p++;
	}
	if (!digits)
		return fw_error_set(err, EINVAL, "invalid %s \"%.64s\"; expected a number and a unit, such as %s",
				    what, text, example);
	errno = 0;
	number = strtod(text, &end);
	if (end != p || errno)
		return fw_error_set(err, EINVAL, "invalid %s \"%.64s\"; expected a number and a unit, such as %s",
				    what, text, example);
	while (*p == ' ')
		p++;
	if (strlen(p) >= sizeof(unit))
		goto bad_unit;
	for (i = 0; p[i]; i++)
		unit[i] = tolower((unsigned char)p[i]);
	unit[i] = '\0';

	if (!unit[0]) {
		bits = number;
	} else {
		for (i = 0; i < ARRAY_SIZE(rate_units); i++)
			if (strcmp(unit, rate_units[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(rate_units))
			goto bad_unit;
		bits = number * rate_units[i].bits;
	}
	if (bits < 1)
		return fw_error_set(err, EINVAL, "%s \"%.64s\" must be at least 1 bit", what, text);
	if (bits >= 9223372036854775808.0) /* 2^63: stays positive wherever it goes */
		return fw_error_set(err, EINVAL, "%s \"%.64s\" is too large", what, text);
	*out = (uint64_t)bits; /* a fraction of a bit is dropped */
	return 0;

bad_unit:
	if (strlen(p) <= 2 && strchr("kmgt", tolower((unsigned char)p[0])) &&
	    (!p[1] || tolower((unsigned char)p[1]) == 'b'))
		return fw_error_set(err, EINVAL, "unit \"%s\" in %s \"%.64s\" is ambiguous; write \"%cbit\" for bits or \"%cbps\" for bytes",
				    p, what, text, tolower((unsigned char)p[0]), tolower((unsigned char)p[0]));
	for (i = 0; i < ARRAY_SIZE(rate_units); i++)
		names[i] = rate_units[i].name;
	hint = fw_suggest(p, names, ARRAY_SIZE(names));
	if (hint)
		return fw_error_set(err, EINVAL, "unknown unit \"%.20s\" in %s \"%.64s\"; did you mean \"%s\"?",
				    p, what, text, hint);
	return fw_error_set(err, EINVAL, "unknown unit \"%.20s\" in %s \"%.64s\"; expected bit, kbit, mbit, gbit, tbit (bits) or bps, kbps, mbps, gbps, tbps (bytes)",
			    p, what, text);
}

int fw_rate_parse(const char *text, uint64_t *bits_per_sec, struct fw_error *err)
{
	return parse_quantity(text, "rate", "\"1gbit\", \"512kbit\" or \"10gbps\"", bits_per_sec, err);
}

int fw_burst_parse(const char *text, uint64_t *bits, struct fw_error *err)
{
	return parse_quantity(text, "burst", "\"100mbit\" or \"64kbps\"", bits, err);
}

/* ---- names ----------------------------------------------------------- */

static bool is_name_char(unsigned char c, const char *extra)
{
	return isalnum(c) || c == '_' || (c && strchr(extra, c));
}

/*
 * Shows the character at s for a message: '.', 'é' (U+00E9, not ASCII), or
 * \xNN when it is not printable (or not UTF-8).
 */
static const char *show_char(const char *s, char buf[40])
{
	unsigned char c = *s;
	ucs4_t uc;
	int n;

	if (c >= 0x20 && c < 0x7f) {
		snprintf(buf, 40, "'%c'", c);
	} else if (c >= 0x80 && (n = u8_mbtouc(&uc, (const uint8_t *)s, strnlen(s, 4))) > 0 &&
		   uc != 0xfffd && !uc_is_general_category(uc, UC_CATEGORY_C)) {
		snprintf(buf, 40, "'%.*s' (U+%04X, not ASCII)", n, s, (unsigned)uc);
	} else {
		snprintf(buf, 40, "\\x%02x", c);
	}
	return buf;
}

static int check_name(const char *name, const char *what, const char *extra,
		      const char *allowed, bool identifier, struct fw_error *err)
{
	size_t len = strlen(name);
	char shown[40];

	if (len == 0)
		return fw_error_set(err, EINVAL, "%s name is empty", what);
	if (len > FW_NAME_MAX - 1)
		return fw_error_set(err, EINVAL, "%s name \"%.40s...\" is longer than %d characters",
				    what, name, FW_NAME_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (!is_name_char(name[i], extra))
			return fw_error_set(err, EINVAL, "%s name \"%s\" contains %s; use only %s",
					    what, name, show_char(name + i, shown), allowed);
	if (identifier && isdigit((unsigned char)name[0]))
		return fw_error_set(err, EINVAL, "%s name \"%s\" starts with a digit; it is a C identifier",
				    what, name);
	return 0;
}

int fw_prog_name_valid(const char *name, struct fw_error *err)
{
	return check_name(name, "program", "-",
			  "letters, digits, '_' and '-' (a '.' separates program and map in API names)",
			  false, err);
}

int fw_map_name_valid(const char *name, struct fw_error *err)
{
	return check_name(name, "map", "",
			  "letters, digits and '_' (the map's C name in the object)", true, err);
}

int fw_arg_name_valid(const char *name, struct fw_error *err)
{
	return check_name(name, "arg", "",
			  "letters, digits and '_' (the global variable's C name in the object)",
			  true, err);
}

int fw_ifname_valid(const char *name, struct fw_error *err)
{
	size_t len = strlen(name);
	char shown[40];

	if (len == 0)
		return fw_error_set(err, EINVAL, "interface name is empty");
	if (len > FW_IFNAME_MAX - 1)
		return fw_error_set(err, EINVAL, "interface name \"%.40s\" is longer than %d characters",
				    name, FW_IFNAME_MAX - 1);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return fw_error_set(err, EINVAL, "\"%s\" is not an interface name", name);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
			return fw_error_set(err, EINVAL, "interface name \"%s\" contains %s, which Linux does not allow",
					    name, show_char(name + i, shown));
	}
	return 0;
}

#define FW_SYMBOL_MAX 127

int fw_tracepoint_valid(const char *text, struct fw_error *err)
{
	const char *colon = strchr(text, ':');
	size_t len = strlen(text);
	char shown[40];

	if (len > FW_SYMBOL_MAX)
		return fw_error_set(err, EINVAL, "tracepoint \"%.40s...\" is longer than %d characters",
				    text, FW_SYMBOL_MAX);
	if (!colon || colon == text || !colon[1])
		return fw_error_set(err, EINVAL, "tracepoint \"%.64s\" must be \"category:name\", such as \"net:netif_receive_skb\"",
				    text);
	for (const char *p = text; *p; p++)
		if (p != colon && !is_name_char(*p, ""))
			return fw_error_set(err, EINVAL, "tracepoint \"%.64s\" contains %s; category and name use only letters, digits and '_'",
					    text, show_char(p, shown));
	return 0;
}

int fw_function_valid(const char *text, struct fw_error *err)
{
	size_t len = strlen(text);
	char shown[40];

	if (len == 0)
		return fw_error_set(err, EINVAL, "function name is empty");
	if (len > FW_SYMBOL_MAX)
		return fw_error_set(err, EINVAL, "function name \"%.40s...\" is longer than %d characters",
				    text, FW_SYMBOL_MAX);
	if (isdigit((unsigned char)text[0]) || text[0] == '.')
		return fw_error_set(err, EINVAL, "function name \"%.64s\" must start with a letter or '_'",
				    text);
	for (size_t i = 0; i < len; i++)
		if (!is_name_char(text[i], "."))
			return fw_error_set(err, EINVAL, "function name \"%.64s\" contains %s; a kernel symbol uses only letters, digits, '_' and '.'",
					    text, show_char(text + i, shown));
	return 0;
}

/* ---- sizes ----------------------------------------------------------- */

int fw_map_size_valid(int64_t size, struct fw_error *err)
{
	if (size < 1 || size > FW_MAP_SIZE_MAX)
		return fw_error_set(err, EINVAL, "size must be between 1 and %u; found %lld",
				    FW_MAP_SIZE_MAX, (long long)size);
	return 0;
}

int fw_priority_valid(int64_t priority, struct fw_error *err)
{
	if (priority < FW_PRIORITY_MIN || priority > FW_PRIORITY_MAX)
		return fw_error_set(err, EINVAL, "priority must be between %d and %d; found %lld",
				    FW_PRIORITY_MIN, FW_PRIORITY_MAX, (long long)priority);
	return 0;
}

#define FW_RINGBUF_MIN 4096u    /* the page size on x86-64 */

int fw_map_override_valid(enum fw_map_type type, uint32_t size, struct fw_error *err)
{
	if (type == FW_MAP_RINGBUF && size &&
	    (size < FW_RINGBUF_MIN || (size & (size - 1))))
		return fw_error_set(err, EINVAL, "a ringbuf's size is its buffer in bytes: a power of two of at least %u; found %u",
				    FW_RINGBUF_MIN, size);
	return 0;
}

/* ---- paths ----------------------------------------------------------- */

/* Appends one component to an absolute path, resolving "." and "..". */
static bool path_push(char *out, size_t size, size_t *len, const char *part, size_t n)
{
	if (n == 0 || (n == 1 && part[0] == '.'))
		return true;
	if (n == 2 && part[0] == '.' && part[1] == '.') {
		while (*len > 1 && out[*len - 1] != '/')
			(*len)--;
		if (*len > 1)
			(*len)--;
		out[*len] = '\0';
		return true;
	}
	if (*len + (*len > 1) + n + 1 > size)
		return false;
	if (*len > 1)
		out[(*len)++] = '/';
	memcpy(out + *len, part, n);
	*len += n;
	out[*len] = '\0';
	return true;
}

static bool path_push_all(char *out, size_t size, size_t *len, const char *path)
{
	while (*path) {
		size_t n = strcspn(path, "/");

		if (!path_push(out, size, len, path, n))
			return false;
		path += n;
		path += *path == '/';
	}
	return true;
}

int fw_path_resolve(const char *base_dir, const char *path, char *out, size_t size,
		    struct fw_error *err)
{
	size_t len = 1;

	if (size < 2)
		return fw_error_set(err, ENAMETOOLONG, "no room for a path");
	if (!path[0])
		return fw_error_set(err, EINVAL, "path is empty");
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return fw_error_set(err, EINVAL, "path \"%.*s...\" contains a control character (\\x%02x)",
					    (int)(c - path < 40 ? c - path : 40), path, (unsigned char)*c);
	strcpy(out, "/");
	if (path[0] != '/' && (!base_dir || base_dir[0] != '/'))
		return fw_error_set(err, EINVAL, "cannot resolve \"%.64s\": no absolute directory to resolve it against",
				    path);
	if ((path[0] != '/' && !path_push_all(out, size, &len, base_dir)) ||
	    !path_push_all(out, size, &len, path))
		return fw_error_set(err, ENAMETOOLONG, "path \"%.64s...\" is longer than %zu characters",
				    path, size - 1);
	return 0;
}
