// SPDX-License-Identifier: MIT
/*
 * The ebpf {} and api {} schema: the spec's examples load with every field
 * where it belongs; each bad configuration gets its exact message at its
 * exact line:col, all errors of a file at once; the field parsers shared with
 * the REST API say what is wrong.
 */
#include <errno.h>
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

static struct loaded *load_ok(const char *text)
{
	struct loaded *l = load(text);

	if (l->count) {
		char *all = hcl_diags_render(&l->diags);

		print_error("unexpected errors:\n%s", all);
		free(all);
		fail();
	}
	return l;
}

static char *read_text(const char *path)
{
	struct fw_error err = { 0 };
	char *text = NULL;
	size_t len;

	if (fw_config_read_file(path, &text, &len, &err)) {
		print_error("%s\n", err.msg);
		fail();
	}
	return text;
}

/* ---- bad configurations: one table, one test each --------------------- */

struct want_error {
	unsigned line, col;
	const char *msg;
};

struct bad_case {
	const char *name;
	const char *text;
	struct want_error errors[8];    /* every error the file must produce */
};

/* Program blocks whose first lines are valid; the case's lines follow. */
#define XDP_HEAD "ebpf {\n  xdp \"f\" {\n    program = \"f.o\"\n    interface = \"eth0\"\n"
#define TC_HEAD "ebpf {\n  tc \"t\" {\n    program = \"t.o\"\n    interface = \"eth0\"\n"
#define SOCK_HEAD "ebpf {\n  socket_filter \"s\" {\n    program = \"s.o\"\n    sockets = [\"dns\"]\n"
#define TP_HEAD "ebpf {\n  tracepoint \"p\" {\n    program = \"p.o\"\n    tracepoint = \"net:netif_receive_skb\"\n"
#define KP_HEAD "ebpf {\n  kprobe \"k\" {\n    program = \"k.o\"\n    function = \"tcp_v4_connect\"\n"
#define TAIL "  }\n}\n"
#define TAIL_OPEN_TC_SAME_NAME "  }\n  tc \"f\" {\n    program = \"t.o\"\n    interface = \"eth0\"\n" TAIL
#define MAP(line) XDP_HEAD "    maps = {\n      " line "\n    }\n" TAIL   /* the map is on line 6 */

