/* SPDX-License-Identifier: MIT */
/* Entry points of the `flywall ebpf` subcommands, each in its own module. */
#ifndef FLYWALL_CLI_EBPF_CMDS_H
#define FLYWALL_CLI_EBPF_CMDS_H

int fw_cmd_ebpf_features(int argc, char **argv);   /* features_cmd.c */
int fw_cmd_ebpf_compile(int argc, char **argv);    /* compile_cmd.c */

int fw_cmd_ebpf_clean(int argc, char **argv);      /* clean_cmd.c */
int fw_cmd_ebpf_test(int argc, char **argv);       /* test_cmd.c */

#endif
