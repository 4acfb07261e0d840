// SPDX-License-Identifier: MIT
#include "ebpf/btf_json.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *hex_json(const void *data, size_t size)
{
	char *s = malloc(size * 2 + 3);
	const unsigned char *p = data;
	json_t *out;

	if (!s)
		return json_null();
	strcpy(s, "0x");
	for (size_t i = 0; i < size; i++)
		sprintf(s + 2 + i * 2, "%02x", p[i]);
	out = json_string(s);
	free(s);
	return out;
}

static const struct btf_type *resolve(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

static json_t *int_json(const struct btf_type *t, const void *p, size_t size)
{
	__u8 enc = btf_int_encoding(t);
	uint64_t u = 0;

	if (size > 8 || t->size > 8)
		return hex_json(p, size < t->size ? size : t->size);
	memcpy(&u, p, t->size);
	if (enc & BTF_INT_BOOL)
		return json_boolean(u != 0);
	if ((enc & BTF_INT_SIGNED) && t->size < 8 && (u >> (t->size * 8 - 1)) & 1)
		u |= ~(uint64_t)0 << (t->size * 8);
	if (!(enc & BTF_INT_SIGNED) && u > INT64_MAX) {
		char buf[24];

		snprintf(buf, sizeof(buf), "%" PRIu64, u); /* jansson ints are signed */
		return json_string(buf);
	}
	return json_integer((json_int_t)u);
}

static json_t *enum_json(const struct btf *btf, const struct btf_type *t, const void *p)
{
	const struct btf_enum *e = btf_enum(t);
	int32_t v = 0;

	memcpy(&v, p, t->size < 4 ? t->size : 4);
	for (int i = 0; i < btf_vlen(t); i++, e++)
		if (e->val == v)
			return json_string(btf__name_by_offset(btf, e->name_off));
	return json_integer(v);
}

/* Like bpftool: an array of `char` (not of __u8 or another byte typedef) is
 * a string when it is printable up to a NUL and only NULs follow. */
static bool is_char_type(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && btf_is_mod(t))
		t = btf__type_by_id(btf, t->type);
	return t && btf_is_int(t) && t->size == 1 &&
	       strstr(btf__name_by_offset(btf, t->name_off), "char");
}

static bool is_string(const char *p, size_t n)
{
	size_t len = strnlen(p, n);

	if (len == n)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isprint((unsigned char)p[i]))
			return false;
	for (size_t i = len; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static json_t *decode(const struct btf *btf, __u32 id, const char *p, size_t size);

static json_t *array_json(const struct btf *btf, const struct btf_type *t, const char *p,
			  size_t size)
{
	const struct btf_array *a = btf_array(t);
	__u32 elem_id = a->type;
	const struct btf_type *et = resolve(btf, &elem_id);
	__s64 esize = btf__resolve_size(btf, elem_id);
	json_t *list;

	if (!et || esize <= 0 || (size_t)esize * a->nelems > size)
		return hex_json(p, size);
	if (is_char_type(btf, a->type) && is_string(p, a->nelems))
		return json_stringn(p, strnlen(p, a->nelems));
	list = json_array();
	for (__u32 i = 0; i < a->nelems; i++)
		json_array_append_new(list, decode(btf, elem_id, p + i * esize, esize));
	return list;
}

static json_t *struct_json(const struct btf *btf, const struct btf_type *t, const char *p,
			   size_t size)
{
	const struct btf_member *m = btf_members(t);
	json_t *obj = json_object();

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		__u32 off = btf_member_bit_offset(t, i), bits = btf_member_bitfield_size(t, i);
		__u32 mid = m->type;
		const char *name = btf__name_by_offset(btf, m->name_off);
		__s64 msize = btf__resolve_size(btf, mid);
		char anon[16];

		if (!name || !*name) {
			snprintf(anon, sizeof(anon), "_%d", i);
			name = anon;
		}
		if (bits) { /* a bitfield: extract it from the bytes it spans */
			uint64_t v = 0;

			memcpy(&v, p + off / 8, (off % 8 + bits + 7) / 8 > 8 ? 8 : (off % 8 + bits + 7) / 8);
			v = (v >> (off % 8)) & (bits >= 64 ? ~0ull : ((1ull << bits) - 1));
			json_object_set_new(obj, name, json_integer((json_int_t)v));
			continue;
		}
		if (msize < 0 || off / 8 + (size_t)msize > size)
			continue;
		json_object_set_new(obj, name, decode(btf, mid, p + off / 8, msize));
	}
	return obj;
}

