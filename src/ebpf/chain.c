// SPDX-License-Identifier: MIT
/* Chains of programs at one hook point; see chain.h. */
#include "ebpf/chain.h"

#include <bpf/bpf.h>
#include <errno.h>

#include "ebpf/hook_ops.h"

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

/* tcx: the kernel's list, in run order. */
static int tcx_prog_ids(const struct fw_pin_record *rec, uint32_t *ids, size_t max)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids, .prog_cnt = max);
	int type = rec->tc_direction == FW_TC_EGRESS ? BPF_TCX_EGRESS : BPF_TCX_INGRESS;

	if (bpf_prog_query_opts(rec->ifindex, type, &q))
		return -errno;
	return q.prog_cnt;
}

int fw_chain_prog_ids(const char *root, const struct fw_pin_record *rec, uint32_t *ids,
		      size_t max)
{
	(void)root;
	if (rec->attach == FW_ATTACH_TCX)
		return tcx_prog_ids(rec, ids, max);
	return -EOPNOTSUPP;
}
