// SPDX-License-Identifier: MIT
/* `flywall ebpf COMMAND`: the tables of eBPF subcommands, their arguments and help. */
#include "cli/command.h"
#include "cli/ebpf_client_cmds.h"
#include "cli/ebpf_cmds.h"
#include "cli/rules_cmds.h"
#include "ebpf/compiler.h"

static const struct fw_command_word json_word[] = {
	{ "--json", FW_VALUE_NONE, NULL, "print JSON (errors too)" },
	{ 0 },
};

static const struct fw_command_word compile_words[] = {
	{ "-o", FW_VALUE_FILE, "OUT.o", "where the object goes (default: FILE's name with .o, "
	  "in the current directory)" },
	{ "-I", FW_VALUE_DIR, "DIR", "search DIR for headers first (repeatable)" },
	{ "--cache-dir", FW_VALUE_DIR, "DIR", "the cache (default " FW_DEFAULT_CACHE_DIR
	  ", or $FLYWALL_CACHE_DIR)" },
	{ 0 },
};

static const struct fw_command_word test_words[] = {
	{ "program", FW_VALUE_TEXT, "NAME", "the object's program to run (default: its first "
	  "xdp, tc or socket_filter program)" },
	{ "arg", FW_VALUE_TEXT, "KEY=VALUE", "a run-time argument, as in the configuration "
	  "(repeatable)" },
	{ "map", FW_VALUE_TEXT, "NAME:TYPE:SIZE", "override a map's type or size; either may be "
	  "empty (repeatable)" },
	{ "repeat", FW_VALUE_TEXT, "N", "run each frame N times (the time is per run)" },
	{ "--verbose", FW_VALUE_NONE, NULL, "the verdict of every frame, and the verifier log "
	  "on failure" },
	{ 0 },
};

static const struct fw_command_word clean_words[] = {
	{ "--pin-root", FW_VALUE_DIR, "DIR", "the daemon's pin root (default /sys/fs/bpf/flywall)" },
	{ 0 },
};

static const struct fw_command_word load_words[] = {
	{ "interface", FW_VALUE_TEXT, "IF", "the interface (xdp, tc; socket filters: optional)" },
	{ "hook", FW_VALUE_TEXT, "H", "xdp, tc, socket_filter, tracepoint or kprobe (default: "
	  "from the object's section)" },
	{ "direction", FW_VALUE_TEXT, "D", "tc: ingress or egress" },
	{ "mode", FW_VALUE_TEXT, "M", "xdp: native, generic or offload" },
	{ "tracepoint", FW_VALUE_TEXT, "CAT:NAME", "tracepoint: where it attaches" },
	{ "function", FW_VALUE_TEXT, "F", "kprobe: the kernel function" },
	{ "sockets", FW_VALUE_TEXT, "dns,dhcp", "socket_filter: the services' sockets" },
	{ "rate", FW_VALUE_TEXT, "R", "tc egress: shape to this rate (\"1gbit\")" },
	{ "burst", FW_VALUE_TEXT, "B", "tc egress: the shaper's burst" },
	{ "map", FW_VALUE_TEXT, "NAME:TYPE:SIZE", "override a map's type or size (repeatable)" },
	{ "arg", FW_VALUE_TEXT, "K=V", "a run-time argument (repeatable)" },
	{ 0 },
};

static const struct fw_command_word program_word[] = {
	{ "program", FW_VALUE_TEXT, "P", "the blocklist of program P (default ddos_filter)" },
	{ 0 },
};

static const struct fw_command_word expires_program_words[] = {
	{ "expires", FW_VALUE_TEXT, "SECONDS", "remove the addresses after SECONDS" },
	{ "program", FW_VALUE_TEXT, "P", "the blocklist of program P (default ddos_filter)" },
	{ 0 },
};

static const struct fw_command_word events_words[] = {
	{ "since", FW_VALUE_TEXT, "SEQ", "start after event SEQ (what the ring still holds)" },
	{ "count", FW_VALUE_TEXT, "N", "stop after N events" },
	{ 0 },
};

static const struct fw_command map_commands[] = {
	{ "dump", fw_cmd_ebpf_map_dump, NULL, "NAME", "every entry of a map (NAME or "
	  "PROGRAM.MAP), printed as it streams", { fw_client_words } },
	{ 0 },
};

static const struct fw_command cluster_commands[] = {
	{ "status", fw_cmd_ebpf_cluster_status, NULL, "",
	  "nodes seen, sequence applied, lag, last error", { fw_client_words } },
	{ 0 },
};

