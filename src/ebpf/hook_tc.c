// SPDX-License-Identifier: MIT
/*
 * tc blocks: a tcx link where the kernel has them, else a clsact filter; and
 * the block's companion on the other direction (see loader.h).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ebpf/hooks.h"

/* Not in the headers of libbpf 1.1 / linux-libc-dev 6.1; stable kernel ABI. */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif
/* bpf_mprog placement flags (kernel >= 6.6), also missing from those headers. */
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#define BPF_F_AFTER (1U << 4)
#define BPF_F_ID (1U << 5)
#endif
#ifndef BPF_F_LINK
#define BPF_F_LINK (1U << 13)
#endif

/* BPF_LINK_CREATE's attribute for tcx, as the kernel lays it out
 * (link_create.tcx); libbpf 1.1's bpf_link_create_opts has no tcx member. */
struct tcx_link_create_attr {
	__u32 prog_fd;
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 flags;
	__u32 relative_id;      /* with BPF_F_ID | BPF_F_LINK: a sibling's link id */
	__u32 pad;
	__u64 expected_revision;
};

static enum fw_tc_direction other_direction(enum fw_tc_direction dir)
{
	return dir == FW_TC_INGRESS ? FW_TC_EGRESS : FW_TC_INGRESS;
}

/* ---- choosing programs ---------------------------------------------------- */

/* "tc/ingress", or a program named like "filter_ingress". */
static bool section_matches(const struct fw_prog_spec *spec, const struct bpf_program *p)
{
	const char *dir = fw_tc_direction_name(spec->direction);

	return strstr(bpf_program__section_name(p), dir) || strstr(bpf_program__name(p), dir);
}

/* The companion for the other direction, by name: "<prog>_egress". */
static void choose_forms(struct bpf_object *obj, const struct fw_prog_spec *spec,
			 struct fw_object *o)
{
	char name[FW_NAME_MAX * 2];
	struct bpf_program *p;

	snprintf(name, sizeof(name), "%s_%s", bpf_program__name(o->prog),
		 fw_tc_direction_name(other_direction(spec->direction)));
	p = bpf_object__find_program_by_name(obj, name);
	o->companion = p && fw_hook_accepts(FW_HOOK_TC, p) ? p : NULL;
}

/* ---- attaching ------------------------------------------------------------ */

static int attach_clsact(const struct fw_prog_spec *spec, enum fw_tc_direction dir,
			 int prog_fd, struct fw_attachment *a, struct fw_error *err)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
		    .attach_point = dir == FW_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return fw_error_set(err, ret, "program %s: creating clsact on %s: %s", spec->name,
				    spec->interface, strerror(-ret));
	ret = bpf_tc_attach(&hook, &opts);
	if (ret)
		return fw_error_set(err, ret, "program %s: tc %s attach on %s: %s", spec->name,
				    fw_tc_direction_name(dir), spec->interface, strerror(-ret));
	a->kind = FW_ATTACH_CLSACT;
	a->tc_direction = dir;
	a->tc_handle = opts.handle;
	a->tc_priority = opts.priority;
	return 0;
}

/*
 * Where a block with a priority goes among its siblings (bpf_mprog keeps the
 * order): before the first sibling that runs after it (a higher priority),
 * else after the last one (equal priorities keep the order they came in);
 * with no sibling, at the end, after whatever else is there (a foreign
 * program keeps running first). Links are named by id: a sibling adopted
 * from an earlier daemon has no fd of this one's that the caller keeps.
 */
static void place(const struct fw_prog_spec *spec, const struct fw_hook_opts *opts,
		  struct tcx_link_create_attr *attr, struct fw_attachment *a)
{
	const struct fw_hook_sibling *before = NULL, *after = NULL;

	if (!spec->has_priority)
		return;
	for (size_t i = 0; i < opts->n_siblings; i++) {
		const struct fw_hook_sibling *s = &opts->siblings[i];

		if (s->priority > spec->priority) {
			if (!before || s->priority < before->priority)
				before = s;
		} else if (!after || s->priority >= after->priority) {
			after = s;
		}
	}
	if (before) {
		attr->flags = BPF_F_BEFORE | BPF_F_ID | BPF_F_LINK;
		attr->relative_id = before->link_id;
		fw_hook_note(a, "before %s (priority %d)", before->name, before->priority);
	} else if (after) {
		attr->flags = BPF_F_AFTER | BPF_F_ID | BPF_F_LINK;
		attr->relative_id = after->link_id;
		fw_hook_note(a, "after %s (priority %d)", after->name, after->priority);
	}
}

static int tcx_link(const struct fw_prog_spec *spec, const struct fw_hook_opts *opts, int prog_fd,
		    int type, struct fw_attachment *a)
{
	struct tcx_link_create_attr attr = { .prog_fd = prog_fd, .target_ifindex = a->ifindex,
					     .attach_type = type };

	if (opts)
		place(spec, opts, &attr, a);
	return syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
}

