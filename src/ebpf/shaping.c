// SPDX-License-Identifier: MIT
/*
 * HTB queuing for egress_shaper over rtnetlink (libmnl, no `tc` binary): the same
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

#include "common/log.h"
#include "ebpf/rtnl.h"
#include "flywall/shaper.h"

#define MIN_BURST_BYTES (2ull * 65536)
#define MAX_BURST_BYTES (1ull << 30)
#define NS_PER_S 1000000000ull
#define PSCHED_SHIFT 6          /* HTB buffers are in 64 ns ticks */
#define HTB_QUANTUM 60000       /* one class: only bounds a DRR round */

/* A tc request: header and tcmsg, attributes to follow. */
static struct nlmsghdr *tc_request(char *buf, int type, int flags, int ifindex, __u32 parent,
				   __u32 handle)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tc;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	tc = mnl_nlmsg_put_extra_header(nlh, sizeof(*tc));
	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = ifindex;
	tc->tcm_parent = parent;
	tc->tcm_handle = handle;
	return nlh;
}

/* Sends a request; on failure err names what (`what`) failed and why, in
 * the kernel's words when it gave some. */
static int tc_talk(struct nlmsghdr *nlh, mnl_cb_t on_reply, void *data, const char *what,
		   struct fw_error *err)
{
	char why[256];
	int ret = fw_rtnl_talk(nlh, on_reply, data, why, sizeof(why));

	if (ret)
		fw_error_set(err, ret, "%s: %s%s%s", what, strerror(-ret), why[0] ? ": " : "", why);
	return ret;
}

struct qdisc_info {
	__u32 handle;
	char kind[32];
	bool seen;
};

static int qdisc_attr(const struct nlattr *attr, void *data)
{
	struct qdisc_info *q = data;

	if (mnl_attr_get_type(attr) == TCA_KIND && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(q->kind, sizeof(q->kind), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int on_qdisc(const struct nlmsghdr *nlh, void *data)
{
	struct qdisc_info *q = data;
	const struct tcmsg *tc = mnl_nlmsg_get_payload(nlh);

	if (q->seen || nlh->nlmsg_type != RTM_NEWQDISC ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*tc))
		return MNL_CB_OK;
	q->seen = true;
	q->handle = tc->tcm_handle;
	mnl_attr_parse(nlh, sizeof(*tc), qdisc_attr, q);
	return MNL_CB_OK;
}

/* The root qdisc of ifindex: its handle and kind ("noqueue", "htb"...). */
static int root_qdisc(int ifindex, const char *ifname, __u32 *handle, char *kind,
		      size_t kind_len, struct fw_error *err)
{
	char buf[FW_RTNL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO))), what[64];
	struct qdisc_info q = { .kind = "?" };
	struct nlmsghdr *nlh;
	int ret;

	/* without ECHO the kernel only multicasts the answer */
	nlh = tc_request(buf, RTM_GETQDISC, NLM_F_ECHO, ifindex, TC_H_ROOT, 0);
	snprintf(what, sizeof(what), "reading the root qdisc of %s", ifname);
	ret = tc_talk(nlh, on_qdisc, &q, what, err);
	if (ret)
		return ret;
	*handle = q.handle;
	snprintf(kind, kind_len, "%s", q.kind);
	return 0;
}

static int install_htb_qdisc(int ifindex, const char *ifname, struct fw_error *err)
{
	struct tc_htb_glob glob = { .version = 3, .rate2quantum = 10, .defcls = 0 };
	char buf[FW_RTNL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO))), what[64];
	struct nlmsghdr *nlh;
	struct nlattr *opts;

	nlh = tc_request(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex, TC_H_ROOT,
			 FW_SHAPER_QDISC_HANDLE);
	mnl_attr_put_strz(nlh, TCA_KIND, "htb");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_HTB_INIT, sizeof(glob), &glob);
	mnl_attr_nest_end(nlh, opts);
	snprintf(what, sizeof(what), "installing the HTB root qdisc on %s", ifname);
	return tc_talk(nlh, NULL, NULL, what, err);
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
	char buf[FW_RTNL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO))), what[64];
	unsigned long long bytes_per_s = s->rate_bps / 8;
	struct tc_htb_opt opt = { 0 };
	__u64 rate64 = bytes_per_s;
	struct nlmsghdr *nlh;
	struct nlattr *opts;

	opt.rate.rate = bytes_per_s >= 0xffffffffull ? 0xffffffffu : (__u32)bytes_per_s;
	opt.rate.linklayer = TC_LINKLAYER_ETHERNET; /* no rate table needed */
	opt.ceil = opt.rate;
	opt.buffer = opt.cbuffer = htb_ticks(fw_shaping_burst_bytes(s), bytes_per_s);
	opt.quantum = HTB_QUANTUM;

	nlh = tc_request(buf, RTM_NEWTCLASS, NLM_F_CREATE, ifindex, FW_SHAPER_QDISC_HANDLE,
			 FW_SHAPER_CLASSID);
	mnl_attr_put_strz(nlh, TCA_KIND, "htb");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_HTB_PARMS, sizeof(opt), &opt);
	if (bytes_per_s >= 0xffffffffull) {
		mnl_attr_put_u64(nlh, TCA_HTB_RATE64, rate64);
		mnl_attr_put_u64(nlh, TCA_HTB_CEIL64, rate64);
	}
	mnl_attr_nest_end(nlh, opts);
	snprintf(what, sizeof(what), "setting the HTB class rate on %s", ifname);
	return tc_talk(nlh, NULL, NULL, what, err);
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
	char buf[FW_RTNL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	char ifname[IF_NAMESIZE] = "?", kind[32], what[64];
	struct fw_error scratch = { 0 };
	struct nlmsghdr *nlh;
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
	nlh = tc_request(buf, RTM_DELQDISC, 0, ifindex, TC_H_ROOT, FW_SHAPER_QDISC_HANDLE);
	snprintf(what, sizeof(what), "deleting the HTB root qdisc of %s", ifname);
	return tc_talk(nlh, NULL, NULL, what, err);
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