static const struct fw_command blocklist_commands[] = {
	{ "add", fw_cmd_ebpf_blocklist_add, NULL, "ADDRESS... [expires SECONDS] [program P]",
	  "block addresses or CIDRs", { expires_program_words, fw_client_words } },
	{ "del", fw_cmd_ebpf_blocklist_del, NULL, "ADDRESS... [program P]",
	  "unblock addresses or CIDRs", { program_word, fw_client_words } },
	{ "delete", fw_cmd_ebpf_blocklist_del, NULL, "ADDRESS... [program P]",
	  "the same as del", { program_word, fw_client_words } },
	{ "list", fw_cmd_ebpf_blocklist_list, NULL, "[program P]",
	  "the blocked addresses, printed as they stream", { program_word, fw_client_words } },
	{ "import", fw_cmd_ebpf_blocklist_import, NULL, "FILE|- [expires SECONDS] [program P]",
	  "block every address of a list (plain, FireHOL netset, Spamhaus DROP; - is stdin)",
	  { expires_program_words, fw_client_words }, NULL, 1 },
	{ 0 },
};

static const struct fw_command_word rules_program_word[] = {
	{ "program", FW_VALUE_TEXT, "P", "the rules of program P (default ddos_filter)" },
	{ 0 },
};

static const struct fw_command_word rules_add_words[] = {
	{ "src", FW_VALUE_TEXT, "CIDR", "match the source address or prefix" },
	{ "dst", FW_VALUE_TEXT, "CIDR", "match the destination address or prefix" },
	{ "dport", FW_VALUE_TEXT, "P|LO-HI", "match the destination port or range (tcp, udp)" },
	{ "flags", FW_VALUE_TEXT, "F", "tcp flags set and (with !) clear: syn,!ack" },
	{ "pps", FW_VALUE_TEXT, "N", "rate_limit: packets per second the rule lets through" },
	{ "position", FW_VALUE_TEXT, "N", "insert at N (0 is first; default last)" },
	{ "program", FW_VALUE_TEXT, "P", "the rules of program P (default ddos_filter)" },
	{ 0 },
};

static const struct fw_command rules_commands[] = {
	{ "list", fw_cmd_ebpf_rules_list, NULL, "[program P]",
	  "the rules in order, with packets, bytes and shadow-mode would-drops",
	  { rules_program_word, fw_client_words } },
	{ "add", fw_cmd_ebpf_rules_add, NULL,
	  "NAME ACTION [PROTO] [src CIDR] [dst CIDR] [dport P|LO-HI] [flags F] [pps N] "
	  "[position N] [program P]",
	  "add a rule (ACTION: drop, pass, count, rate_limit; PROTO: tcp, udp, icmp, icmpv6, any)",
	  { rules_add_words, fw_client_words },
	  "The first rule in order that matches decides; count rules count and go on.\n"
	  "A change reaches every packet at once (docs/programs.md#rules).\n"
	  "Example: flywall ebpf rules add no-telnet drop tcp dport 23\n" },
	{ "del", fw_cmd_ebpf_rules_del, NULL, "NAME [program P]", "delete a rule",
	  { rules_program_word, fw_client_words } },
	{ 0 },
};

static const struct fw_command_word top_words[] = {
	{ "--interval", FW_VALUE_TEXT, "S", "count over S seconds, 0 to 10 (default 1; 0: totals)" },
	{ "limit", FW_VALUE_TEXT, "N", "show N sources (default 10)" },
	{ "program", FW_VALUE_TEXT, "P", "the sources of program P (default ddos_filter)" },
	{ 0 },
};

static const struct fw_command_word capture_words[] = {
	{ "-w", FW_VALUE_FILE, "FILE.pcap", "where the packets go (required); reasons in FILE.pcap.reasons" },
	{ "count", FW_VALUE_TEXT, "N", "stop after N packets" },
	{ "reason", FW_VALUE_TEXT, "R", "only drops for reason R (rule, feed, blocklist, "
	  "cidr_blocklist, rate_limit, rule_rate_limit, under_attack, malformed, fragment)" },
	{ "sample", FW_VALUE_TEXT, "N", "capture one drop in N per CPU (default 1)" },
	{ "timeout", FW_VALUE_TEXT, "S", "stop after S seconds" },
	{ "--pin-root", FW_VALUE_DIR, "DIR", "the daemon's pin root (default /sys/fs/bpf/flywall)" },
	{ 0 },
};

static const struct fw_command feeds_commands[] = {
	{ "list", fw_cmd_ebpf_feeds_list, NULL, "[program P]",
	  "the feeds: prefixes after merging, entries, bad lines by number, hits, last load",
	  { rules_program_word, fw_client_words } },
	{ "reload", fw_cmd_ebpf_feeds_reload, NULL, "[program P]",
	  "re-read every feed of the program now (a feed that fails keeps its previous version)",
	  { rules_program_word, fw_client_words } },
	{ 0 },
};

