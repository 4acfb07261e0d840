/* SPDX-License-Identifier: MIT */
/*
 * Every hook Flywall attaches programs to, one line each:
 * FW_HOOK_ENTRY(ID, ops), where ID makes FW_HOOK_<ID> (enum fw_hook, spec.h)
 * and ops is the hook's struct fw_hook_ops, defined in its own file
 * src/ebpf/hook_<name>.c (see hook_ops.h and docs/architecture.md, "Adding a
 * hook"). A line's place is the hook's number, which pin records keep across
 * restarts: add new hooks at the end, never reorder.
 *
 * No include guard: included once per definition of FW_HOOK_ENTRY (and
 * empty without one).
 */
#ifdef FW_HOOK_ENTRY
FW_HOOK_ENTRY(XDP, fw_hook_xdp)
FW_HOOK_ENTRY(TC, fw_hook_tc)
FW_HOOK_ENTRY(SOCKET_FILTER, fw_hook_socket_filter)
FW_HOOK_ENTRY(TRACEPOINT, fw_hook_tracepoint)
FW_HOOK_ENTRY(KPROBE, fw_hook_kprobe)
#endif
