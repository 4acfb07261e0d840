// SPDX-License-Identifier: MIT
#include "ebpf/hooks.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

/* Not in the headers of libbpf 1.1 / linux-libc-dev 6.1; stable kernel ABI. */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

void fw_attachment_init(struct fw_attachment *a)
{
	memset(a, 0, sizeof(*a));
	a->link_fd = -1;
	a->companion_link_fd = -1;
	a->sock_fd = -1;
	a->prog_fd = -1;
}

int fw_hook_resolve_interface(const struct fw_prog_spec *spec, struct fw_error *err)
{
	unsigned int ifindex;

	if (!spec->interface[0])
		return 0;
	ifindex = if_nametoindex(spec->interface);
	if (!ifindex)
		return fw_error_set(err, ENODEV, "program %s: interface %s does not exist",
				    spec->name, spec->interface);
	return (int)ifindex;
}

/* Adds to the attachment's account of the fallbacks it took ("; "-joined). */
static void note_add(struct fw_attachment *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note_add(struct fw_attachment *a, const char *fmt, ...)
{
	size_t used = strlen(a->note);
	va_list ap;

	if (used && used + 2 < sizeof(a->note)) {
		strcpy(a->note + used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(a->note + used, sizeof(a->note) - used, fmt, ap);
	va_end(ap);
}

/* ---- XDP ------------------------------------------------------------------ */

static int xdp_link(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

/* Names the XDP program someone else left on the interface, so the user
 * knows what is in the way. */
static int xdp_busy_error(const struct fw_prog_spec *spec, int ifindex, struct fw_error *err)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), id;
	int fd;

	bpf_xdp_query(ifindex, 0, &q);
	id = q.prog_id ? q.prog_id : q.skb_prog_id ? q.skb_prog_id : q.drv_prog_id;
	fd = id ? bpf_prog_get_fd_by_id(id) : -1;
	if (fd >= 0) {
		bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
	}
	return fw_error_set(err, EBUSY,
			    "program %s: interface %s already has an XDP program (id %u, name %s) that Flywall did not attach; "
			    "remove it first (ip link set dev %s xdp off)",
			    spec->name, spec->interface, id, info.name[0] ? info.name : "?",
			    spec->interface);
}

static int attach_xdp(const struct fw_prog_spec *spec, int prog_fd, int ifindex,
		      struct fw_attachment *a, struct fw_error *err)
{
	int fd = -EINVAL;

	if (spec->xdp_mode != FW_XDP_GENERIC) {
		fd = xdp_link(prog_fd, ifindex, XDP_FLAGS_DRV_MODE);
		if (fd >= 0) {
			a->kind = FW_ATTACH_XDP_NATIVE;
			goto done;
		}
		if (fd == -EBUSY || fd == -EEXIST)
			return xdp_busy_error(spec, ifindex, err);
		if (spec->xdp_mode == FW_XDP_NATIVE)
			return fw_error_set(err, fd, "program %s: native XDP on %s failed: %s",
					    spec->name, spec->interface, strerror(-fd));
		note_add(a, "native XDP failed (%s), fell back to generic", strerror(-fd));
	}
	fd = xdp_link(prog_fd, ifindex, XDP_FLAGS_SKB_MODE);
	if (fd == -EBUSY || fd == -EEXIST)
		return xdp_busy_error(spec, ifindex, err);
	if (fd < 0)
		return fw_error_set(err, fd, "program %s: generic XDP on %s failed: %s",
				    spec->name, spec->interface, strerror(-fd));
	a->kind = FW_ATTACH_XDP_GENERIC;
done:
	a->link_fd = fd;
	return 0;
}

/* ---- TC ------------------------------------------------------------------- */

static int attach_clsact(const struct fw_prog_spec *spec, int prog_fd, int ifindex,
			 struct fw_attachment *a, struct fw_error *err)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = spec->direction == FW_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return fw_error_set(err, ret, "program %s: creating clsact on %s: %s", spec->name,
				    spec->interface, strerror(-ret));
	ret = bpf_tc_attach(&hook, &opts);
	if (ret)
		return fw_error_set(err, ret, "program %s: tc %s attach on %s: %s", spec->name,
				    fw_tc_direction_name(spec->direction), spec->interface,
				    strerror(-ret));
	a->kind = FW_ATTACH_CLSACT;
	a->tc_direction = spec->direction;
	a->tc_handle = opts.handle;
	a->tc_priority = opts.priority;
	return 0;
}

static int attach_tc(const struct fw_prog_spec *spec, int prog_fd, int ifindex,
		     bool clsact_only, struct fw_attachment *a, struct fw_error *err)
{
	int type = spec->direction == FW_TC_EGRESS ? BPF_TCX_EGRESS : BPF_TCX_INGRESS;
	int fd;

	if (clsact_only) {
		note_add(a, "clsact as asked (--tc-attach clsact)");
		return attach_clsact(spec, prog_fd, ifindex, a, err);
	}
	fd = bpf_link_create(prog_fd, ifindex, type, NULL);
	if (fd >= 0) {
		a->kind = FW_ATTACH_TCX;
		a->link_fd = fd;
		return 0;
	}
	note_add(a, "tcx link unavailable (%s), used clsact", strerror(errno));
	return attach_clsact(spec, prog_fd, ifindex, a, err);
}

/* The companion runs on the other direction of the same interface; the
 * block is attached only when both are. */
static int attach_companion(const struct fw_prog_spec *spec, struct fw_object *o,
			    int ifindex, bool clsact_only, struct fw_attachment *a,
			    struct fw_error *err)
{
	struct fw_prog_spec *other = malloc(sizeof(*other));
	struct fw_attachment c;
	int ret;

	if (!other)
		return fw_error_set(err, ENOMEM, "out of memory");
	*other = *spec; /* read-only use of the borrowed maps/args */
	other->direction = spec->direction == FW_TC_INGRESS ? FW_TC_EGRESS : FW_TC_INGRESS;
	fw_attachment_init(&c);
	ret = attach_tc(other, bpf_program__fd(o->companion), ifindex, clsact_only, &c, err);
	if (!ret) {
		a->companion_kind = c.kind;
		a->companion_link_fd = c.link_fd;
		a->companion_tc_handle = c.tc_handle;
		a->companion_tc_priority = c.tc_priority;
		note_add(a, "companion %s on %s", bpf_program__name(o->companion),
			 fw_tc_direction_name(other->direction));
	}
	free(other);
	return ret;
}

/* ---- socket filter -------------------------------------------------------- */

int fw_hook_socket_attach(int prog_fd, int ifindex, struct fw_error *err)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (fd < 0)
		return fw_error_set(err, errno, "opening a packet socket: %s", strerror(errno));
	/* Attach before bind: no packet reaches the socket unfiltered. */
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int saved = errno;

		close(fd);
		return fw_error_set(err, saved, "attaching the socket filter: %s", strerror(saved));
	}
	return fd;
}

