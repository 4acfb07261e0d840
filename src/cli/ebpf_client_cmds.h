/* SPDX-License-Identifier: MIT */
/* The `flywall ebpf` commands that talk to the daemon (ebpf_client_cmds.c). */
#ifndef FLYWALL_CLI_EBPF_CLIENT_CMDS_H
#define FLYWALL_CLI_EBPF_CLIENT_CMDS_H

int fw_cmd_ebpf_status(int argc, char **argv);
int fw_cmd_ebpf_programs(int argc, char **argv);
int fw_cmd_ebpf_maps(int argc, char **argv);
int fw_cmd_ebpf_map_dump(int argc, char **argv);
int fw_cmd_ebpf_stats(int argc, char **argv);
int fw_cmd_ebpf_load(int argc, char **argv);
int fw_cmd_ebpf_update(int argc, char **argv);
int fw_cmd_ebpf_unload(int argc, char **argv);
int fw_cmd_ebpf_blocklist_add(int argc, char **argv);
int fw_cmd_ebpf_blocklist_del(int argc, char **argv);
int fw_cmd_ebpf_blocklist_list(int argc, char **argv);
int fw_cmd_ebpf_blocklist_import(int argc, char **argv);
int fw_cmd_ebpf_events(int argc, char **argv);
int fw_cmd_ebpf_cluster_status(int argc, char **argv);   /* cluster_cmd.c */

#endif