#define NAME50 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct bad_case bad_cases[] = {
	/* unknown keys and blocks, with and without a suggestion */
	{ "unknown_field_suggests", XDP_HEAD "    interfce = \"eth1\"\n" TAIL,
	  { { 5, 5, "unknown field \"interfce\" in xdp \"f\"; did you mean \"interface\"?" } } },
	{ "unknown_field_without_suggestion", XDP_HEAD "    colour = \"red\"\n" TAIL,
	  { { 5, 5, "unknown field \"colour\" in xdp \"f\"" } } },
	{ "unknown_ebpf_field", "ebpf {\n  map_sise = 10\n}\n",
	  { { 2, 3, "unknown field \"map_sise\" in ebpf; did you mean \"map_size\"?" } } },
	{ "unknown_block_in_ebpf", "ebpf {\n  xpd \"f\" {\n  }\n}\n",
	  { { 2, 3, "unknown block type \"xpd\" in ebpf; did you mean \"xdp\"?" } } },
	{ "unknown_top_level_block", "epbf {\n}\n",
	  { { 1, 1, "unknown block type \"epbf\" in the configuration; did you mean \"ebpf\"?" } } },
	{ "top_level_attribute", "enabled = true\n",
	  { { 1, 1, "unexpected attribute \"enabled\" at the top level; settings go inside ebpf { }, api { } or cluster { }" } } },
	{ "program_block_outside_ebpf", "xdp \"f\" {\n  program = \"f.o\"\n}\n",
	  { { 1, 1, "xdp blocks go inside ebpf { ... }" } } },
	{ "nested_ebpf_block", "ebpf {\n  ebpf {\n  }\n}\n",
	  { { 2, 3, "ebpf blocks cannot be nested" } } },
	{ "hook_written_as_attribute", "ebpf {\n  xdp = {}\n}\n",
	  { { 2, 3, "xdp is a block, not an attribute: write xdp \"NAME\" { ... }" } } },
	{ "field_written_as_block", XDP_HEAD "    maps {\n    }\n" TAIL,
	  { { 5, 5, "maps is an attribute, not a block: write maps = { ... }" } } },
	{ "unknown_block_in_program", XDP_HEAD "    extra {\n    }\n" TAIL,
	  { { 5, 5, "unexpected block \"extra\" in xdp \"f\"; program blocks hold only fields" } } },

	/* one ebpf and one api block */
	{ "duplicate_ebpf_block", "ebpf {\n}\n\nebpf {\n}\n",
	  { { 4, 1, "duplicate ebpf block; the first is on line 1 (a file holds one)" } } },
	{ "duplicate_api_block", "api {\n}\napi {\n}\n",
	  { { 3, 1, "duplicate api block; the first is on line 1 (a file holds one)" } } },
	{ "ebpf_with_label", "ebpf \"main\" {\n}\n",
	  { { 1, 6, "ebpf takes no label: write ebpf { ... }" } } },

	/* wrong types and ranges in the ebpf block */
	{ "enabled_not_bool", "ebpf {\n  enabled = \"yes\"\n}\n",
	  { { 2, 13, "enabled must be a bool; found a string" } } },
	{ "jit_not_bool", "ebpf {\n  jit = 1\n}\n",
	  { { 2, 9, "jit must be a bool; found a number" } } },
	{ "map_size_zero", "ebpf {\n  map_size = 0\n}\n",
	  { { 2, 14, "map_size must be between 1 and 16777216; found 0" } } },
	{ "map_size_negative", "ebpf {\n  map_size = -1\n}\n",
	  { { 2, 14, "map_size must be between 1 and 16777216; found -1" } } },
	{ "map_size_over_limit", "ebpf {\n  map_size = 16777217\n}\n",
	  { { 2, 14, "map_size must be between 1 and 16777216; found 16777217" } } },
	{ "map_size_fraction", "ebpf {\n  map_size = 1.5\n}\n",
	  { { 2, 14, "map_size must be a whole number; found 1.5" } } },
	{ "map_size_small_fraction", "ebpf {\n  map_size = 1.0e-1\n}\n",
	  { { 2, 14, "map_size must be a whole number; found 0.1" } } },
	{ "rate_fraction", "ebpf {\n  tc \"t\" {\n    program = \"t.o\"\n    interface = \"eth0\"\n    shaping = { rate = 2.5 }\n  }\n}\n",
	  { { 5, 24, "rate must be a whole number; found 2.5" } } },
	{ "expression_value", "ebpf {\n  map_size = 1024 * 2\n}\n",
	  { { 2, 19, "expressions are not supported in Flywall's HCL: found the operator \"*\"; write the resulting value itself" } } },
	{ "function_call_value", "ebpf {\n  program_dir = abspath(\"x\")\n}\n",
	  { { 2, 17, "expressions are not supported in Flywall's HCL: abspath(...) is a function call; write the value itself" } } },
	{ "template_value", "ebpf {\n  program_dir = \"${path.module}/x\"\n}\n",
	  { { 2, 18, "expressions are not supported in Flywall's HCL: ${...} is a template interpolation; write $${ for a literal ${" } } },
	{ "unicode_field_name", "ebpf {\n  t\xc3\xa4ll = 1\n}\n",
	  { { 2, 3, "unknown field \"t\xc3\xa4ll\" in ebpf" } } },
	{ "map_size_quoted", "ebpf {\n  map_size = \"1024\"\n}\n",
	  { { 2, 14, "map_size must be a number; found a string" } } },
	{ "program_dir_not_string", "ebpf {\n  program_dir = [\"/a\"]\n}\n",
	  { { 2, 17, "program_dir must be a string; found a list" } } },
	{ "duplicate_ebpf_field", "ebpf {\n  jit = true\n  jit = false\n}\n",
	  { { 3, 3, "duplicate field \"jit\"; it was first set on line 2" } } },

	/* required fields */
	{ "missing_program", "ebpf {\n  xdp \"f\" {\n    interface = \"eth0\"\n  }\n}\n",
	  { { 2, 3, "xdp \"f\" is missing the required field \"program\"" } } },
	{ "missing_interface_tc", "ebpf {\n  tc \"t\" {\n    program = \"t.o\"\n  }\n}\n",
	  { { 2, 3, "tc \"t\" is missing the required field \"interface\"" } } },
	{ "missing_tracepoint", "ebpf {\n  tracepoint \"p\" {\n    program = \"p.o\"\n  }\n}\n",
	  { { 2, 3, "tracepoint \"p\" is missing the required field \"tracepoint\"" } } },
	{ "missing_function", "ebpf {\n  kprobe \"k\" {\n    program = \"k.o\"\n  }\n}\n",
	  { { 2, 3, "kprobe \"k\" is missing the required field \"function\"" } } },
	{ "program_not_string", "ebpf {\n  kprobe \"k\" {\n    program = 5\n    function = \"f\"\n  }\n}\n",
	  { { 3, 15, "program must be a string; found a number" } } },
	{ "program_empty", "ebpf {\n  kprobe \"k\" {\n    program = \"\"\n    function = \"f\"\n  }\n}\n",
	  { { 3, 15, "program is empty; expected the path of an eBPF object (.o)" } } },
	{ "program_with_control_character", "ebpf {\n  kprobe \"k\" {\n    program = \"k.o\\n\"\n    function = \"f\"\n  }\n}\n",
	  { { 3, 15, "path \"k.o...\" contains a control character (\\x0a)" } } },
	{ "program_from_heredoc_with_newline", "ebpf {\n  kprobe \"k\" {\n    program = <<EOF\nk.o\nEOF\n    function = \"f\"\n  }\n}\n",
	  { { 3, 15, "path \"k.o...\" contains a control character (\\x0a)" } } },
	{ "duplicate_field_in_program", XDP_HEAD "    program = \"g.o\"\n" TAIL,
	  { { 5, 5, "duplicate field \"program\"; it was first set on line 3" } } },

	/* program names */
	{ "duplicate_name_across_kinds", XDP_HEAD TAIL_OPEN_TC_SAME_NAME,
	  { { 6, 6, "duplicate program name \"f\"; xdp \"f\" already uses it (names are shared by all block types)" } } },
	{ "name_with_dot", "ebpf {\n  kprobe \"a.b\" {\n    program = \"k.o\"\n    function = \"f\"\n  }\n}\n",
	  { { 2, 10, "program name \"a.b\" contains '.'; use only letters, digits, '_' and '-' (a '.' separates program and map in API names)" } } },
	{ "name_too_long",
	  "ebpf {\n  kprobe \"k123456789012345678901234567890123456789012345678901234567890123\" {\n    program = \"k.o\"\n    function = \"f\"\n  }\n}\n",
	  { { 2, 10, "program name \"k123456789012345678901234567890123456789...\" is longer than 63 characters" } } },
	{ "name_empty", "ebpf {\n  kprobe \"\" {\n    program = \"k.o\"\n    function = \"f\"\n  }\n}\n",
	  { { 2, 10, "program name is empty" } } },
	{ "name_missing", "ebpf {\n  kprobe {\n    program = \"k.o\"\n    function = \"f\"\n  }\n}\n",
	  { { 2, 3, "kprobe block needs a name: kprobe \"NAME\" { ... }" } } },
	{ "two_names", "ebpf {\n  kprobe \"a\" \"b\" {\n    program = \"k.o\"\n    function = \"f\"\n  }\n}\n",
	  { { 2, 14, "kprobe block takes one name; found 2 labels" } } },

	/* fields of one block kind used in another */
	{ "direction_in_xdp", XDP_HEAD "    direction = \"ingress\"\n" TAIL,
	  { { 5, 5, "direction is not valid in xdp blocks; it belongs in tc blocks" } } },
	{ "mode_in_tc", TC_HEAD "    mode = \"native\"\n" TAIL,
	  { { 5, 5, "mode is not valid in tc blocks; it belongs in xdp blocks" } } },
	{ "shaping_in_xdp", XDP_HEAD "    shaping = { rate = \"1gbit\" }\n" TAIL,
	  { { 5, 5, "shaping is not valid in xdp blocks; it belongs in tc blocks" } } },
	{ "sockets_in_tc", TC_HEAD "    sockets = [\"dns\"]\n" TAIL,
	  { { 5, 5, "sockets is not valid in tc blocks; it belongs in socket_filter blocks" } } },
	{ "interface_in_tracepoint", TP_HEAD "    interface = \"eth0\"\n" TAIL,
	  { { 5, 5, "interface is not valid in tracepoint blocks; it belongs in xdp, tc and socket_filter blocks" } } },
	{ "function_in_tracepoint", TP_HEAD "    function = \"tcp_v4_connect\"\n" TAIL,
	  { { 5, 5, "function is not valid in tracepoint blocks; it belongs in kprobe blocks" } } },
	{ "tracepoint_in_kprobe", KP_HEAD "    tracepoint = \"net:x\"\n" TAIL,
	  { { 5, 5, "tracepoint is not valid in kprobe blocks; it belongs in tracepoint blocks" } } },

	/* enum values and names */
	{ "direction_bad", TC_HEAD "    direction = \"inbound\"\n" TAIL,
	  { { 5, 17, "direction must be \"ingress\" or \"egress\"; found \"inbound\"" } } },
	{ "xdp_interface_shared_without_priority",
	  XDP_HEAD "  }\n  xdp \"g\" {\n    program = \"g.o\"\n    interface = \"eth0\"\n    priority = 2\n" TAIL,
	  { { 6, 3, "xdp \"g\": interface eth0 already has xdp \"f\"; give both blocks a priority to run them one after the other" } } },
	{ "priority_negative", XDP_HEAD "    priority = -1\n" TAIL,
	  { { 5, 16, "priority must be between 0 and 65535; found -1" } } },
	{ "priority_too_big", TC_HEAD "    priority = 65536\n" TAIL,
	  { { 5, 16, "priority must be between 0 and 65535; found 65536" } } },
	{ "priority_fraction", TC_HEAD "    priority = 1.5\n" TAIL,
	  { { 5, 16, "priority must be a whole number; found 1.5" } } },
	{ "priority_string", XDP_HEAD "    priority = \"10\"\n" TAIL,
	  { { 5, 16, "priority must be a number; found a string" } } },
	{ "priority_on_socket_filter", SOCK_HEAD "    priority = 10\n" TAIL,
	  { { 5, 5, "priority is not valid in socket_filter blocks; it belongs in xdp and tc blocks" } } },
	{ "mode_bad", XDP_HEAD "    mode = \"fast\"\n" TAIL,
	  { { 5, 12, "unknown XDP mode \"fast\"; expected native, generic or auto" } } },
	{ "mode_typo", XDP_HEAD "    mode = \"nativ\"\n" TAIL,
	  { { 5, 12, "unknown XDP mode \"nativ\"; did you mean \"native\"?" } } },
	{ "tracepoint_without_category", "ebpf {\n  tracepoint \"p\" {\n    program = \"p.o\"\n    tracepoint = \"netif_receive_skb\"\n" TAIL,
	  { { 4, 18, "tracepoint \"netif_receive_skb\" must be \"category:name\", such as \"net:netif_receive_skb\"" } } },
	{ "tracepoint_bad_character", "ebpf {\n  tracepoint \"p\" {\n    program = \"p.o\"\n    tracepoint = \"net:netif-rx\"\n" TAIL,
	  { { 4, 18, "tracepoint \"net:netif-rx\" contains '-'; category and name use only letters, digits and '_'" } } },
	{ "function_bad", "ebpf {\n  kprobe \"k\" {\n    program = \"k.o\"\n    function = \"tcp v4\"\n" TAIL,
	  { { 4, 16, "function name \"tcp v4\" contains ' '; a kernel symbol uses only letters, digits, '_' and '.'" } } },
	{ "interface_too_long", "ebpf {\n  xdp \"f\" {\n    program = \"f.o\"\n    interface = \"averyveryverylongif\"\n" TAIL,
	  { { 4, 17, "interface name \"averyveryverylongif\" is longer than 15 characters" } } },
	{ "interface_with_slash", "ebpf {\n  xdp \"f\" {\n    program = \"f.o\"\n    interface = \"eth0/1\"\n" TAIL,
	  { { 4, 17, "interface name \"eth0/1\" contains '/', which Linux does not allow" } } },

	/* maps */
	{ "map_type_typo", MAP("blocklist = { type = \"hsh\", size = 10 }"),
	  { { 6, 28, "unknown map type \"hsh\"; did you mean \"hash\"?" } } },
	{ "map_type_unknown", MAP("blocklist = { type = \"btree\" }"),
	  { { 6, 28, "unknown map type \"btree\"; expected hash, array, percpu_array, percpu_hash, lru_hash, lru_percpu_hash, lpm_trie, perf_event_array, ringbuf, stack_trace or percpu_counter" } } },
	{ "map_type_not_string", MAP("blocklist = { type = 1 }"),
	  { { 6, 28, "type must be a string; found a number" } } },
	{ "map_size_zero_in_map", MAP("blocklist = { size = 0 }"),
	  { { 6, 28, "size must be between 1 and 16777216; found 0" } } },
	{ "map_size_negative_in_map", MAP("blocklist = { size = -100 }"),
	  { { 6, 28, "size must be between 1 and 16777216; found -100" } } },
	{ "map_size_over_max", MAP("blocklist = { size = 1e30 }"),
	  { { 6, 28, "size is beyond the 64-bit integer range; found 1e+30" } } },
	{ "map_size_beyond_int64", MAP("blocklist = { size = 99999999999999999999 }"),
	  { { 6, 28, "99999999999999999999 does not fit in a 64-bit integer (-9223372036854775808 to 9223372036854775807); HCL would keep it exactly, Flywall refuses rather than round it" } } },
	{ "map_size_fraction_in_map", MAP("blocklist = { size = 2.5 }"),
	  { { 6, 28, "size must be a whole number; found 2.5" } } },
	{ "map_size_string", MAP("blocklist = { size = \"big\" }"),
	  { { 6, 28, "size must be a number; found a string" } } },
	{ "map_unknown_field", MAP("blocklist = { sise = 10 }"),
	  { { 6, 21, "unknown field \"sise\" in map \"blocklist\"; did you mean \"size\"?" } } },
	{ "map_sets_nothing", MAP("blocklist = {}"),
	  { { 6, 19, "map \"blocklist\" sets neither type nor size" } } },
	{ "map_not_object", MAP("blocklist = 10"),
	  { { 6, 19, "map \"blocklist\" must be an object such as { type = \"hash\", size = 1024 }; found a number" } } },
	{ "map_name_invalid", MAP("\"block-list\" = { size = 10 }"),
	  { { 6, 7, "map name \"block-list\" contains '-'; use only letters, digits and '_' (the map's C name in the object)" } } },
	{ "map_duplicate", XDP_HEAD "    maps = {\n      a = { size = 1 }\n      a = { size = 2 }\n    }\n" TAIL,
	  { { 7, 7, "duplicate map \"a\"; it was first set on line 6" } } },
	{ "maps_not_object", XDP_HEAD "    maps = [\"a\"]\n" TAIL,
	  { { 5, 12, "maps must be an object such as maps = { NAME = { type = \"hash\", size = 1024 } }; found a list" } } },
	{ "ringbuf_size_not_power_of_two", MAP("events = { type = \"ringbuf\", size = 1000 }"),
	  { { 6, 43, "a ringbuf's size is its buffer in bytes: a power of two of at least 4096; found 1000" } } },
	{ "ringbuf_without_size_gets_map_size", MAP("events = { type = \"ringbuf\" }"),
	  { { 6, 25, "a ringbuf's size is its buffer in bytes: a power of two of at least 4096; found 1024; this map sets no size, so it would get map_size = 1024" } } },

	/* args */
	{ "arg_list_value", XDP_HEAD "    args = { ports = [53] }\n" TAIL,
	  { { 5, 22, "arg \"ports\" must be a number, bool or string; found a list" } } },
	{ "arg_bad_name", XDP_HEAD "    args = { max-pps = 1 }\n" TAIL,
	  { { 5, 14, "arg name \"max-pps\" contains '-'; use only letters, digits and '_' (the global variable's C name in the object)" } } },
	{ "arg_unicode_name", XDP_HEAD "    args = { d\xc3\xa9" "bit = 1 }\n" TAIL,
	  { { 5, 14, "arg name \"d\xc3\xa9" "bit\" contains '\xc3\xa9' (U+00E9, not ASCII); use only letters, digits and '_' (the global variable's C name in the object)" } } },
	{ "args_not_object", XDP_HEAD "    args = 5\n" TAIL,
	  { { 5, 12, "args must be an object such as args = { max_pps = 1000000 }; found a number" } } },
	{ "arg_duplicate", XDP_HEAD "    args = { a = 1, a = 2 }\n" TAIL,
	  { { 5, 21, "duplicate arg \"a\"; it was first set on line 5" } } },

	/* shaping */
	{ "shaping_without_rate", TC_HEAD "    shaping = { burst = \"1mbit\" }\n" TAIL,
	  { { 5, 15, "shaping needs a rate, such as rate = \"1gbit\"" } } },
	{ "rate_unit_typo", TC_HEAD "    shaping = { rate = \"1gbitz\" }\n" TAIL,
	  { { 5, 24, "unknown unit \"gbitz\" in rate \"1gbitz\"; did you mean \"gbit\"?" } } },
	{ "rate_unit_unknown", TC_HEAD "    shaping = { rate = \"10 furlongs\" }\n" TAIL,
	  { { 5, 24, "unknown unit \"furlongs\" in rate \"10 furlongs\"; expected bit, kbit, mbit, gbit, tbit (bits) or bps, kbps, mbps, gbps, tbps (bytes)" } } },
	{ "rate_zero", TC_HEAD "    shaping = { rate = \"0mbit\" }\n" TAIL,
	  { { 5, 24, "rate \"0mbit\" must be at least 1 bit" } } },
	{ "rate_without_number", TC_HEAD "    shaping = { rate = \"fast\" }\n" TAIL,
	  { { 5, 24, "invalid rate \"fast\"; expected a number and a unit, such as \"1gbit\", \"512kbit\" or \"10gbps\"" } } },
	{ "rate_negative_number", TC_HEAD "    shaping = { rate = -5 }\n" TAIL,
	  { { 5, 24, "rate must be at least 1 bit; found -5" } } },
	{ "rate_zero_number", TC_HEAD "    shaping = { rate = 0 }\n" TAIL,
	  { { 5, 24, "rate must be at least 1 bit; found 0" } } },
	{ "shaping_unknown_field", TC_HEAD "    shaping = { rate = \"1gbit\", ceil = \"2gbit\" }\n" TAIL,
	  { { 5, 33, "unknown field \"ceil\" in shaping" } } },
	{ "burst_bad", TC_HEAD "    shaping = { rate = \"1gbit\", burst = \"lots\" }\n" TAIL,
	  { { 5, 41, "invalid burst \"lots\"; expected a number and a unit, such as \"100mbit\" or \"64kbps\"" } } },

	/* sockets */
	{ "socket_unknown", "ebpf {\n  socket_filter \"s\" {\n    program = \"s.o\"\n    sockets = [\"dns\", \"ssh\"]\n" TAIL,
	  { { 4, 23, "unknown socket service \"ssh\"; expected dns or dhcp" } } },
	{ "socket_duplicate", "ebpf {\n  socket_filter \"s\" {\n    program = \"s.o\"\n    sockets = [\"dns\", \"dns\"]\n" TAIL,
	  { { 4, 23, "socket service \"dns\" is listed twice" } } },
	{ "sockets_empty", "ebpf {\n  socket_filter \"s\" {\n    program = \"s.o\"\n    sockets = []\n" TAIL,
	  { { 4, 15, "sockets must name at least one service: \"dns\" or \"dhcp\"" } } },
	{ "sockets_not_list", "ebpf {\n  socket_filter \"s\" {\n    program = \"s.o\"\n    sockets = \"dns\"\n" TAIL,
	  { { 4, 15, "sockets must be a list; found a string" } } },
	{ "socket_not_string", "ebpf {\n  socket_filter \"s\" {\n    program = \"s.o\"\n    sockets = [53]\n" TAIL,
	  { { 4, 16, "each socket must be a string; found a number" } } },

	/* api */
	{ "api_listen_without_port", "api {\n  listen = \"127.0.0.1\"\n}\n",
	  { { 2, 12, "listen must be \"host:port\", such as \"127.0.0.1:8080\" or \"[::1]:8080\", or \"unix:/path/to/socket\"; found \"127.0.0.1\"" } } },
	{ "api_listen_bad_port", "api {\n  listen = \"localhost:99999\"\n}\n",
	  { { 2, 12, "listen must be \"host:port\", such as \"127.0.0.1:8080\" or \"[::1]:8080\", or \"unix:/path/to/socket\"; found \"localhost:99999\"" } } },
	{ "api_unix_listen_without_path", "api {\n  listen = \"unix:\"\n}\n",
	  { { 2, 12, "listen \"unix:\" needs a path, such as \"unix:/run/flywall/api.sock\"" } } },
	{ "api_unix_path_too_long", "api {\n  listen = \"unix:/run/flywall/" NAME50 NAME50 "\"\n}\n",
	  { { 2, 12, "listen socket path /run/flywall/" NAME50 NAME50 " is longer than 107 characters (a limit of UNIX sockets); choose a shorter one" } } },
	{ "api_allowed_hosts_not_list", "api {\n  allowed_hosts = \"a.example\"\n}\n",
	  { { 2, 19, "allowed_hosts must be a list; found a string" } } },
	{ "api_allowed_host_with_port", "api {\n  allowed_hosts = [\"a.example\", \"b.example:8080\", 7]\n}\n",
	  { { 2, 33, "allowed_hosts takes host names such as \"flywall.example.org\" (letters, digits, '-', '_', '.'; no port, any port is accepted); found \"b.example:8080\"" },
	    { 2, 51, "each allowed host must be a string; found a number" } } },
	{ "api_too_many_allowed_hosts", "api {\n  allowed_hosts = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", \"j\", \"k\", \"l\", \"m\", \"n\", \"o\", \"p\", \"q\"]\n}\n",
	  { { 2, 100, "allowed_hosts holds at most 16 names" } } },
	{ "api_read_auth_not_bool", "api {\n  read_auth = \"yes\"\n}\n",
	  { { 2, 15, "read_auth must be a bool; found a string" } } },
	{ "api_socket_group_needs_unix", "api {\n  socket_group = \"flywall\"\n}\n",
	  { { 2, 3, "socket_group applies only to a UNIX socket: set listen = \"unix:/path/to/socket\" or remove it" } } },
	{ "api_socket_group_bad", "api {\n  listen = \"unix:/run/f.sock\"\n  socket_group = \"a b\"\n}\n",
	  { { 3, 18, "socket_group takes a group name or number; found \"a b\"" } } },
	{ "api_unknown_field", "api {\n  tokenfile = \"/t\"\n}\n",
	  { { 2, 3, "unknown field \"tokenfile\" in api; did you mean \"token_file\"?" } } },
	{ "api_token_file_not_string", "api {\n  token_file = true\n}\n",
	  { { 2, 16, "token_file must be a string; found a bool" } } },

	/* a syntax error comes through the loader with its position */
	{ "syntax_error", "ebpf {\n  enabled = true\n  map_size = 1k\n}\n",
	  { { 3, 14, "unexpected 'k' after the number 1; a value with a unit, such as \"10gbit\", is a string and needs quotes" } } },

	/* every error of a file at once, in file order */
	{ "all_errors_at_once",
	  "ebpf {\n  map_size = 0\n  xdp \"f\" {\n    program = 1\n    mode = \"x\"\n  }\n  tc \"f\" {\n  }\n}\n",
	  { { 2, 14, "map_size must be between 1 and 16777216; found 0" },
	    { 3, 3, "xdp \"f\" is missing the required field \"interface\"" },
	    { 4, 15, "program must be a string; found a number" },
	    { 5, 12, "unknown XDP mode \"x\"; expected native, generic or auto" },
	    { 7, 3, "tc \"f\" is missing the required field \"program\"" },
	    { 7, 3, "tc \"f\" is missing the required field \"interface\"" },
	    { 7, 6, "duplicate program name \"f\"; xdp \"f\" already uses it (names are shared by all block types)" } } },
};