static json_t *decode(const struct btf *btf, __u32 id, const char *p, size_t size)
{
	const struct btf_type *t = resolve(btf, &id);

	if (!t)
		return hex_json(p, size);
	if (btf_is_int(t))
		return int_json(t, p, size);
	if (btf_is_enum(t))
		return enum_json(btf, t, p);
	if (btf_is_array(t))
		return array_json(btf, t, p, size);
	if (btf_is_struct(t) || btf_is_union(t))
		return struct_json(btf, t, p, size);
	return hex_json(p, size);
}

json_t *fw_btf_to_json(const struct btf *btf, __u32 type_id, const void *data, size_t size)
{
	if (!btf || !type_id)
		return hex_json(data, size);
	return decode(btf, type_id, data, size);
}

/* ---- the same as text, without a tree --------------------------------------- */

int fw_text_append(struct fw_text *t, const char *data, size_t len)
{
	if (t->len + len + 1 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		char *s;

		while (cap < t->len + len + 1)
			cap *= 2;
		s = realloc(t->s, cap);
		if (!s)
			return -ENOMEM;
		t->s = s;
		t->cap = cap;
	}
	memcpy(t->s + t->len, data, len);
	t->len += len;
	t->s[t->len] = '\0';
	return 0;
}

static int put(struct fw_text *t, const char *s)
{
	return fw_text_append(t, s, strlen(s));
}

