// SPDX-License-Identifier: MIT
/* Map keys and values to JSON and back through BTF (src/ebpf/btf_json.c),
 * on a BTF built here like the one of ddos_filter's maps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "ebpf/btf_json.h"

struct sample {
	uint8_t addr[16];       /* __u8 bytes: a list, never a string */
	char name[8];           /* char: a string */
	uint64_t packets;
	int32_t delta;
	uint32_t state;         /* an enum */
};

static struct btf *btf;
static int sample_id;
static int build_wide(void);

static int build_btf(void **state)
{
	int u8, u8_td, chr, u64, s32, u32, arr_u8, arr_chr, en;

	btf = btf__new_empty();
	u8 = btf__add_int(btf, "unsigned char", 1, 0);
	u8_td = btf__add_typedef(btf, "__u8", u8);
	chr = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	arr_u8 = btf__add_array(btf, u32, u8_td, 16);
	arr_chr = btf__add_array(btf, u32, chr, 8);
	en = btf__add_enum(btf, "state", 4);
	btf__add_enum_value(btf, "NEW", 0);
	btf__add_enum_value(btf, "ESTABLISHED", 1);
	sample_id = btf__add_struct(btf, "sample", sizeof(struct sample));
	btf__add_field(btf, "addr", arr_u8, offsetof(struct sample, addr) * 8, 0);
	btf__add_field(btf, "name", arr_chr, offsetof(struct sample, name) * 8, 0);
	btf__add_field(btf, "packets", u64, offsetof(struct sample, packets) * 8, 0);
	btf__add_field(btf, "delta", s32, offsetof(struct sample, delta) * 8, 0);
	btf__add_field(btf, "state", en, offsetof(struct sample, state) * 8, 0);
	(void)state;
	return sample_id > 0 ? build_wide() : -1;
}

/* Integers wider than the 64 bits JSON carries, and an enum. */
struct wide {
	__int128 big;
	unsigned __int128 ubig;
	uint32_t state;
	int16_t small;
};

static int wide_id;

static int build_wide(void)
{
	int s128 = btf__add_int(btf, "__int128", 16, BTF_INT_SIGNED);
	int u128 = btf__add_int(btf, "unsigned __int128", 16, 0);
	int s16 = btf__add_int(btf, "short", 2, BTF_INT_SIGNED);
	int en = btf__find_by_name_kind(btf, "state", BTF_KIND_ENUM);

	wide_id = btf__add_struct(btf, "wide", sizeof(struct wide));
	btf__add_field(btf, "big", s128, offsetof(struct wide, big) * 8, 0);
	btf__add_field(btf, "ubig", u128, offsetof(struct wide, ubig) * 8, 0);
	btf__add_field(btf, "state", en, offsetof(struct wide, state) * 8, 0);
	btf__add_field(btf, "small", s16, offsetof(struct wide, small) * 8, 0);
	return wide_id > 0 ? 0 : -1;
}

static int free_btf(void **state)
{
	btf__free(btf);
	return 0;
}

static void test_struct_to_json(void **state)
{
	struct sample s = { .addr = { [10] = 0xff, [11] = 0xff, 10, 77, 0, 2 },
			    .name = "eth0", .packets = 12345, .delta = -7, .state = 1 };
	json_t *j = fw_btf_to_json(btf, sample_id, &s, sizeof(s));
	char *text = json_dumps(j, JSON_COMPACT);

	assert_string_equal(text, "{\"addr\":[0,0,0,0,0,0,0,0,0,0,255,255,10,77,0,2],"
				  "\"name\":\"eth0\",\"packets\":12345,\"delta\":-7,"
				  "\"state\":\"ESTABLISHED\"}");
	free(text);
	json_decref(j);
}

static void test_zero_bytes_are_a_list_not_a_string(void **state)
{
	struct sample s = {};
	json_t *j = fw_btf_to_json(btf, sample_id, &s, sizeof(s));

	assert_true(json_is_array(json_object_get(j, "addr")));
	assert_string_equal(json_string_value(json_object_get(j, "name")), "");
	json_decref(j);
}