static void run_bad_case(void **state)
{
	const struct bad_case *c = *state;
	struct loaded *l = load(c->text);
	size_t want = 0;

	while (want < 8 && c->errors[want].msg)
		want++;
	for (size_t i = 0; i < want && i < l->diags.count; i++) {
		const struct hcl_diag *d = &l->diags.items[i];

		if (strcmp(d->message, c->errors[i].msg) != 0 || d->pos.line != c->errors[i].line ||
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
	assert_true(l->count > 0);
	assert_int_equal(l->count, l->diags.count);
	unload(l);
}

/* ---- what loads, and how ---------------------------------------------- */

static void test_example_loads_every_block(void **state)
{
	char *text = read_text("examples/flywall.hcl");
	struct loaded *l = load_ok(text);
	const struct fw_config *cfg = &l->cfg;
	const struct fw_prog_spec *p = cfg->ebpf.progs;

	assert_true(cfg->ebpf.enabled);
	assert_true(cfg->ebpf.jit);
	assert_string_equal(cfg->ebpf.program_dir, "/etc/flywall/ebpf");
	assert_int_equal(cfg->ebpf.map_size, 1024);
	assert_int_equal(cfg->ebpf.n_progs, 6);

	assert_string_equal(p[0].name, "ddos_filter");
	assert_int_equal(p[0].hook, FW_HOOK_XDP);
	assert_string_equal(p[0].object, "/etc/flywall/ebpf/ddos_filter.o");
	assert_string_equal(p[0].interface, "eth0");
	assert_int_equal(p[0].xdp_mode, FW_XDP_AUTO);
	assert_int_equal(p[0].default_map_size, 1024);
	assert_int_equal(p[0].n_maps, 2);
	assert_string_equal(p[0].maps[0].name, "blocklist");
	assert_int_equal(p[0].maps[0].type, FW_MAP_HASH);
	assert_int_equal(p[0].maps[0].size, 100000);
	assert_string_equal(p[0].maps[1].name, "rate_limit");
	assert_int_equal(p[0].maps[1].type, FW_MAP_PERCPU_ARRAY);
	assert_int_equal(p[0].n_args, 2);
	assert_string_equal(p[0].args[0].name, "max_pps");
	assert_int_equal(p[0].args[0].kind, FW_ARG_INT);
	assert_true(p[0].args[0].i == 1000000);

	assert_string_equal(p[1].name, "ingress_filter");
	assert_int_equal(p[1].hook, FW_HOOK_TC);
	assert_int_equal(p[1].direction, FW_TC_INGRESS);
	assert_int_equal(p[1].maps[0].type, FW_MAP_LRU_HASH);
	assert_int_equal(p[1].maps[0].size, 1000000);
	assert_int_equal(p[1].maps[1].type, FW_MAP_PERCPU_COUNTER);
	assert_false(p[1].shaping.set);

	assert_string_equal(p[2].name, "egress_shaper");
	assert_int_equal(p[2].direction, FW_TC_EGRESS);
	assert_true(p[2].shaping.set);
	assert_true(p[2].shaping.rate_bps == 1000000000ull);
	assert_true(p[2].shaping.burst_bits == 100000000ull);

	assert_string_equal(p[3].name, "monitor");
	assert_int_equal(p[3].hook, FW_HOOK_SOCKET_FILTER);
	assert_int_equal(p[3].services, FW_SVC_DNS | FW_SVC_DHCP);
	assert_string_equal(p[3].interface, "");

	assert_string_equal(p[4].name, "network_events");
	assert_int_equal(p[4].hook, FW_HOOK_TRACEPOINT);
	assert_string_equal(p[4].tracepoint, "net:netif_receive_skb");
	assert_int_equal(p[4].maps[0].type, FW_MAP_PERF_EVENT_ARRAY);

	assert_string_equal(p[5].name, "tcp_trace");
	assert_int_equal(p[5].hook, FW_HOOK_KPROBE);
	assert_string_equal(p[5].function, "tcp_v4_connect");
	assert_int_equal(p[5].maps[0].type, FW_MAP_STACK_TRACE);

	assert_string_equal(cfg->api.listen, "127.0.0.1:8080");
	assert_string_equal(cfg->api.token_file, "/etc/flywall/api.token");
	unload(l);
	free(text);
}

static void test_every_spec_snippet_loads(void **state)
{
	static const char *const snippets[] = {
		"examples/snippets/1-basic.hcl", "examples/snippets/2-xdp.hcl",
		"examples/snippets/3-tc.hcl", "examples/snippets/4-socket_filter.hcl",
		"examples/snippets/5-tracepoint_kprobe.hcl",
	};
	static const size_t progs[] = { 0, 1, 2, 1, 2 };

	for (size_t i = 0; i < 5; i++) {
		struct fw_config cfg;
		char *errors = NULL;

		if (fw_config_load_file(snippets[i], &cfg, &errors)) {
			print_error("%s", errors);
			fail();
		}
		assert_null(errors);
		assert_true(cfg.ebpf.enabled);
		assert_int_equal(cfg.ebpf.n_progs, progs[i]);
		fw_config_release(&cfg);
	}
}

static void test_defaults(void **state)
{
	struct loaded *l = load_ok("ebpf {\n}\n");

	assert_true(l->cfg.ebpf.enabled);      /* the block's presence turns it on */
	assert_true(l->cfg.ebpf.jit);
	assert_int_equal(l->cfg.ebpf.map_size, FW_MAP_SIZE_DEFAULT);
	assert_string_equal(l->cfg.ebpf.program_dir, FW_DEFAULT_PROGRAM_DIR);
	assert_string_equal(l->cfg.api.listen, FW_DEFAULT_API_LISTEN);
	assert_string_equal(l->cfg.api.token_file, FW_DEFAULT_TOKEN_FILE);
	assert_string_equal(l->cfg.path, CONFIG_NAME);
	unload(l);

	l = load_ok("# nothing but a comment\n");
	assert_false(l->cfg.ebpf.enabled);      /* no ebpf block: nothing to load */
	assert_int_equal(l->cfg.ebpf.n_progs, 0);
	unload(l);
}

static void test_api_fields(void **state)
{
	struct loaded *l = load_ok("api {\n  listen = \"unix:run/../api.sock\"\n"
				   "  allowed_hosts = [\"flywall.example\", \"fw\"]\n"
				   "  read_auth = true\n  socket_group = \"flywall\"\n}\n");
	json_t *j;

	/* A socket path resolves like token_file. */
	assert_string_equal(l->cfg.api.listen, "unix:/etc/flywall/api.sock");
	assert_int_equal(l->cfg.api.n_allowed_hosts, 2);
	assert_string_equal(l->cfg.api.allowed_hosts[0], "flywall.example");
	assert_string_equal(l->cfg.api.allowed_hosts[1], "fw");
	assert_true(l->cfg.api.read_auth);
	assert_string_equal(l->cfg.api.socket_group, "flywall");
	j = fw_config_to_json(&l->cfg);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
		json_object_get(j, "api"), "allowed_hosts"), 1)), "fw");
	assert_true(json_is_true(json_object_get(json_object_get(j, "api"), "read_auth")));
	json_decref(j);
	unload(l);

	l = load_ok("api {\n}\n");
	assert_false(l->cfg.api.read_auth);   /* reads are open by default, as before */
	assert_int_equal(l->cfg.api.n_allowed_hosts, 0);
	assert_string_equal(l->cfg.api.socket_group, "");
	unload(l);
}

