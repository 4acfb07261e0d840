// SPDX-License-Identifier: MIT
#include "ebpf/rtnl.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct talk {
	mnl_cb_t on_reply;
	void *data;
	int err;                /* the acknowledgement's: 0 or negative errno */
	bool acked;
	char *why;
	size_t why_len;
};

static int ext_ack_attr(const struct nlattr *attr, void *data)
{
	struct talk *t = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(t->why, t->why_len, "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* The acknowledgement: the kernel's errno, and its message when it has one
 * (after the echoed request, unless the kernel capped that). */
static int on_ack(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct talk *t = data;
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	t->acked = true;
	t->err = e->error;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		mnl_attr_parse(nlh, off, ext_ack_attr, t);
	}
	return MNL_CB_STOP;
}

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	return t->on_reply ? t->on_reply(nlh, t->data) : MNL_CB_OK;
}

static int exchange(struct mnl_socket *nl, struct nlmsghdr *nlh, struct talk *t)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = on_ack };
	char buf[FW_RTNL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	unsigned int portid = mnl_socket_get_portid(nl);
	unsigned int seq = nlh->nlmsg_seq;
	int ret = MNL_CB_OK;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while (ret == MNL_CB_OK && !t->acked) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n <= 0)
			return n < 0 ? -errno : -EPROTO;
		ret = mnl_cb_run2(buf, n, seq, portid, on_data, t, ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR)
			return -errno;
	}
	return t->acked ? t->err : -EPROTO;
}

int fw_rtnl_talk(struct nlmsghdr *nlh, mnl_cb_t on_reply, void *data, char *why,
		 size_t why_len)
{
	struct talk t = { .on_reply = on_reply, .data = data, .why = why, .why_len = why_len };
	struct mnl_socket *nl;
	int one = 1, ret;

	why[0] = '\0';
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	/* the kernel's reason in words, where it has one (best effort) */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (!nlh->nlmsg_seq)
		nlh->nlmsg_seq = (unsigned int)time(NULL);
	ret = exchange(nl, nlh, &t);
out:
	mnl_socket_close(nl);
	return ret;
}
