// SPDX-License-Identifier: MIT
/* xdp blocks: a bpf_link on the interface, native first when mode = "auto". */
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/chain.h"
#include "ebpf/hooks.h"

static int xdp_link(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

static int attach(const struct fw_prog_spec *spec, struct fw_object *o,
		  const struct fw_hook_opts *opts, struct fw_attachment *a, struct fw_error *err)
{
	int fd = -EINVAL, ifindex = a->ifindex;

	if (spec->has_priority)
		return fw_chain_xdp_attach(spec, opts, a, err);
	if (spec->xdp_mode != FW_XDP_GENERIC) {
		fd = xdp_link(a->prog_fd, ifindex, XDP_FLAGS_DRV_MODE);
		if (fd >= 0) {
			a->kind = FW_ATTACH_XDP_NATIVE;
			goto done;
		}
		if (fd == -EBUSY || fd == -EEXIST)
			return fw_xdp_busy_error(spec, ifindex, err);
		if (spec->xdp_mode == FW_XDP_NATIVE)
			return fw_error_set(err, fd, "program %s: native XDP on %s failed: %s",
					    spec->name, spec->interface, strerror(-fd));
		fw_hook_note(a, "native XDP failed (%s), fell back to generic", strerror(-fd));
	}
	fd = xdp_link(a->prog_fd, ifindex, XDP_FLAGS_SKB_MODE);
	if (fd == -EBUSY || fd == -EEXIST)
		return fw_xdp_busy_error(spec, ifindex, err);
	if (fd < 0)
		return fw_error_set(err, fd, "program %s: generic XDP on %s failed: %s",
				    spec->name, spec->interface, strerror(-fd));
	a->kind = FW_ATTACH_XDP_GENERIC;
done:
	a->link_fd = fd;
	return 0;
}

/* The link keeps its mode: a block now asking for the other one reattaches;
 * a chain member keeps its slot while its priority stays. */
static bool can_replace(const struct fw_pin_record *old, const struct fw_prog_spec *spec)
{
	if (!fw_record_same_priority(old, spec))
		return false;
	if (old->attach == FW_ATTACH_XDP_CHAIN)
		return true;
	if (old->attach == FW_ATTACH_XDP_NATIVE)
		return spec->xdp_mode != FW_XDP_GENERIC;
	if (old->attach == FW_ATTACH_XDP_GENERIC)
		return spec->xdp_mode != FW_XDP_NATIVE;
	return false;
}

static int replace(const char *root, const struct fw_pin_record *old, int link_fd,
		   int new_prog_fd, int companion_prog_fd, struct fw_error *err)
{
	if (old->attach == FW_ATTACH_XDP_CHAIN)
		return fw_chain_xdp_replace(root, old, new_prog_fd, err);
	return fw_hook_link_replace(root, old, link_fd, new_prog_fd, companion_prog_fd, err);
}

/* A chain member leaves the chain; a link is undone with its pin. */
static int detach(const struct fw_pin_record *rec, struct fw_error *err)
{
	return rec->attach == FW_ATTACH_XDP_CHAIN ? fw_chain_xdp_detach(rec, err) : 0;
}

static void describe(const struct fw_prog_spec *s, char *out, size_t size)
{
	int n = snprintf(out, size, "%s (mode %s)", s->interface, fw_xdp_mode_name(s->xdp_mode));

	if (s->has_priority && n >= 0 && (size_t)n < size)
		snprintf(out + n, size - n, ", priority %d", s->priority);
}

static const char *const verdicts[] = {
	"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT",
};

static const char *verdict_name(uint32_t retval, char *buf, size_t len)
{
	if (retval < sizeof(verdicts) / sizeof(*verdicts))
		snprintf(buf, len, "%s", verdicts[retval]);
	else
		snprintf(buf, len, "%d", (int32_t)retval);
	return buf;
}

const struct fw_hook_ops fw_hook_xdp = {
	.name = "xdp",
	.prog_types = { BPF_PROG_TYPE_XDP },
	.takes = FW_FIELD_INTERFACE | FW_FIELD_MODE | FW_FIELD_PRIORITY,
	.requires = FW_FIELD_INTERFACE,
	.one_per_interface = true,
	.attach = attach,
	.can_replace = can_replace,
	.replace = replace,
	.detach = detach,
	.describe = describe,
	.verdict_name = verdict_name,
	.kinds = { { FW_ATTACH_XDP_NATIVE, "xdp-native", true },
		   { FW_ATTACH_XDP_GENERIC, "xdp-generic", true },
		   { FW_ATTACH_XDP_CHAIN, "xdp-chain", false } },
	.probes = { FW_PROBE_ATTACH_XDP_NATIVE, FW_PROBE_ATTACH_XDP_GENERIC },
	.n_probes = 2,
};