static void test_program_defaults(void **state)
{
	struct loaded *l = load_ok("ebpf {\n  map_size = 4096\n"
				   "  xdp \"x\" {\n    program = \"x.o\"\n    interface = \"eth0\"\n  }\n"
				   "  tc \"t\" {\n    program = \"t.o\"\n    interface = \"eth0\"\n  }\n}\n");
	const struct fw_prog_spec *p = l->cfg.ebpf.progs;

	assert_int_equal(p[0].xdp_mode, FW_XDP_AUTO);
	assert_int_equal(p[0].default_map_size, 4096);
	assert_int_equal(p[0].n_maps, 0);
	assert_null(p[0].maps);
	assert_int_equal(p[1].direction, FW_TC_INGRESS);
	assert_false(p[1].shaping.set);
	unload(l);
}

static void test_disabled_config_is_still_validated(void **state)
{
	struct loaded *l = load("ebpf {\n  enabled = false\n  xdp \"x\" {\n    program = \"x.o\"\n  }\n}\n");

	assert_int_equal(l->count, 1);
	assert_string_equal(l->diags.items[0].message,
			    "xdp \"x\" is missing the required field \"interface\"");
	unload(l);
	l = load_ok("ebpf {\n  enabled = false\n}\n");
	assert_false(l->cfg.ebpf.enabled);
	unload(l);
}