/* ---- tracepoints and kprobes ---------------------------------------------- */

static struct bpf_link *attach_tracepoint_prog(struct bpf_program *prog, const char *tp)
{
	char category[128], *name;

	if (bpf_program__type(prog) == BPF_PROG_TYPE_TRACEPOINT && *tp) {
		snprintf(category, sizeof(category), "%s", tp);
		name = strchr(category, ':');
		if (!name) {
			errno = EINVAL;
			return NULL;
		}
		*name++ = '\0';
		return bpf_program__attach_tracepoint(prog, category, name);
	}
	/* raw_tp/NAME, tp_btf/NAME and a kprobe's stand-in (tp "") attach by
	 * their own section. */
	return bpf_program__attach(prog);
}

static int take_link(struct fw_attachment *a, struct bpf_link *link, enum fw_attach_kind kind)
{
	int ret = libbpf_get_error(link);

	if (ret || !link)
		return ret ? ret : -errno;
	a->link = link;
	a->link_fd = bpf_link__fd(link);
	a->kind = kind;
	return 0;
}

static int attach_tracepoint(const struct fw_prog_spec *spec, struct fw_object *o,
			     struct fw_attachment *a, struct fw_error *err)
{
	int ret = take_link(a, attach_tracepoint_prog(o->prog, spec->tracepoint),
			    FW_ATTACH_TRACEPOINT);