const struct fw_command fw_ebpf_commands[] = {
	{ "features", fw_cmd_ebpf_features, NULL, "[--json]",
	  "what this kernel supports, found by trying", { json_word } },
	{ "compile", fw_cmd_ebpf_compile, NULL, "FILE.bpf.c [-o OUT.o] [-I DIR]... [--cache-dir DIR] [--json]",
	  "compile a program with clang, cached by hash", { compile_words, json_word },
	  "Compiles with clang against the running kernel's vmlinux.h, or the kernel's UAPI\n"
	  "headers (<linux/bpf.h>, ...); an unchanged program is taken from the cache.\n"
	  "Flywall's headers (flywall/*.h, parse.h) are on the include path: found beside\n"
	  "the binary, or in $FLYWALL_INCLUDE_DIR (DIR[:DIR...]).\n", 1 },
	{ "test", fw_cmd_ebpf_test, NULL,
	  "OBJECT PCAP [program NAME] [arg KEY=VALUE]... [map NAME:TYPE:SIZE]... [repeat N] [--json] [--verbose]",
	  "run a capture through a program offline", { test_words, json_word },
	  "Runs every frame of PCAP (Ethernet) through OBJECT's xdp, tc or socket_filter\n"
	  "program with BPF_PROG_TEST_RUN; nothing is attached or pinned. An OBJECT\n"
	  "ending in .bpf.c is compiled first (cached), as by ebpf compile.\n", 1 },
	{ "clean", fw_cmd_ebpf_clean, NULL, "[--pin-root DIR] [--json]",
	  "remove everything Flywall attached and pinned (the daemon stopped)",
	  { clean_words, json_word } },
	{ "status", fw_cmd_ebpf_status, NULL, "", "daemon, kernel features, programs, maps",
	  { fw_client_words } },
	{ "programs", fw_cmd_ebpf_programs, NULL, "[NAME]", "loaded programs, or one in detail",
	  { fw_client_words } },
	{ "maps", fw_cmd_ebpf_maps, NULL, "", "maps with their fill level", { fw_client_words } },
	{ "map", NULL, map_commands, NULL, "a map's entries" },
	{ "stats", fw_cmd_ebpf_stats, NULL, "[PROGRAM]", "run counts and times, a program's counters",
	  { fw_client_words } },
	{ "load", fw_cmd_ebpf_load, NULL, "NAME OBJECT [KEYWORD VALUE]...",
	  "load and attach a program (OBJECT: a .o or .bpf.c in program_dir)",
	  { load_words, fw_client_words } },
	{ "update", fw_cmd_ebpf_update, NULL, "NAME KEY=VALUE...", "change a program's run-time args",
	  { fw_client_words } },
	{ "unload", fw_cmd_ebpf_unload, NULL, "NAME", "detach and unload a program",
	  { fw_client_words } },
	{ "blocklist", NULL, blocklist_commands, NULL, "ddos_filter's blocklist" },
	{ "rules", NULL, rules_commands, NULL, "ddos_filter's L4 rules" },
	{ "feeds", NULL, feeds_commands, NULL, "ddos_filter's feeds (lists loaded from files)" },
	{ "capture", fw_cmd_ebpf_capture, NULL,
	  "PROGRAM -w FILE.pcap [count N] [reason R] [sample N] [timeout S] [--pin-root DIR]",
	  "write sampled dropped packets as a pcap (as root, beside the daemon)",
	  { capture_words, fw_client_words },
	  "Switches the program's capture on (arg capture_sample) until count packets, the\n"
	  "timeout or Ctrl-C, then off. Frames are cut to capture_snap bytes (default 128,\n"
	  "at most 256) and held to capture_budget per second in the kernel.\n" },
	{ "top", fw_cmd_ebpf_top, NULL, "[program P] [--interval S] [limit N]",
	  "the sources sending the most packets, over an interval",
	  { top_words, fw_client_words },
	  "Read from ddos_filter's talkers table, kept while its arg track_sources = 1\n"
	  "(at most 65536 sources, least recently seen dropped first); blocklisted\n"
	  "sources are not counted there.\n" },
	{ "mode", fw_cmd_ebpf_mode, NULL, "[shadow|under-attack on|off] [program P]",
	  "switch shadow or under-attack mode, or show both",
	  { rules_program_word, fw_client_words },
	  "shadow: every drop becomes a pass, counted per reason and rule (would_drop).\n"
	  "under-attack: only allowlisted sources and sources seen before the switch pass.\n" },
	{ "events", fw_cmd_ebpf_events, NULL, "[since SEQ] [count N]", "follow program events",
	  { events_words, fw_client_words } },
	{ "cluster", NULL, cluster_commands, NULL,
	  "the fleet this node shares its lists with (NATS JetStream)" },
	{ 0 },
};