static void test_paths_resolve_against_program_dir(void **state)
{
	struct loaded *l = load_ok("ebpf {\n  program_dir = \"progs/../ebpf/\"\n"
				   "  kprobe \"a\" {\n    program = \"sub/./a.o\"\n    function = \"f\"\n  }\n"
				   "  kprobe \"b\" {\n    program = \"/opt/b.o\"\n    function = \"f\"\n  }\n"
				   "  kprobe \"c\" {\n    program = \"../c.bpf.c\"\n    function = \"f\"\n  }\n}\n"
				   "api {\n  token_file = \"token\"\n}\n");
	const struct fw_prog_spec *p = l->cfg.ebpf.progs;

	/* program_dir and token_file resolve against the file's directory */
	assert_string_equal(l->cfg.ebpf.program_dir, "/etc/flywall/ebpf");
	assert_string_equal(l->cfg.api.token_file, "/etc/flywall/token");
	assert_string_equal(p[0].object, "/etc/flywall/ebpf/sub/a.o");
	assert_string_equal(p[1].object, "/opt/b.o");
	assert_string_equal(p[2].object, "/etc/flywall/c.bpf.c");
	unload(l);
}

static void test_program_file_need_not_exist(void **state)
{
	struct loaded *l = load_ok("ebpf {\n  kprobe \"a\" {\n    program = \"/nonexistent/a.o\"\n"
				   "    function = \"f\"\n  }\n}\n");

	assert_string_equal(l->cfg.ebpf.progs[0].object, "/nonexistent/a.o");
	unload(l);
}

