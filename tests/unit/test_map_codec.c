// SPDX-License-Identifier: MIT
/* A map's entries as JSON and back (src/ebpf/map_codec.c): plain and per-CPU
 * values, the per-CPU layout the kernel uses (8-byte strides), and errors
 * that name the entry. No kernel map: the codec is built from an info and a
 * BTF made here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "ebpf/map_codec.h"

/* value: struct { __u64 packets; __u32 flags; } (12 bytes: per-CPU stride 16) */
struct value {
	uint64_t packets;
	uint32_t flags;
};

static struct btf *make_btf(__u32 *key_id, __u32 *value_id)
{
	struct btf *btf = btf__new_empty();
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int u64 = btf__add_int(btf, "unsigned long long", 8, 0);

	*value_id = btf__add_struct(btf, "value", 12);
	btf__add_field(btf, "packets", u64, 0, 0);
	btf__add_field(btf, "flags", u32, 64, 0);
	*key_id = u32;
	return btf;
}

static void codec(struct fw_map_codec *c, enum bpf_map_type type, int ncpu, bool with_btf)
{
	struct bpf_map_info info = { .type = type, .key_size = 4, .value_size = 12 };
	__u32 key_id = 0, value_id = 0;
	struct btf *btf = with_btf ? make_btf(&key_id, &value_id) : NULL;

	info.btf_key_type_id = key_id;
	info.btf_value_type_id = value_id;
	fw_map_codec_init(c, &info, btf, ncpu);
}

static char *text(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	json_decref(j);
	return s;
}

static void test_plain_entry(void **state)
{
	struct fw_map_codec c;
	uint32_t key = 7;
	struct value v = { 1000, 3 };
	char *s;

	codec(&c, BPF_MAP_TYPE_HASH, 4, true);
	assert_int_equal(c.ncpu, 1);
	assert_int_equal(c.value_bytes, 12);
	s = text(fw_map_codec_entry(&c, &key, &v));
	assert_string_equal(s, "{\"key\":7,\"value\":{\"flags\":3,\"packets\":1000}}");
	free(s);
	fw_map_codec_close(&c);
}

static void test_per_cpu_entry_sums_and_lists(void **state)
{
	struct fw_map_codec c;
	uint32_t key = 1;
	char buf[3 * 16] = { 0 };
	char *s;

	codec(&c, BPF_MAP_TYPE_PERCPU_HASH, 3, true);
	assert_int_equal(c.ncpu, 3);
	assert_int_equal(c.stride, 16);         /* 12 rounded up to 8 */
	assert_int_equal(c.value_bytes, 48);
	for (int cpu = 0; cpu < 3; cpu++) {
		struct value v = { 10 * (cpu + 1), 1 };

		memcpy(buf + cpu * 16, &v, sizeof(v));
	}
	s = text(fw_map_codec_entry(&c, &key, buf));
	assert_string_equal(s, "{\"key\":1,\"value\":{\"flags\":3,\"packets\":60},"
			       "\"values\":[{\"flags\":1,\"packets\":10},{\"flags\":1,\"packets\":20},"
			       "{\"flags\":1,\"packets\":30}]}");
	free(s);
	fw_map_codec_close(&c);
}

static void test_write_forms(void **state)
{
	struct fw_error err = { 0 };
	struct fw_map_codec c;
	char key[4], buf[3 * 16];
	json_t *one = json_loads("{\"key\": 9, \"value\": {\"packets\": 5}}", 0, NULL);
	json_t *each = json_loads("{\"key\": 9, \"values\": [{\"packets\": 1}, {\"packets\": 2}, "
				  "{\"packets\": 3}]}", 0, NULL);
	struct value v;

	codec(&c, BPF_MAP_TYPE_PERCPU_HASH, 3, true);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(fw_map_codec_entry_from(&c, one, key, buf, "entries[0]", &err), 0);
	assert_int_equal(*(uint32_t *)key, 9);
	for (int cpu = 0; cpu < 3; cpu++) {     /* one value sets every CPU's copy */
		memcpy(&v, buf + cpu * 16, sizeof(v));
		assert_int_equal(v.packets, 5);
		assert_int_equal(v.flags, 0);
	}
	assert_int_equal(fw_map_codec_entry_from(&c, each, key, buf, "entries[1]", &err), 0);
	for (int cpu = 0; cpu < 3; cpu++) {
		memcpy(&v, buf + cpu * 16, sizeof(v));
		assert_int_equal(v.packets, cpu + 1);
	}
	json_decref(one);
	json_decref(each);
	fw_map_codec_close(&c);
}

static void test_errors_name_the_entry(void **state)
{
	static const struct { const char *json, *msg; } cases[] = {
		{ "{\"value\": 1}", "entries[4]: expected {\"key\": ..., \"value\": ...}" },
		{ "{\"key\": 1}", "entries[4]: missing \"value\"" },
		{ "{\"key\": 1, \"values\": [{}, {}]}",
		  "entries[4].values: expected a list of 3 per-CPU values" },
		{ "[1, 2]", "entries[4]: expected {\"key\": ..., \"value\": ...}" },
	};
	struct fw_map_codec c;
	char key[4], buf[48];

	codec(&c, BPF_MAP_TYPE_PERCPU_HASH, 3, true);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct fw_error err = { 0 };
		json_t *j = json_loads(cases[i].json, 0, NULL);

		assert_true(fw_map_codec_entry_from(&c, j, key, buf, "entries[4]", &err) < 0);
		assert_string_equal(err.msg, cases[i].msg);
		fw_error_clear(&err);
		json_decref(j);
	}
	fw_map_codec_close(&c);
}