/* opts NULL: no place among siblings (a companion goes at the end). */
static int attach_one(const struct fw_prog_spec *spec, enum fw_tc_direction dir, int prog_fd,
		      bool clsact_only, const struct fw_hook_opts *opts, struct fw_attachment *a,
		      struct fw_error *err)
{
	int type = dir == FW_TC_EGRESS ? BPF_TCX_EGRESS : BPF_TCX_INGRESS;
	int fd;

	a->tc_direction = dir;
	if (clsact_only) {
		fw_hook_note(a, "clsact as asked (--tc-attach clsact)");
		return attach_clsact(spec, dir, prog_fd, a, err);
	}
	fd = tcx_link(spec, opts, prog_fd, type, a);
	/* A sibling that went away under us, or an mprog that refuses the
	 * placement, is an error: falling back to clsact would run the block
	 * outside the order it asked for. */
	if (fd < 0 && opts && spec->has_priority && opts->n_siblings)
		return fw_error_set(err, errno, "program %s: tcx on %s %s, placed by priority %d: %s",
				    spec->name, spec->interface, fw_tc_direction_name(dir),
				    spec->priority, strerror(errno));
	if (fd >= 0) {
		a->kind = FW_ATTACH_TCX;
		a->link_fd = fd;
		return 0;
	}
	fw_hook_note(a, "tcx link unavailable (%s), used clsact", strerror(errno));
	return attach_clsact(spec, dir, prog_fd, a, err);
}

/* The companion runs on the other direction of the same interface; the
 * block is attached only when both are. */
static int attach_companion(const struct fw_prog_spec *spec, struct fw_object *o,
			    bool clsact_only, struct fw_attachment *a, struct fw_error *err)
{
	enum fw_tc_direction dir = other_direction(spec->direction);
	struct fw_attachment c;
	int ret;

	fw_attachment_init(&c);
	c.ifindex = a->ifindex;
	ret = attach_one(spec, dir, bpf_program__fd(o->companion), clsact_only, NULL, &c, err);
	if (!ret) {
		a->companion_kind = c.kind;
		a->companion_link_fd = c.link_fd;
		a->companion_tc_handle = c.tc_handle;
		a->companion_tc_priority = c.tc_priority;
		fw_hook_note(a, "companion %s on %s", bpf_program__name(o->companion),
			     fw_tc_direction_name(dir));
	}
	return ret;
}

static int attach(const struct fw_prog_spec *spec, struct fw_object *o,
		  const struct fw_hook_opts *opts, struct fw_attachment *a, struct fw_error *err)
{
	int ret = attach_one(spec, spec->direction, a->prog_fd, opts->tc_clsact_only, opts, a,
			     err);

	if (!ret && o->companion &&
	    (ret = attach_companion(spec, o, opts->tc_clsact_only, a, err)))
		fw_attachment_release(a, true);
	return ret;
}

/* ---- replacing and detaching ---------------------------------------------- */

static bool can_replace(const struct fw_pin_record *old, const struct fw_prog_spec *spec)
{
	/* A new priority is a new place: attached there anew. */
	return (old->attach == FW_ATTACH_TCX || old->attach == FW_ATTACH_CLSACT) &&
	       old->tc_direction == (uint32_t)spec->direction &&
	       fw_record_same_priority(old, spec);
}

static int replace_clsact(const char *name, __u32 ifindex, enum fw_tc_direction dir,
			  __u32 handle, __u32 priority, int prog_fd, struct fw_error *err)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = dir == FW_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = handle,
		    .priority = priority, .flags = BPF_TC_F_REPLACE);
	int ret = bpf_tc_attach(&hook, &opts);

	return ret ? fw_error_set(err, ret, "program %s: replacing the clsact filter: %s", name,
				  strerror(-ret)) : 0;
}

static int replace_companion(const char *root, const struct fw_pin_record *old, int prog_fd,
			     struct fw_error *err)
{
	char path[FW_PATH_MAX];
	int fd, ret = 0;

	if (old->companion_attach == FW_ATTACH_CLSACT)
		return replace_clsact(old->name, old->ifindex, other_direction(old->tc_direction),
				      old->companion_tc_handle, old->companion_tc_priority,
				      prog_fd, err);
	fw_pins_companion_path(root, old->name, path);
	fd = bpf_obj_get(path);
	if (fd < 0 || bpf_link_update(fd, prog_fd, NULL))
		ret = fw_error_set(err, errno, "program %s: swapping the companion's program: %s",
				   old->name, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

static int replace(const char *root, const struct fw_pin_record *old, int link_fd,
		   int new_prog_fd, int companion_prog_fd, struct fw_error *err)
{
	int ret = 0;

	/* The companion first: on failure nothing was swapped. */
	if (companion_prog_fd >= 0)
		ret = replace_companion(root, old, companion_prog_fd, err);
	if (ret)
		return ret;
	if (old->attach == FW_ATTACH_CLSACT)
		return replace_clsact(old->name, old->ifindex, old->tc_direction, old->tc_handle,
				      old->tc_priority, new_prog_fd, err);
	return fw_hook_link_replace(root, old, link_fd, new_prog_fd, -1, err);
}

static int detach_clsact(const char *name, __u32 ifindex, enum fw_tc_direction dir,
			 __u32 handle, __u32 priority, struct fw_error *err)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = dir == FW_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = priority);
	int ret = bpf_tc_detach(&hook, &opts);