/* HCL's numbers are exact: 1e3, 1024.0 and 1.5e3 are whole numbers, so integers. */
static void test_whole_numbers_in_any_notation(void **state)
{
	struct loaded *l = load_ok("ebpf {\n  map_size = 1e3\n  tc \"t\" {\n    program = \"t.o\"\n"
				   "    interface = \"eth0\"\n    shaping = { rate = 1e9, burst = 1.5e6 }\n"
				   "    maps = { m = { size = 1024.0 } }\n"
				   "    args = { max_pps = 1e6, ratio = 2.50e1 }\n  }\n}\n");
	const struct fw_prog_spec *p = &l->cfg.ebpf.progs[0];

	assert_int_equal(l->cfg.ebpf.map_size, 1000);
	assert_true(p->shaping.rate_bps == 1000000000);
	assert_true(p->shaping.burst_bits == 1500000);
	assert_int_equal(p->maps[0].size, 1024);
	assert_int_equal(p->args[0].kind, FW_ARG_INT);
	assert_true(p->args[0].i == 1000000);
	assert_int_equal(p->args[1].kind, FW_ARG_INT);
	assert_true(p->args[1].i == 25);
	unload(l);
}

static void test_args_of_every_kind(void **state)
{
	struct loaded *l = load_ok(XDP_HEAD "    args = {\n      i = -42\n      f = 0.5\n      b = true\n"
				   "      s = \"text\"\n      big = 9223372036854775807\n    }\n" TAIL);
	const struct fw_arg *a = l->cfg.ebpf.progs[0].args;

	assert_int_equal(l->cfg.ebpf.progs[0].n_args, 5);
	assert_int_equal(a[0].kind, FW_ARG_INT);
	assert_true(a[0].i == -42);
	assert_int_equal(a[1].kind, FW_ARG_FLOAT);
	assert_true(a[1].f == 0.5);
	assert_int_equal(a[2].kind, FW_ARG_BOOL);
	assert_true(a[2].b);
	assert_int_equal(a[3].kind, FW_ARG_STRING);
	assert_string_equal(a[3].s, "text");
	assert_true(a[4].i == INT64_MAX);
	unload(l);
}

static void test_xdp_modes_and_map_without_type(void **state)
{
	static const char *const modes[] = { "native", "generic", "auto" };
	static const enum fw_xdp_mode want[] = { FW_XDP_NATIVE, FW_XDP_GENERIC, FW_XDP_AUTO };

	for (int i = 0; i < 3; i++) {
		char text[512];
		struct loaded *l;

		snprintf(text, sizeof(text), XDP_HEAD "    mode = \"%s\"\n    maps = { m = { size = 8 } }\n" TAIL,
			 modes[i]);
		l = load_ok(text);
		assert_int_equal(l->cfg.ebpf.progs[0].xdp_mode, want[i]);
		assert_int_equal(l->cfg.ebpf.progs[0].maps[0].type, FW_MAP_DEFAULT);
		assert_int_equal(l->cfg.ebpf.progs[0].maps[0].size, 8);
		unload(l);
	}
}

static void test_priority(void **state)
{
	struct loaded *l = load_ok(TC_HEAD "    priority = 20\n" TAIL);
	json_t *j;

	assert_true(l->cfg.ebpf.progs[0].has_priority);
	assert_int_equal(l->cfg.ebpf.progs[0].priority, 20);
	j = fw_prog_spec_to_json(&l->cfg.ebpf.progs[0]);
	assert_int_equal(json_integer_value(json_object_get(j, "priority")), 20);
	json_decref(j);
	unload(l);
	l = load_ok(XDP_HEAD TAIL);
	assert_false(l->cfg.ebpf.progs[0].has_priority);
	unload(l);
	/* Two xdp blocks share an interface only with priorities. */
	l = load_ok(XDP_HEAD "    priority = 1\n  }\n  xdp \"g\" {\n    program = \"g.o\"\n"
		    "    interface = \"eth0\"\n    priority = 2\n" TAIL);
	assert_int_equal(l->cfg.ebpf.n_progs, 2);
	unload(l);
}