static void test_without_btf_hex(void **state)
{
	struct fw_map_codec c;
	uint32_t key = 0x0a000001;
	struct value v = { 0 };
	json_t *e;

	codec(&c, BPF_MAP_TYPE_HASH, 1, false);
	e = fw_map_codec_entry(&c, &key, &v);
	assert_true(json_is_string(json_object_get(e, "key")));
	assert_string_equal(json_string_value(json_object_get(e, "key")), "0x0100000a");
	json_decref(e);
	fw_map_codec_close(&c);
}

/* The text a listing streams is the tree's compact dump, byte for byte,
 * for every kind of member btf_json knows. */
struct rich {
	uint8_t addr[16];       /* a list */
	char name[8];           /* a string */
	char raw[4];            /* not printable: a list */
	uint64_t big;           /* > INT64_MAX: a string of digits */
	int32_t delta;
	uint32_t state;         /* an enum */
	uint32_t flags_lo : 3, flags_hi : 5;
	uint8_t opaque[3];      /* an array of a type BTF lacks: hex */
};

static void test_text_equals_the_tree(void **state)
{
	struct btf *btf = btf__new_empty();
	int u8 = btf__add_int(btf, "unsigned char", 1, 0);
	int u8_td = btf__add_typedef(btf, "__u8", u8);
	int chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	int u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	int s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int en = btf__add_enum(btf, "state", 4);
	int arr_u8, arr_chr, arr_raw, id;
	struct rich r[3];

	btf__add_enum_value(btf, "NEW", 0);
	btf__add_enum_value(btf, "ESTABLISHED", 1);
	arr_u8 = btf__add_array(btf, u32, u8_td, 16);
	arr_chr = btf__add_array(btf, u32, chr, 8);
	arr_raw = btf__add_array(btf, u32, chr, 4);
	id = btf__add_struct(btf, "rich", sizeof(struct rich));
	btf__add_field(btf, "addr", arr_u8, offsetof(struct rich, addr) * 8, 0);
	btf__add_field(btf, "name", arr_chr, offsetof(struct rich, name) * 8, 0);
	btf__add_field(btf, "raw", arr_raw, offsetof(struct rich, raw) * 8, 0);
	btf__add_field(btf, "big", u64, offsetof(struct rich, big) * 8, 0);
	btf__add_field(btf, "delta", s32, offsetof(struct rich, delta) * 8, 0);
	btf__add_field(btf, "state", en, offsetof(struct rich, state) * 8, 0);
	/* the bitfield word follows state; an unnamed member reads it whole */
	btf__add_field(btf, "flags_lo", u32, (offsetof(struct rich, state) + 4) * 8, 3);
	btf__add_field(btf, "flags_hi", u32, (offsetof(struct rich, state) + 4) * 8 + 3, 5);
	btf__add_field(btf, "", u32, (offsetof(struct rich, state) + 4) * 8, 0);
	memset(r, 0, sizeof(r));
	r[0] = (struct rich){ .addr = { [10] = 0xff, [11] = 0xff, 10, 77, 0, 2 }, .name = "eth0",
			      .raw = { 1, 2, 3, 4 }, .big = 18446744073709551615ull, .delta = -7,
			      .state = 1, .flags_lo = 5, .flags_hi = 17 };
	r[1] = (struct rich){ .name = "q\"\\", .state = 9, .big = 42 };
	for (int i = 0; i < 3; i++) {
		struct fw_text t = { 0 };
		json_t *j = fw_btf_to_json(btf, id, &r[i], sizeof(r[i]));
		char *tree = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

		assert_int_equal(fw_btf_append_json(&t, btf, id, &r[i], sizeof(r[i])), 0);
		assert_string_equal(t.s, tree);
		free(tree);
		free(t.s);
		json_decref(j);
	}
	{       /* without BTF: hex, as the tree gives it */
		struct fw_text t = { 0 };
		json_t *j = fw_btf_to_json(NULL, 0, &r[0], 6);
		char *tree = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

		fw_btf_append_json(&t, NULL, 0, &r[0], 6);
		assert_string_equal(t.s, tree);
		free(tree);
		free(t.s);
		json_decref(j);
	}
	btf__free(btf);
}

static void test_entry_text(void **state)
{
	struct fw_map_codec c;
	struct fw_text t = { 0 };
	uint32_t key = 7;
	struct value v = { 1000, 3 };
	char buf[3 * 16] = { 0 };

	codec(&c, BPF_MAP_TYPE_HASH, 1, true);
	assert_int_equal(fw_map_codec_entry_text(&c, &key, &v, &t), 0);
	assert_string_equal(t.s, "{\"key\":7,\"value\":{\"packets\":1000,\"flags\":3}}");
	fw_map_codec_close(&c);
	t.len = 0;
	codec(&c, BPF_MAP_TYPE_PERCPU_HASH, 3, true);
	assert_int_equal(fw_map_codec_entry_text(&c, &key, buf, &t), 0);
	assert_non_null(strstr(t.s, "\"values\":[{"));
	fw_map_codec_close(&c);
	free(t.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_entry),
		cmocka_unit_test(test_per_cpu_entry_sums_and_lists),
		cmocka_unit_test(test_write_forms),
		cmocka_unit_test(test_errors_name_the_entry),
		cmocka_unit_test(test_without_btf_hex),
		cmocka_unit_test(test_text_equals_the_tree),
		cmocka_unit_test(test_entry_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