	/* Gone with its interface already: nothing left to undo. */
	if (ret && ret != -ENOENT && ret != -ENODEV && ret != -EINVAL)
		return fw_error_set(err, ret, "program %s: removing the clsact filter: %s", name,
				    strerror(-ret));
	return 0;
}

/* Links are removed with their pins; clsact filters are not links. */
static int detach(const struct fw_pin_record *rec, struct fw_error *err)
{
	int ret = 0;

	if (rec->attach == FW_ATTACH_CLSACT)
		ret = detach_clsact(rec->name, rec->ifindex, rec->tc_direction, rec->tc_handle,
				    rec->tc_priority, err);
	if (!ret && rec->companion_attach == FW_ATTACH_CLSACT)
		ret = detach_clsact(rec->name, rec->ifindex, other_direction(rec->tc_direction),
				    rec->companion_tc_handle, rec->companion_tc_priority, err);
	return ret;
}

/* ---- words ---------------------------------------------------------------- */

/* "1 Gbit/s", "512 kbit/s", "100 Mbit": a bit count the way people write it. */
static void format_bits(uint64_t bits, const char *suffix, char *out, size_t size)
{
	static const char *const prefixes[] = { "", "k", "M", "G", "T" };
	double v = bits;
	size_t i = 0;

	while (v >= 1000 && i + 1 < sizeof(prefixes) / sizeof(prefixes[0])) {
		v /= 1000;
		i++;
	}
	snprintf(out, size, "%.4g %sbit%s", v, prefixes[i], suffix);
}

static void describe(const struct fw_prog_spec *s, char *out, size_t size)
{
	char rate[32], burst[32];

	if (!s->shaping.set) {
		int n = snprintf(out, size, "%s %s", s->interface, fw_tc_direction_name(s->direction));

		if (s->has_priority && n >= 0 && (size_t)n < size)
			snprintf(out + n, size - n, ", priority %d", s->priority);
		return;
	}
	format_bits(s->shaping.rate_bps, "/s", rate, sizeof(rate));
	format_bits(s->shaping.burst_bits, "", burst, sizeof(burst));
	snprintf(out, size, "%s %s, shaping %s, burst %s", s->interface,
		 fw_tc_direction_name(s->direction), rate,
		 s->shaping.burst_bits ? burst : "default");
}

/* TC_ACT_* from linux/pkt_cls.h, 0 .. 8 */
static const char *const verdicts[] = {
	"TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT", "TC_ACT_PIPE", "TC_ACT_STOLEN",
	"TC_ACT_QUEUED", "TC_ACT_REPEAT", "TC_ACT_REDIRECT", "TC_ACT_TRAP",
};

static const char *verdict_name(uint32_t retval, char *buf, size_t len)
{
	if ((int32_t)retval == -1)      /* TC_ACT_UNSPEC: the next program decides */
		snprintf(buf, len, "pass (next)");
	else if (retval < sizeof(verdicts) / sizeof(*verdicts))
		snprintf(buf, len, "%s", verdicts[retval]);
	else
		snprintf(buf, len, "%d", (int32_t)retval);
	return buf;
}

static bool accepts(const struct bpf_program *p)
{
	return bpf_program__type(p) == BPF_PROG_TYPE_SCHED_CLS;
}

const struct fw_hook_ops fw_hook_tc = {
	.name = "tc",
	/* SCHED_ACT objects are recognised as tc, but only classifiers attach */
	.prog_types = { BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT },
	.accepts = accepts,
	.takes = FW_FIELD_INTERFACE | FW_FIELD_DIRECTION | FW_FIELD_SHAPING | FW_FIELD_PRIORITY,
	.requires = FW_FIELD_INTERFACE,
	.section_matches = section_matches,
	.choose_forms = choose_forms,
	.attach = attach,
	.can_replace = can_replace,
	.replace = replace,
	.detach = detach,
	.describe = describe,
	.verdict_name = verdict_name,
	.kinds = { { FW_ATTACH_TCX, "tcx", true }, { FW_ATTACH_CLSACT, "clsact", false } },
	.probes = { FW_PROBE_ATTACH_TCX, FW_PROBE_ATTACH_TC_CLSACT },
	.n_probes = 2,
};
