/* SPDX-License-Identifier: MIT */
/* `flywall ebpf rules ...` and `flywall ebpf mode` (rules_cmd.c). */
#ifndef FLYWALL_CLI_RULES_CMDS_H
#define FLYWALL_CLI_RULES_CMDS_H

int fw_cmd_ebpf_rules_list(int argc, char **argv);
int fw_cmd_ebpf_rules_add(int argc, char **argv);
int fw_cmd_ebpf_rules_del(int argc, char **argv);
int fw_cmd_ebpf_mode(int argc, char **argv);
int fw_cmd_ebpf_feeds_list(int argc, char **argv);
int fw_cmd_ebpf_feeds_reload(int argc, char **argv);
int fw_cmd_ebpf_top(int argc, char **argv);
int fw_cmd_ebpf_capture(int argc, char **argv);   /* capture_cmd.c */

#endif