	if (ret)
		return fw_error_set(err, ret, "program %s: attaching to tracepoint %s: %s",
				    spec->name, spec->tracepoint, strerror(-ret));
	return 0;
}

static int try_kprobe(const struct fw_prog_spec *spec, struct fw_object *o,
		      struct fw_attachment *a)
{
	int ret = take_link(a, bpf_program__attach_kprobe(o->prog, false, spec->function),
			    FW_ATTACH_KPROBE);

	if (ret)
		note_add(a, "kprobe failed (%s)", strerror(-ret));
	return ret;
}

/* fentry is loaded on its own: on kernels without it, its load fails, and a
 * failing program would have aborted the whole object's load. */
static int try_fentry(const struct fw_prog_spec *spec, struct fw_object *o,
		      struct fw_attachment *a)
{
	struct fw_error ferr = {};
	struct fw_object *f;
	int ret;

	if (!o->fentry) {
		note_add(a, "fentry skipped (the object has no fentry/%s program)", spec->function);
		return -ENOENT;
	}
	ret = fw_object_load_alone(spec, o, bpf_program__name(o->fentry), &f, &ferr);
	if (!ret) {
		ret = take_link(a, bpf_program__attach_trace(f->prog), FW_ATTACH_FENTRY);
		if (!ret) {
			a->extra = f;
			a->prog_fd = bpf_program__fd(f->prog);
			fw_error_clear(&ferr);
			return 0;
		}
		fw_object_close(f);
	}
	note_add(a, "fentry failed (%s)", strerror(-ret));
	fw_error_clear(&ferr);
	return ret;
}

static int attach_kprobe(const struct fw_prog_spec *spec, struct fw_object *o,
			 struct fw_attachment *a, struct fw_error *err)
{
	int ret;

	if (try_kprobe(spec, o, a) == 0 || try_fentry(spec, o, a) == 0)
		return 0;
	if (!o->standin)
		return fw_error_set(err, ENOENT,
				    "program %s: cannot probe %s: %s; and the object has no tracepoint stand-in",
				    spec->name, spec->function, a->note);
	ret = take_link(a, attach_tracepoint_prog(o->standin, ""), FW_ATTACH_STANDIN);
	if (ret)
		return fw_error_set(err, ret, "program %s: %s; stand-in %s failed: %s", spec->name,
				    a->note, bpf_program__section_name(o->standin), strerror(-ret));
	a->prog_fd = bpf_program__fd(o->standin);
	note_add(a, "running stand-in %s", bpf_program__section_name(o->standin));
	return 0;
}

/* ---- the hook manager's entry points --------------------------------------- */

int fw_hook_attach(const struct fw_prog_spec *spec, struct fw_object *o, int ifindex,
		   const struct fw_hook_opts *opts, struct fw_attachment *a, struct fw_error *err)
{
	int prog_fd = bpf_program__fd(o->prog);

	fw_attachment_init(a);
	a->prog_fd = prog_fd;
	a->ifindex = ifindex;
	switch (spec->hook) {
	case FW_HOOK_XDP:
		return attach_xdp(spec, prog_fd, ifindex, a, err);
	case FW_HOOK_TC: {
		bool clsact_only = opts && opts->tc_clsact_only;
		int ret = attach_tc(spec, prog_fd, ifindex, clsact_only, a, err);

		if (!ret && o->companion &&
		    (ret = attach_companion(spec, o, ifindex, clsact_only, a, err)))
			fw_attachment_release(a, true);
		return ret;
	}
	case FW_HOOK_SOCKET_FILTER:
		a->sock_fd = fw_hook_socket_attach(prog_fd, ifindex, err);
		if (a->sock_fd < 0)
			return a->sock_fd;
		a->kind = FW_ATTACH_SOCKET;
		return 0;
	case FW_HOOK_TRACEPOINT:
		return attach_tracepoint(spec, o, a, err);
	case FW_HOOK_KPROBE:
		return attach_kprobe(spec, o, a, err);
	default:
		return fw_error_set(err, EINVAL, "program %s: unknown hook", spec->name);
	}
}