static void test_round_trip(void **state)
{
	struct sample in = { .addr = { 1, 2, 3 }, .name = "lo", .packets = 1ull << 40,
			     .delta = -1, .state = 0 }, out;
	struct fw_error err = {};
	json_t *j = fw_btf_to_json(btf, sample_id, &in, sizeof(in));

	assert_int_equal(fw_btf_from_json(btf, sample_id, j, &out, sizeof(out), "value", &err), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	json_decref(j);
}

static void expect_error(const char *json, const char *message)
{
	struct fw_error err = {};
	struct sample out;
	json_t *j = json_loads(json, 0, NULL);

	assert_non_null(j);
	assert_true(fw_btf_from_json(btf, sample_id, j, &out, sizeof(out), "value", &err) < 0);
	assert_string_equal(err.msg, message);
	json_decref(j);
}

static void test_bad_input_names_the_field(void **state)
{
	expect_error("{\"nosuch\": 1}", "value.nosuch: no such member");
	expect_error("{\"delta\": 4294967296}", "value.delta: 4294967296 does not fit signed 32 bits");
	expect_error("{\"packets\": \"lots\"}", "value.packets: \"lots\" is not an integer");
	expect_error("{\"state\": \"CLOSED\"}", "value.state: \"CLOSED\" is not a value of the enum");
	expect_error("{\"name\": \"much too long\"}", "value.name: longer than 8 characters");
	expect_error("[1]", "value: expected an object");
}

static void test_no_btf_means_hex(void **state)
{
	uint8_t key[4] = { 10, 0, 0, 1 }, back[4];
	struct fw_error err = {};
	json_t *j = fw_btf_to_json(NULL, 0, key, sizeof(key));

	assert_string_equal(json_string_value(j), "0x0a000001");
	assert_int_equal(fw_btf_from_json(NULL, 0, j, back, sizeof(back), "key", &err), 0);
	assert_memory_equal(key, back, sizeof(key));
	json_decref(j);
}

/* A 16-byte integer written from JSON holds the value, sign-extended, and
 * nothing else: its high bytes are not whatever followed the 64-bit value in
 * memory. An enum written as a number takes the number. */
static void test_wide_integers_are_extended(void **state)
{
	json_t *j = json_loads("{\"big\": -5, \"ubig\": 5, \"state\": 7, \"small\": -2}", 0, NULL);
	unsigned char want_big[16], want_ubig[16] = { 5 };
	struct fw_error err = {};
	struct wide out;
	json_t *back;
	char *text;

	memset(&out, 0xaa, sizeof(out));
	memset(want_big, 0xff, sizeof(want_big));
	want_big[0] = 0xfb;
	assert_int_equal(fw_btf_from_json(btf, wide_id, j, &out, sizeof(out), "value", &err), 0);
	assert_memory_equal(&out.big, want_big, 16);
	assert_memory_equal(&out.ubig, want_ubig, 16);
	assert_int_equal(out.state, 7);
	assert_int_equal(out.small, -2);
	back = fw_btf_to_json(btf, wide_id, &out, sizeof(out));
	text = json_dumps(back, JSON_COMPACT);
	assert_string_equal(text, "{\"big\":\"0xfbffffffffffffffffffffffffffffff\","
				  "\"ubig\":\"0x05000000000000000000000000000000\","
				  "\"state\":7,\"small\":-2}");
	free(text);
	json_decref(back);
	json_decref(j);
}

static void test_per_cpu_sum(void **state)
{
	json_t *a = json_loads("{\"packets\": 3, \"bytes\": [1, 2]}", 0, NULL);
	json_t *b = json_loads("{\"packets\": 4, \"bytes\": [10, 20]}", 0, NULL);
	json_t *sum = fw_json_sum(a, b);
	char *text = json_dumps(sum, JSON_COMPACT | JSON_SORT_KEYS);

	assert_string_equal(text, "{\"bytes\":[11,22],\"packets\":7}");
	free(text);
	json_decref(a);
	json_decref(b);
	json_decref(sum);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_struct_to_json),
		cmocka_unit_test(test_zero_bytes_are_a_list_not_a_string),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_input_names_the_field),
		cmocka_unit_test(test_no_btf_means_hex),
		cmocka_unit_test(test_per_cpu_sum),
		cmocka_unit_test(test_wide_integers_are_extended),
	};

	return cmocka_run_group_tests_name("btf_json", tests, build_btf, free_btf);
}