static void test_rate_as_plain_number(void **state)
{
	struct loaded *l = load_ok(TC_HEAD "    shaping = { rate = 1000000 }\n" TAIL);

	assert_true(l->cfg.ebpf.progs[0].shaping.set);
	assert_true(l->cfg.ebpf.progs[0].shaping.rate_bps == 1000000);
	assert_true(l->cfg.ebpf.progs[0].shaping.burst_bits == 0);
	unload(l);
}

static void test_load_string_renders_errors(void **state)
{
	struct fw_config cfg;
	char *errors = NULL;
	const char *text = "ebpf {\n  jit = 1\n  map_size = 0\n}\n";

	assert_int_equal(fw_config_load_string("t.hcl", text, strlen(text), &cfg, &errors), 2);
	assert_string_equal(errors,
		"t.hcl:2:9: error: jit must be a bool; found a number\n"
		"     2 |   jit = 1\n"
		"       |         ^\n"
		"t.hcl:3:14: error: map_size must be between 1 and 16777216; found 0\n"
		"     3 |   map_size = 0\n"
		"       |              ^\n");
	free(errors);
}

static void test_unreadable_file_is_one_error(void **state)
{
	struct fw_config cfg;
	char *errors = NULL;

	assert_int_equal(fw_config_load_file("/nonexistent/flywall.hcl", &cfg, &errors), 1);
	assert_string_equal(errors, "/nonexistent/flywall.hcl: error: cannot read /nonexistent/flywall.hcl: No such file or directory\n");
	free(errors);
}

static void test_json_view(void **state)
{
	char *text = read_text("examples/flywall.hcl");
	struct loaded *l = load_ok(text);
	json_t *j = fw_config_to_json(&l->cfg), *progs, *p;

	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "file")), CONFIG_NAME);
	assert_true(json_is_true(json_object_get(json_object_get(j, "ebpf"), "enabled")));
	progs = json_object_get(json_object_get(j, "ebpf"), "programs");
	assert_int_equal(json_array_size(progs), 6);
	p = json_array_get(progs, 2);
	assert_string_equal(json_string_value(json_object_get(p, "direction")), "egress");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "shaping"), "rate_bps")),
			 1000000000);
	p = json_array_get(progs, 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "sockets"), 1)), "dhcp");
	p = json_array_get(progs, 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "args"), "max_pps")), 1000000);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "maps"), 0), "type")),
			    "hash");
	json_decref(j);
	unload(l);
	free(text);
}

/* A text of n repetitions of item (with %d for its index) between head and tail. */
static char *repeat(const char *head, const char *item, int n, const char *tail)
{
	size_t cap = strlen(head) + (size_t)n * (strlen(item) + 12) + strlen(tail) + 1, len;
	char *text = malloc(cap);

	len = snprintf(text, cap, "%s", head);
	for (int i = 0; i < n; i++)
		len += snprintf(text + len, cap - len, item, i);
	snprintf(text + len, cap - len, "%s", tail);
	return text;
}

static void test_limits(void **state)
{
	char *text = repeat(XDP_HEAD "    maps = {\n", "      m%d = { size = 1 }\n", FW_CONFIG_MAX_MAPS + 1,
			    "    }\n" TAIL);
	struct loaded *l = load(text);

	assert_int_equal(l->count, 1);
	assert_string_equal(l->diags.items[0].message, "a program sets at most 256 maps; found 257");
	assert_int_equal(l->diags.items[0].pos.line, 5);
	unload(l);
	free(text);

	text = repeat(XDP_HEAD "    args = {\n", "      a%d = 1\n", FW_CONFIG_MAX_ARGS, "    }\n" TAIL);
	l = load_ok(text);
	assert_int_equal(l->cfg.ebpf.progs[0].n_args, FW_CONFIG_MAX_ARGS);
	unload(l);
	free(text);

	text = repeat("ebpf {\n", "  kprobe \"k%d\" {\n    program = \"k.o\"\n    function = \"f\"\n  }\n",
		      FW_CONFIG_MAX_PROGS + 1, "}\n");
	l = load(text);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->diags.items[0].message, "a configuration holds at most 1024 programs");
	assert_int_equal(l->diags.items[0].pos.line, 2 + 4 * FW_CONFIG_MAX_PROGS);
	unload(l);
	free(text);
}

static void test_error_count_is_capped(void **state)
{
	char *text = repeat("ebpf {\n", "  x%d = 1\n", 5000, "}\n");
	struct loaded *l = load(text);

	assert_int_equal(l->count, HCL_MAX_DIAGS + 1);
	assert_string_equal(l->diags.items[0].message, "unknown field \"x0\" in ebpf");
	assert_string_equal(l->diags.items[HCL_MAX_DIAGS].message,
			    "too many errors (more than 1000); fix these first");
	unload(l);
	free(text);
}

/* ---- field parsers shared with the API --------------------------------- */

static void test_rate_units(void **state)
{
	static const struct { const char *text; uint64_t bits; } cases[] = {
		{ "1gbit", 1000000000ull }, { "100mbit", 100000000ull }, { "512kbit", 512000ull },
		{ "10gbps", 80000000000ull }, { "1000000", 1000000ull }, { "1.5mbit", 1500000ull },
		{ "1kibit", 1024ull }, { "2mibps", 16777216ull }, { "1GBit", 1000000000ull },
		{ "8bit", 8ull }, { "1bps", 8ull }, { "1 gbit", 1000000000ull }, { "1tbit", 1000000000000ull },
	};
	struct fw_error err = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t bits = 0;

		assert_int_equal(fw_rate_parse(cases[i].text, &bits, &err), 0);
		if (bits != cases[i].bits) {
			print_error("%s: want %llu, got %llu\n", cases[i].text,
				    (unsigned long long)cases[i].bits, (unsigned long long)bits);
			fail();
		}
	}
	assert_int_equal(fw_rate_parse("", &(uint64_t){ 0 }, &err), -22);
	assert_string_equal(err.msg, "invalid rate \"\"; expected a number and a unit, such as \"1gbit\", \"512kbit\" or \"10gbps\"");
	assert_int_equal(fw_rate_parse("99999999tbps", &(uint64_t){ 0 }, &err), -22);
	assert_string_equal(err.msg, "rate \"99999999tbps\" is too large");
	assert_int_equal(fw_rate_parse("1..2gbit", &(uint64_t){ 0 }, &err), -22);
	assert_int_equal(fw_rate_parse("0.1bit", &(uint64_t){ 0 }, &err), -22);
	assert_string_equal(err.msg, "rate \"0.1bit\" must be at least 1 bit");
}

static void test_burst(void **state)
{
	struct fw_error err = { 0 };
	uint64_t bits;

	assert_int_equal(fw_burst_parse("100mbit", &bits, &err), 0);
	assert_true(bits == 100000000ull);
	assert_int_equal(fw_burst_parse("64kbps", &bits, &err), 0);
	assert_true(bits == 512000ull);
	assert_int_equal(fw_burst_parse("100kb", &bits, &err), -22);
	assert_string_equal(err.msg, "unit \"kb\" in burst \"100kb\" is ambiguous; write \"kbit\" for bits or \"kbps\" for bytes");
}