bool fw_hook_can_replace(const struct fw_pin_record *old, const struct fw_prog_spec *spec,
			 int ifindex)
{
	if (old->hook != (uint32_t)spec->hook || old->ifindex != (uint32_t)ifindex)
		return false;
	switch (old->attach) {
	case FW_ATTACH_XDP_NATIVE:
		return spec->xdp_mode != FW_XDP_GENERIC;
	case FW_ATTACH_XDP_GENERIC:
		return spec->xdp_mode != FW_XDP_NATIVE;
	case FW_ATTACH_TCX:
	case FW_ATTACH_CLSACT:
		return old->tc_direction == (uint32_t)spec->direction;
	default:
		return false; /* perf-event links cannot swap programs */
	}
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
		return replace_clsact(old->name, old->ifindex, !old->tc_direction,
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

int fw_hook_replace(const char *root, const struct fw_pin_record *old, int link_fd,
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
	if (bpf_link_update(link_fd, new_prog_fd, NULL))
		return fw_error_set(err, errno, "program %s: swapping the program of link: %s",
				    old->name, strerror(errno));
	return 0;
}

static int pin_link(int fd, const char *path, struct fw_error *err)
{
	int ret = fd < 0 ? 0 : fw_pins_replace(fd, path);

	if (ret)
		return fw_error_set(err, ret, "pinning link at %s: %s", path, strerror(-ret));
	return 0;
}

int fw_hook_pin(const struct fw_attachment *a, const char *root, const char *name,
		struct fw_error *err)
{
	char path[FW_PATH_MAX];
	int ret;

	fw_pins_link_path(root, name, path);
	ret = pin_link(a->link_fd, path, err);
	fw_pins_companion_path(root, name, path);
	if (!ret)
		ret = a->companion_link_fd >= 0 ? pin_link(a->companion_link_fd, path, err)
						: fw_pins_unlink(path);
	return ret;
}

static int detach_clsact(const char *name, __u32 ifindex, __u32 direction, __u32 handle,
			 __u32 priority, struct fw_error *err)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = direction == FW_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = priority);
	int ret = bpf_tc_detach(&hook, &opts);

	/* Gone with its interface already: nothing left to undo. */
	if (ret && ret != -ENOENT && ret != -ENODEV && ret != -EINVAL)
		return fw_error_set(err, ret, "program %s: removing the clsact filter: %s", name,
				    strerror(-ret));
	return 0;
}

int fw_hook_detach_record(const struct fw_pin_record *rec, struct fw_error *err)
{
	int ret = 0;

	if (rec->attach == FW_ATTACH_CLSACT)
		ret = detach_clsact(rec->name, rec->ifindex, rec->tc_direction, rec->tc_handle,
				    rec->tc_priority, err);
	if (!ret && rec->companion_attach == FW_ATTACH_CLSACT)
		ret = detach_clsact(rec->name, rec->ifindex, !rec->tc_direction,
				    rec->companion_tc_handle, rec->companion_tc_priority, err);
	return ret;
}

void fw_attachment_release(struct fw_attachment *a, bool detach)
{
	if (detach) {
		struct fw_pin_record rec = { .attach = a->kind, .ifindex = a->ifindex,
					     .tc_direction = a->tc_direction,
					     .tc_handle = a->tc_handle,
					     .tc_priority = a->tc_priority,
					     .companion_attach = a->companion_kind,
					     .companion_tc_handle = a->companion_tc_handle,
					     .companion_tc_priority = a->companion_tc_priority };

		fw_hook_detach_record(&rec, NULL);
	}
	if (a->companion_link_fd >= 0)
		close(a->companion_link_fd);
	if (a->link)
		bpf_link__destroy(a->link); /* a pinned link survives this */
	else if (a->link_fd >= 0)
		close(a->link_fd);
	if (a->sock_fd >= 0)
		close(a->sock_fd);
	fw_object_close(a->extra);
	fw_attachment_init(a);
}