static int putf(struct fw_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int putf(struct fw_text *t, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return fw_text_append(t, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* A JSON string: what is_string lets through and BTF names need escaping
 * for is a quote or a backslash; anything else below 0x20 as \u00XX. */
static int put_string(struct fw_text *t, const char *s, size_t n)
{
	int ret = put(t, "\"");

	for (size_t i = 0; i < n && !ret; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			ret = putf(t, "\\%c", c);
		else if (c < 0x20)
			ret = putf(t, "\\u%04x", c);
		else
			ret = fw_text_append(t, (const char *)&c, 1);
	}
	return ret ? ret : put(t, "\"");
}

static int put_hex(struct fw_text *t, const void *data, size_t size)
{
	const unsigned char *p = data;
	int ret = put(t, "\"0x");

	for (size_t i = 0; i < size && !ret; i++)
		ret = putf(t, "%02x", p[i]);
	return ret ? ret : put(t, "\"");
}

static int append(struct fw_text *t, const struct btf *btf, __u32 id, const char *p, size_t size);

static int append_int(struct fw_text *t, const struct btf_type *bt, const char *p, size_t size)
{
	__u8 enc = btf_int_encoding(bt);
	uint64_t u = 0;

	if (size > 8 || bt->size > 8)
		return put_hex(t, p, size < bt->size ? size : bt->size);
	memcpy(&u, p, bt->size);
	if (enc & BTF_INT_BOOL)
		return put(t, u ? "true" : "false");
	if ((enc & BTF_INT_SIGNED) && bt->size < 8 && (u >> (bt->size * 8 - 1)) & 1)
		u |= ~(uint64_t)0 << (bt->size * 8);
	if (!(enc & BTF_INT_SIGNED) && u > INT64_MAX)
		return putf(t, "\"%" PRIu64 "\"", u);
	return putf(t, "%" PRId64, (int64_t)u);
}

static int append_enum(struct fw_text *t, const struct btf *btf, const struct btf_type *bt,
		       const char *p)
{
	const struct btf_enum *e = btf_enum(bt);
	int32_t v = 0;

	memcpy(&v, p, bt->size < 4 ? bt->size : 4);
	for (int i = 0; i < btf_vlen(bt); i++, e++)
		if (e->val == v) {
			const char *name = btf__name_by_offset(btf, e->name_off);

			return put_string(t, name, strlen(name));
		}
	return putf(t, "%" PRId32, v);
}

static int append_array(struct fw_text *t, const struct btf *btf, const struct btf_type *bt,
			const char *p, size_t size)
{
	const struct btf_array *a = btf_array(bt);
	__u32 elem_id = a->type;
	const struct btf_type *et = resolve(btf, &elem_id);
	__s64 esize = btf__resolve_size(btf, elem_id);
	int ret;

	if (!et || esize <= 0 || (size_t)esize * a->nelems > size)
		return put_hex(t, p, size);
	if (is_char_type(btf, a->type) && is_string(p, a->nelems))
		return put_string(t, p, strnlen(p, a->nelems));
	ret = put(t, "[");
	for (__u32 i = 0; i < a->nelems && !ret; i++) {
		ret = i ? put(t, ",") : 0;
		if (!ret)
			ret = append(t, btf, elem_id, p + i * esize, esize);
	}
	return ret ? ret : put(t, "]");
}

static int append_struct(struct fw_text *t, const struct btf *btf, const struct btf_type *bt,
			 const char *p, size_t size)
{
	const struct btf_member *m = btf_members(bt);
	bool first = true;
	int ret = put(t, "{");

	for (int i = 0; i < btf_vlen(bt) && !ret; i++, m++) {
		__u32 off = btf_member_bit_offset(bt, i), bits = btf_member_bitfield_size(bt, i);
		const char *name = btf__name_by_offset(btf, m->name_off);
		__s64 msize = btf__resolve_size(btf, m->type);
		char anon[16];

		if (!name || !*name) {
			snprintf(anon, sizeof(anon), "_%d", i);
			name = anon;
		}
		if (!bits && (msize < 0 || off / 8 + (size_t)msize > size))
			continue;
		ret = put(t, first ? "" : ",");
		first = false;
		if (!ret)
			ret = put_string(t, name, strlen(name));
		if (!ret)
			ret = put(t, ":");
		if (ret)
			break;
		if (bits) {
			uint64_t v = 0;

			memcpy(&v, p + off / 8, (off % 8 + bits + 7) / 8 > 8 ? 8 : (off % 8 + bits + 7) / 8);
			v = (v >> (off % 8)) & (bits >= 64 ? ~0ull : ((1ull << bits) - 1));
			ret = putf(t, "%" PRId64, (int64_t)v);
			continue;
		}
		ret = append(t, btf, m->type, p + off / 8, msize);
	}
	return ret ? ret : put(t, "}");
}

static int append(struct fw_text *t, const struct btf *btf, __u32 id, const char *p, size_t size)
{
	const struct btf_type *bt = resolve(btf, &id);

	if (!bt)
		return put_hex(t, p, size);
	if (btf_is_int(bt))
		return append_int(t, bt, p, size);
	if (btf_is_enum(bt))
		return append_enum(t, btf, bt, p);
	if (btf_is_array(bt))
		return append_array(t, btf, bt, p, size);
	if (btf_is_struct(bt) || btf_is_union(bt))
		return append_struct(t, btf, bt, p, size);
	return put_hex(t, p, size);
}

int fw_btf_append_json(struct fw_text *out, const struct btf *btf, __u32 type_id,
		       const void *data, size_t size)
{
	if (!btf || !type_id)
		return put_hex(out, data, size);
	return append(out, btf, type_id, data, size);
}

/* ---- JSON to bytes --------------------------------------------------------- */

static int parse_hex(const char *s, unsigned char *out, size_t size, const char *what,
		     struct fw_error *err)
{
	size_t len;

	if (strncmp(s, "0x", 2) == 0)
		s += 2;
	len = strlen(s);
	if (len != size * 2)
		return fw_error_set(err, EINVAL, "%s: expected %zu bytes as hex (0x + %zu digits), got \"%s\"",
				    what, size, size * 2, s);
	for (size_t i = 0; i < size; i++) {
		unsigned int byte;

		if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &byte) != 1)
			return fw_error_set(err, EINVAL, "%s: \"%s\" is not hex", what, s);
		out[i] = byte;
	}
	return 0;
}

static int encode(const struct btf *btf, __u32 id, json_t *j, char *out, size_t size,
		  const char *what, struct fw_error *err);

void fw_int_store(void *dst, size_t size, int64_t v, bool is_signed)
{
	unsigned char *out = dst;
	unsigned char fill = is_signed && v < 0 ? 0xff : 0;
	uint64_t u = (uint64_t)v;

	for (size_t i = 0; i < size; i++, u >>= 8)
		out[i] = i < sizeof(u) ? (unsigned char)u : fill;
}

static int encode_int(size_t size, bool is_signed, json_t *j, char *out, const char *what,
		      struct fw_error *err)
{
	int64_t v;

	if (json_is_boolean(j))
		v = json_is_true(j);
	else if (json_is_integer(j))
		v = json_integer_value(j);
	else if (json_is_string(j)) {
		const char *s = json_string_value(j);
		char *end;

		/* Signed types take a signed number; unsigned ones up to 2^64-1. */
		errno = 0;
		v = is_signed ? strtoll(s, &end, 0) : (int64_t)strtoull(s, &end, 0);
		if (errno || *end || end == s || (!is_signed && strchr(s, '-')))
			return fw_error_set(err, EINVAL, "%s: \"%s\" is not an integer%s", what, s,
					    errno == ERANGE ? " of 64 bits" : "");
		if (!is_signed && size > 8) {
			fw_int_store(out, size, v, false); /* beyond INT64_MAX: zero-extended */
			return 0;
		}
	} else
		return fw_error_set(err, EINVAL, "%s: expected an integer", what);
	if (size < 8) {
		int64_t lim = (int64_t)1 << (size * 8 - (is_signed ? 1 : 0));

		if (is_signed ? (v < -lim || v >= lim) : (v < 0 || v >= lim))
			return fw_error_set(err, ERANGE, "%s: %" PRId64 " does not fit %s%zu bits", what,
					    v, is_signed ? "signed " : "", size * 8);
	} else if (!is_signed && v < 0 && size > 8) {
		return fw_error_set(err, ERANGE, "%s: %" PRId64 " does not fit unsigned %zu bits",
				    what, v, size * 8);
	}
	fw_int_store(out, size, v, is_signed);
	return 0;
}

/* An enum by the name of one of its values, or by number. */
static int encode_enum(const struct btf *btf, const struct btf_type *t, json_t *j, char *out,
		       const char *what, struct fw_error *err)
{
	const struct btf_enum *e = btf_enum(t);
	bool is_signed = btf_kflag(t);

	if (!json_is_string(j))
		return encode_int(t->size, is_signed, j, out, what, err);
	for (int i = 0; i < btf_vlen(t); i++, e++)
		if (strcmp(btf__name_by_offset(btf, e->name_off), json_string_value(j)) == 0) {
			fw_int_store(out, t->size, is_signed ? (int64_t)e->val : (int64_t)(__u32)e->val,
				     is_signed);
			return 0;
		}
	return fw_error_set(err, EINVAL, "%s: \"%s\" is not a value of the enum", what,
			    json_string_value(j));
}

static int encode_struct(const struct btf *btf, const struct btf_type *t, json_t *j,
			 char *out, size_t size, const char *what, struct fw_error *err)
{
	const struct btf_member *m = btf_members(t);
	const char *key;
	json_t *val;

	if (!json_is_object(j))
		return fw_error_set(err, EINVAL, "%s: expected an object", what);
	json_object_foreach(j, key, val) {
		int i, found = -1;
		char sub[256];

		for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++)
			if (strcmp(btf__name_by_offset(btf, m->name_off), key) == 0)
				found = i;
		snprintf(sub, sizeof(sub), "%s.%s", what, key);
		if (found < 0)
			return fw_error_set(err, EINVAL, "%s: no such member", sub);
		m = btf_members(t) + found;
		if (btf_member_bitfield_size(t, found))
			return fw_error_set(err, EINVAL, "%s: bitfields cannot be written", sub);
		{
			__u32 off = btf_member_bit_offset(t, found) / 8;
			__s64 msize = btf__resolve_size(btf, m->type);
			int ret;

			if (msize < 0 || off + (size_t)msize > size)
				return fw_error_set(err, EINVAL, "%s: out of bounds", sub);
			ret = encode(btf, m->type, val, out + off, msize, sub, err);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int encode_array(const struct btf *btf, const struct btf_type *t, json_t *j, char *out,
			size_t size, const char *what, struct fw_error *err)
{
	const struct btf_array *a = btf_array(t);
	__u32 elem_id = a->type;
	const struct btf_type *et = resolve(btf, &elem_id);
	__s64 esize = btf__resolve_size(btf, elem_id);

	if (!et || esize <= 0)
		return fw_error_set(err, EINVAL, "%s: unsupported array", what);
	if (json_is_string(j) && btf_is_int(et) && esize == 1) {
		const char *s = json_string_value(j);

		if (strncmp(s, "0x", 2) == 0)
			return parse_hex(s, (unsigned char *)out, size, what, err);
		if (strlen(s) > a->nelems)
			return fw_error_set(err, ERANGE, "%s: longer than %u characters", what, a->nelems);
		memcpy(out, s, strlen(s));
		return 0;
	}
	if (!json_is_array(j) || json_array_size(j) > a->nelems)
		return fw_error_set(err, EINVAL, "%s: expected a list of at most %u elements", what,
				    a->nelems);
	for (size_t i = 0; i < json_array_size(j); i++) {
		int ret = encode(btf, elem_id, json_array_get(j, i), out + i * esize, esize, what, err);

		if (ret)
			return ret;
	}
	return 0;
}

static int encode(const struct btf *btf, __u32 id, json_t *j, char *out, size_t size,
		  const char *what, struct fw_error *err)
{
	const struct btf_type *t = resolve(btf, &id);

	if (json_is_string(j) && strncmp(json_string_value(j), "0x", 2) == 0 &&
	    strlen(json_string_value(j)) == 2 + size * 2)
		return parse_hex(json_string_value(j), (unsigned char *)out, size, what, err);
	if (!t)
		return fw_error_set(err, EINVAL, "%s: unknown type", what);
	if (btf_is_int(t))
		return encode_int(t->size, btf_int_encoding(t) & BTF_INT_SIGNED, j, out, what, err);
	if (btf_is_enum(t))
		return encode_enum(btf, t, j, out, what, err);
	if (btf_is_array(t))
		return encode_array(btf, t, j, out, size, what, err);
	if (btf_is_struct(t))
		return encode_struct(btf, t, j, out, size, what, err);
	return fw_error_set(err, EINVAL, "%s: this type can only be written as hex", what);
}

int fw_btf_from_json(const struct btf *btf, __u32 type_id, json_t *json, void *out,
		     size_t size, const char *what, struct fw_error *err)
{
	memset(out, 0, size);
	if (!btf || !type_id) {
		if (!json_is_string(json))
			return fw_error_set(err, EINVAL, "%s: this map has no BTF: give the %zu bytes as a hex string",
					    what, size);
		return parse_hex(json_string_value(json), out, size, what, err);
	}
	return encode(btf, type_id, json, out, size, what, err);
}

json_t *fw_json_sum(json_t *a, json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer(json_integer_value(a) + json_integer_value(b));
	if (json_is_object(a) && json_is_object(b)) {
		json_t *out = json_object();
		const char *key;
		json_t *v;

		json_object_foreach(a, key, v)
			json_object_set_new(out, key, fw_json_sum(v, json_object_get(b, key)));
		return out;
	}
	if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
		json_t *out = json_array();

		for (size_t i = 0; i < json_array_size(a); i++)
			json_array_append_new(out, fw_json_sum(json_array_get(a, i), json_array_get(b, i)));
		return out;
	}
	return json_incref(a); /* not summable: the first CPU's value stands */
}
