// SPDX-License-Identifier: MIT
/*
 * HTB queuing for egress_shaper over rtnetlink (no `tc` binary): the same
 * requests as `tc qdisc replace dev X root handle f1f0: htb default 0` and
 * `tc class replace dev X parent f1f0: classid f1f0:1 htb rate R ceil R
 * burst B cburst B`.
 */
#include "ebpf/shaping.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "flywall/shaper.h"

#define MIN_BURST_BYTES (2ull * 65536)
#define MAX_BURST_BYTES (1ull << 30)
#define NS_PER_S 1000000000ull
#define PSCHED_SHIFT 6          /* HTB buffers are in 64 ns ticks */
#define HTB_QUANTUM 60000       /* one class: only bounds a DRR round */

struct nl_msg {
	struct nlmsghdr nh;
	struct tcmsg tc;
	char attrs[1024];
};

static void nl_init(struct nl_msg *m, int type, int flags, int ifindex,
		    __u32 parent, __u32 handle)
{
	memset(m, 0, sizeof(*m));
	m->nh.nlmsg_len = NLMSG_LENGTH(sizeof(m->tc));
	m->nh.nlmsg_type = type;
	m->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->tc.tcm_family = AF_UNSPEC;
	m->tc.tcm_ifindex = ifindex;
	m->tc.tcm_parent = parent;
	m->tc.tcm_handle = handle;
}

static struct rtattr *nl_put(struct nl_msg *m, int type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->nh.nlmsg_len));

	if (NLMSG_ALIGN(m->nh.nlmsg_len) + RTA_SPACE(len) > sizeof(*m))
		return NULL;
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + RTA_SPACE(len);
	return rta;
}

static void nl_nest_end(struct nl_msg *m, struct rtattr *nest)
{
	nest->rta_len = (char *)m + m->nh.nlmsg_len - (char *)nest;
}

/* The kernel's extended-ack message, if the error carries one. */
static const char *extack_msg(const struct nlmsghdr *nh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	size_t off = sizeof(*e);
	const struct rtattr *rta;
	int len;

	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	rta = (const struct rtattr *)((const char *)e + NLMSG_ALIGN(off));
	len = (int)nh->nlmsg_len - NLMSG_HDRLEN - (int)NLMSG_ALIGN(off);
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == NLMSGERR_ATTR_MSG)
			return RTA_DATA(rta);
	return NULL;
}

/*
 * Sends one request and waits for its answer. A reply message (for a GET)
 * is copied to reply when given. Returns 0 or the kernel's negative errno,
 * with err naming what (`what`) failed and the kernel's reason.
 */
static int nl_talk(struct nl_msg *req, void *reply, size_t reply_len, const char *what,
		   struct fw_error *err)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, one = 1, ret = -EPROTO;
	bool got_reply = false;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return fw_error_set(err, errno, "%s: cannot open rtnetlink: %s", what,
				    strerror(errno));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (sendto(fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		ret = fw_error_set(err, errno, "%s: %s", what, strerror(errno));
		goto out;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;

		for (; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);
				const char *why = extack_msg(nh);

				ret = e->error;
				if (ret)
					fw_error_set(err, ret, "%s: %s%s%s", what, strerror(-ret),
						     why ? ": " : "", why ? why : "");
				goto out;
			}
			if (reply && !got_reply) {
				memcpy(reply, nh, nh->nlmsg_len < reply_len ?
				       nh->nlmsg_len : reply_len);
				got_reply = true;
			}
		}
	}
	ret = fw_error_set(err, n < 0 ? errno : EPROTO, "%s: no answer from rtnetlink", what);
out:
	close(fd);
	return ret;
}

