/* SPDX-License-Identifier: MIT */
/*
 * One rtnetlink request and its answer, over libmnl: what the feature probe
 * (a veth pair) and shaping (HTB qdisc and class) send the kernel. The
 * messages are built with libmnl's mnl_nlmsg_put_header / mnl_attr_put.
 */
#ifndef FLYWALL_EBPF_RTNL_H
#define FLYWALL_EBPF_RTNL_H

#include <libmnl/libmnl.h>
#include <stddef.h>

/* Room for any request Flywall sends (and the largest answer it reads). */
#define FW_RTNL_BUF_SIZE 8192

/*
 * Sends nlh (NLM_F_REQUEST and NLM_F_ACK are added) and reads until the
 * kernel acknowledges it. Each answer before the acknowledgement goes to
 * on_reply (NULL: ignored). Returns 0 or a negative errno (the kernel's
 * refusal, or the socket's failure); why gets the kernel's own words
 * (extended ack), or "" when it gave none.
 */
int fw_rtnl_talk(struct nlmsghdr *nlh, mnl_cb_t on_reply, void *data, char *why,
		 size_t why_len);

#endif