static void test_enum_parsers(void **state)
{
	struct fw_error err = { 0 };
	enum fw_hook hook;
	enum fw_map_type type;
	enum fw_tc_direction dir;
	enum fw_service svc;

	for (int h = 0; h < FW_HOOK__COUNT; h++) {
		assert_int_equal(fw_hook_parse(fw_hook_name(h), &hook, &err), 0);
		assert_int_equal(hook, h);
	}
	assert_int_equal(fw_hook_parse("xpd", &hook, &err), -22);
	assert_string_equal(err.msg, "unknown hook \"xpd\"; did you mean \"xdp\"?");
	assert_int_equal(fw_hook_parse("cgroup", &hook, &err), -22);
	assert_string_equal(err.msg, "unknown hook \"cgroup\"; expected xdp, tc, socket_filter, tracepoint or kprobe");

	for (int t = 1; t < FW_MAP__COUNT; t++) {
		assert_int_equal(fw_map_type_parse(fw_map_type_name(t), &type, &err), 0);
		assert_int_equal(type, t);
	}
	assert_int_equal(fw_map_type_parse("default", &type, &err), -22);
	assert_int_equal(fw_map_type_parse("lru-hash", &type, &err), -22);
	assert_string_equal(err.msg, "unknown map type \"lru-hash\"; did you mean \"lru_hash\"?");

	assert_int_equal(fw_tc_direction_parse("egress", &dir, &err), 0);
	assert_int_equal(dir, FW_TC_EGRESS);
	assert_int_equal(fw_tc_direction_parse("Ingress", &dir, &err), -22);

	assert_int_equal(fw_service_parse("dhcp", &svc, &err), 0);
	assert_int_equal(svc, FW_SVC_DHCP);
	assert_string_equal(fw_service_name(FW_SVC_DNS), "dns");
}

static void test_names(void **state)
{
	struct fw_error err = { 0 };

	assert_int_equal(fw_prog_name_valid("ddos_filter-2", &err), 0);
	assert_int_equal(fw_prog_name_valid("a/b", &err), -22);
	assert_int_equal(fw_map_name_valid("blocklist", &err), 0);
	assert_int_equal(fw_map_name_valid("1map", &err), -22);
	assert_string_equal(err.msg, "map name \"1map\" starts with a digit; it is a C identifier");
	assert_int_equal(fw_arg_name_valid("max_pps", &err), 0);
	assert_int_equal(fw_ifname_valid("veth-fw0", &err), 0);
	assert_int_equal(fw_ifname_valid("..", &err), -22);
	assert_int_equal(fw_ifname_valid("a b", &err), -22);
	assert_int_equal(fw_tracepoint_valid("sock:inet_sock_set_state", &err), 0);
	assert_int_equal(fw_tracepoint_valid("net:", &err), -22);
	assert_int_equal(fw_tracepoint_valid("a:b:c", &err), -22);
	assert_int_equal(fw_function_valid("tcp_v4_connect.isra.0", &err), 0);
	assert_int_equal(fw_function_valid("0abc", &err), -22);
	assert_string_equal(err.msg, "function name \"0abc\" must start with a letter or '_'");
}

static void test_sizes(void **state)
{
	struct fw_error err = { 0 };

	assert_int_equal(fw_map_size_valid(1, &err), 0);
	assert_int_equal(fw_map_size_valid(FW_MAP_SIZE_MAX, &err), 0);
	assert_int_equal(fw_map_size_valid(FW_MAP_SIZE_MAX + 1ll, &err), -22);
	assert_int_equal(fw_map_override_valid(FW_MAP_RINGBUF, 1 << 20, &err), 0);
	assert_int_equal(fw_map_override_valid(FW_MAP_RINGBUF, 2048, &err), -22);
	assert_int_equal(fw_map_override_valid(FW_MAP_HASH, 1000, &err), 0);
}

static void test_path_resolve(void **state)
{
	static const struct { const char *base, *path, *want; } cases[] = {
		{ "/etc/flywall/ebpf", "x.o", "/etc/flywall/ebpf/x.o" },
		{ "/etc/flywall/ebpf", "/abs/x.o", "/abs/x.o" },
		{ "/etc/flywall/ebpf", "../../../../x.o", "/x.o" },
		{ "/", "a//b/./c/../d.o", "/a/b/d.o" },
		{ "/a/", "./", "/a" },
	};
	struct fw_error err = { 0 };
	char out[FW_PATH_MAX], small[8];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(fw_path_resolve(cases[i].base, cases[i].path, out, sizeof(out), &err), 0);
		assert_string_equal(out, cases[i].want);
	}
	assert_int_equal(fw_path_resolve("/", "", out, sizeof(out), &err), -22);
	assert_int_equal(fw_path_resolve("relative", "x", out, sizeof(out), &err), -22);
	assert_int_equal(fw_path_resolve("/", "abcdefgh", small, sizeof(small), &err), -ENAMETOOLONG);
}

static void test_suggest(void **state)
{
	static const char *const words[] = { "interface", "direction", "program" };

	assert_string_equal(fw_suggest("interfce", words, 3), "interface");
	assert_string_equal(fw_suggest("Program", words, 3), "program");
	assert_string_equal(fw_suggest("dierction", words, 3), "direction");
	assert_null(fw_suggest("colour", words, 3));
	assert_null(fw_suggest("", words, 3));
}

int main(void)
{
	const size_t n_bad = sizeof(bad_cases) / sizeof(bad_cases[0]);
	const struct CMUnitTest good[] = {
		cmocka_unit_test(test_example_loads_every_block),
		cmocka_unit_test(test_every_spec_snippet_loads),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_program_defaults),
		cmocka_unit_test(test_disabled_config_is_still_validated),
		cmocka_unit_test(test_paths_resolve_against_program_dir),
		cmocka_unit_test(test_program_file_need_not_exist),
		cmocka_unit_test(test_whole_numbers_in_any_notation),
		cmocka_unit_test(test_args_of_every_kind),
		cmocka_unit_test(test_xdp_modes_and_map_without_type),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_rate_as_plain_number),
		cmocka_unit_test(test_load_string_renders_errors),
		cmocka_unit_test(test_unreadable_file_is_one_error),
		cmocka_unit_test(test_json_view),
		cmocka_unit_test(test_api_fields),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_error_count_is_capped),
		cmocka_unit_test(test_rate_units),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_enum_parsers),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_path_resolve),
		cmocka_unit_test(test_suggest),
	};
	struct CMUnitTest *bad = calloc(n_bad, sizeof(*bad));
	int failed;

	for (size_t i = 0; i < n_bad; i++) {
		bad[i].name = bad_cases[i].name;
		bad[i].test_func = run_bad_case;
		bad[i].initial_state = (void *)&bad_cases[i];
	}
	failed = cmocka_run_group_tests_name("ebpf_config", good, NULL, NULL);
	failed += _cmocka_run_group_tests("bad_configs", bad, n_bad, NULL, NULL);
	free(bad);
	return failed ? 1 : 0;
}