/* The root qdisc of ifindex: its handle and kind ("noqueue", "htb"...). */
static int root_qdisc(int ifindex, const char *ifname, __u32 *handle, char *kind,
		      size_t kind_len, struct fw_error *err)
{
	struct nl_msg req, reply;
	struct rtattr *rta;
	char what[64];
	int ret, len;

	/* without ECHO the kernel only multicasts the answer */
	nl_init(&req, RTM_GETQDISC, NLM_F_ECHO, ifindex, TC_H_ROOT, 0);
	memset(&reply, 0, sizeof(reply));
	snprintf(what, sizeof(what), "reading the root qdisc of %s", ifname);
	ret = nl_talk(&req, &reply, sizeof(reply), what, err);
	if (ret)
		return ret;
	*handle = reply.tc.tcm_handle;
	snprintf(kind, kind_len, "?");
	rta = (struct rtattr *)reply.attrs;
	len = (int)reply.nh.nlmsg_len - NLMSG_LENGTH(sizeof(reply.tc));
	if (len > (int)sizeof(reply.attrs))
		len = sizeof(reply.attrs);
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == TCA_KIND)
			snprintf(kind, kind_len, "%s", (char *)RTA_DATA(rta));
	return 0;
}

static int install_htb_qdisc(int ifindex, const char *ifname, struct fw_error *err)
{
	struct tc_htb_glob glob = { .version = 3, .rate2quantum = 10, .defcls = 0 };
	struct rtattr *opts;
	struct nl_msg req;
	char what[64];

	nl_init(&req, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex, TC_H_ROOT,
		FW_SHAPER_QDISC_HANDLE);
	nl_put(&req, TCA_KIND, "htb", 4);
	opts = nl_put(&req, TCA_OPTIONS, NULL, 0);
	nl_put(&req, TCA_HTB_INIT, &glob, sizeof(glob));
	nl_nest_end(&req, opts);
	snprintf(what, sizeof(what), "installing the HTB root qdisc on %s", ifname);
	return nl_talk(&req, NULL, 0, what, err);
}

unsigned long long fw_shaping_burst_bytes(const struct fw_shaping *s)
{
	unsigned long long burst = s->burst_bits / 8;

	if (!burst)
		burst = s->rate_bps / 8 / 100;
	if (burst < MIN_BURST_BYTES)
		burst = MIN_BURST_BYTES;
	return burst > MAX_BURST_BYTES ? MAX_BURST_BYTES : burst;
}

/* HTB's buffer: the time to send `bytes` at `bytes_per_s`, in 64 ns ticks. */
static __u32 htb_ticks(unsigned long long bytes, unsigned long long bytes_per_s)
{
	unsigned long long ns = (unsigned long long)((double)bytes * NS_PER_S / bytes_per_s);
	unsigned long long ticks = ns >> PSCHED_SHIFT;

	return ticks > 0xffffffffull ? 0xffffffffu : (__u32)ticks;
}

static int set_htb_class(int ifindex, const char *ifname, const struct fw_shaping *s,
			 struct fw_error *err)
{
	unsigned long long bytes_per_s = s->rate_bps / 8;
	struct tc_htb_opt opt = { 0 };
	__u64 rate64 = bytes_per_s;
	struct rtattr *opts;
	struct nl_msg req;
	char what[64];

	opt.rate.rate = bytes_per_s >= 0xffffffffull ? 0xffffffffu : (__u32)bytes_per_s;
	opt.rate.linklayer = TC_LINKLAYER_ETHERNET; /* no rate table needed */
	opt.ceil = opt.rate;
	opt.buffer = opt.cbuffer = htb_ticks(fw_shaping_burst_bytes(s), bytes_per_s);
	opt.quantum = HTB_QUANTUM;

	nl_init(&req, RTM_NEWTCLASS, NLM_F_CREATE, ifindex, FW_SHAPER_QDISC_HANDLE,
		FW_SHAPER_CLASSID);
	nl_put(&req, TCA_KIND, "htb", 4);
	opts = nl_put(&req, TCA_OPTIONS, NULL, 0);
	nl_put(&req, TCA_HTB_PARMS, &opt, sizeof(opt));
	if (bytes_per_s >= 0xffffffffull) {
		nl_put(&req, TCA_HTB_RATE64, &rate64, sizeof(rate64));
		nl_put(&req, TCA_HTB_CEIL64, &rate64, sizeof(rate64));
	}
	nl_nest_end(&req, opts);
	snprintf(what, sizeof(what), "setting the HTB class rate on %s", ifname);
	return nl_talk(&req, NULL, 0, what, err);
}

static void set_mode(char *mode, size_t mode_len, const char *value)
{
	if (mode && mode_len)
		snprintf(mode, mode_len, "%s", value);
}

int fw_shaping_apply(int ifindex, const struct fw_shaping *s, char *mode, size_t mode_len,
		     struct fw_error *err)
{
	char ifname[IF_NAMESIZE] = "?", kind[32];
	struct fw_error why = { 0 }, scratch = { 0 };
	__u32 handle;
	int ret;

	if (!err)
		err = &scratch;
	if (!if_indextoname(ifindex, ifname))
		return fw_error_set(err, ENODEV, "shaping: no interface with index %d", ifindex);
	if (s->rate_bps < 8)
		return fw_error_set(err, EINVAL, "shaping on %s: rate must be at least 8bit, "
				    "got %llu bit/s", ifname, (unsigned long long)s->rate_bps);
	ret = root_qdisc(ifindex, ifname, &handle, kind, sizeof(kind), err);
	if (ret)
		return ret;
	if (handle != FW_SHAPER_QDISC_HANDLE && handle != 0) {
		/* Someone else's qdisc: shaping must not take it away. */
		fw_warn("shaping on %s: root qdisc %x: (%s) is not Flywall's; leaving it "
			"and policing in the program instead (drops, does not queue). "
			"Delete it (tc qdisc del dev %s root) to get queuing shaping.",
			ifname, handle >> 16, kind, ifname);
		set_mode(mode, mode_len, FW_SHAPING_MODE_POLICE);
		return 0;
	}
	if (handle != FW_SHAPER_QDISC_HANDLE || strcmp(kind, "htb") != 0) {
		ret = install_htb_qdisc(ifindex, ifname, &why);
		if (ret == -ENOENT || ret == -EOPNOTSUPP) {
			fw_warn("%s; policing in the program instead (drops, does not queue)",
				why.msg);
			set_mode(mode, mode_len, FW_SHAPING_MODE_POLICE);
			return 0;
		}
		if (ret)
			return fw_error_set(err, ret, "%s", why.msg);
	}
	ret = set_htb_class(ifindex, ifname, s, err);
	if (ret)
		return ret;
	set_mode(mode, mode_len, FW_SHAPING_MODE_HTB);
	return 0;
}

int fw_shaping_remove(int ifindex, struct fw_error *err)
{
	char ifname[IF_NAMESIZE] = "?", kind[32], what[64];
	struct fw_error scratch = { 0 };
	struct nl_msg req;
	__u32 handle;
	int ret;

	if (!err)
		err = &scratch;
	if (!if_indextoname(ifindex, ifname))
		return 0; /* the interface is gone, and its qdisc with it */
	ret = root_qdisc(ifindex, ifname, &handle, kind, sizeof(kind), err);
	if (ret == -ENODEV)
		return 0;
	if (ret || handle != FW_SHAPER_QDISC_HANDLE)
		return ret;
	nl_init(&req, RTM_DELQDISC, 0, ifindex, TC_H_ROOT, FW_SHAPER_QDISC_HANDLE);
	snprintf(what, sizeof(what), "deleting the HTB root qdisc of %s", ifname);
	return nl_talk(&req, NULL, 0, what, err);
}

void fw_shaping_program_args(const struct fw_shaping *s, const char *mode,
			     struct fw_arg args[FW_SHAPING_N_ARGS])
{
	bool police = mode && strcmp(mode, FW_SHAPING_MODE_POLICE) == 0;
	const struct { const char *name; int64_t value; } values[FW_SHAPING_N_ARGS] = {
		{ "mode", police ? FW_SHAPER_MODE_POLICE : FW_SHAPER_MODE_HTB },
		{ "classid", FW_SHAPER_CLASSID },
		{ "rate_bps", (int64_t)s->rate_bps },
		{ "burst_bytes", (int64_t)fw_shaping_burst_bytes(s) },
	};

	for (int i = 0; i < FW_SHAPING_N_ARGS; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		snprintf(args[i].name, sizeof(args[i].name), "%s", values[i].name);
		args[i].kind = FW_ARG_INT;
		args[i].i = values[i].value;
	}
}
