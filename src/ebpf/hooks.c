// SPDX-License-Identifier: MIT
/* The hook manager's shared part; each hook's own is in hook_<name>.c. */
#include "ebpf/hooks.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

void fw_attachment_init(struct fw_attachment *a)
{
	memset(a, 0, sizeof(*a));
	a->link_fd = -1;
	a->companion_link_fd = -1;
	a->sock_fd = -1;
	a->prog_fd = -1;
}

void fw_attachment_to_record(const struct fw_attachment *a, struct fw_pin_record *rec)
{
	rec->hook = a->hook;
	rec->attach = a->kind;
	rec->ifindex = a->ifindex;
	rec->tc_direction = a->tc_direction;
	rec->tc_handle = a->tc_handle;
	rec->tc_priority = a->tc_priority;
	rec->companion_attach = a->companion_kind;
	rec->companion_tc_handle = a->companion_tc_handle;
	rec->companion_tc_priority = a->companion_tc_priority;
	rec->chain_slot = a->chain_slot;
	snprintf(rec->attach_note, sizeof(rec->attach_note), "%.243s", a->note);
}

void fw_attachment_from_record(struct fw_attachment *a, const struct fw_pin_record *rec)
{
	a->hook = rec->hook;
	a->kind = rec->attach;
	a->ifindex = rec->ifindex;
	a->tc_direction = rec->tc_direction;
	a->tc_handle = rec->tc_handle;
	a->tc_priority = rec->tc_priority;
	a->companion_kind = rec->companion_attach;
	a->companion_tc_handle = rec->companion_tc_handle;
	a->companion_tc_priority = rec->companion_tc_priority;
	a->chain_slot = rec->chain_slot;
	snprintf(a->note, sizeof(a->note), "%s", rec->attach_note);
}

bool fw_record_same_priority(const struct fw_pin_record *rec, const struct fw_prog_spec *spec)
{
	return !!rec->has_priority == spec->has_priority &&
	       (!spec->has_priority || rec->priority == spec->priority);
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

void fw_hook_note(struct fw_attachment *a, const char *fmt, ...)
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

int fw_hook_take_link(struct fw_attachment *a, struct bpf_link *link, enum fw_attach_kind kind)
{
	int ret = libbpf_get_error(link);

	if (ret || !link)
		return ret ? ret : -errno;
	a->link = link;
	a->link_fd = bpf_link__fd(link);
	a->kind = kind;
	return 0;
}

int fw_hook_link_replace(const char *root, const struct fw_pin_record *old, int link_fd,
			 int new_prog_fd, int companion_prog_fd, struct fw_error *err)
{
	if (bpf_link_update(link_fd, new_prog_fd, NULL))
		return fw_error_set(err, errno, "program %s: swapping the program of link: %s",
				    old->name, strerror(errno));
	return 0;
}

int fw_hook_nothing_to_detach(const struct fw_pin_record *rec, struct fw_error *err)
{
	return 0;
}

bool fw_hook_never_replace(const struct fw_pin_record *old, const struct fw_prog_spec *spec)
{
	return false; /* perf-event links cannot swap programs */
}

/* ---- the hook manager's entry points --------------------------------------- */

int fw_hook_attach(const struct fw_prog_spec *spec, struct fw_object *o, int ifindex,
		   const struct fw_hook_opts *opts, struct fw_attachment *a, struct fw_error *err)
{
	static const struct fw_hook_opts defaults;
	const struct fw_hook_ops *ops = fw_hook_ops_of(spec->hook);

	fw_attachment_init(a);
	a->hook = spec->hook;
	a->prog_fd = bpf_program__fd(o->prog);
	a->ifindex = ifindex;
	if (!ops)
		return fw_error_set(err, EINVAL, "program %s: unknown hook", spec->name);
	return ops->attach(spec, o, opts ? opts : &defaults, a, err);
}

bool fw_hook_can_replace(const struct fw_pin_record *old, const struct fw_prog_spec *spec,
			 int ifindex)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(spec->hook);

	if (!ops || old->hook != (uint32_t)spec->hook || old->ifindex != (uint32_t)ifindex)
		return false;
	return ops->can_replace(old, spec);
}

int fw_hook_replace(const char *root, const struct fw_pin_record *old, int link_fd,
		    int new_prog_fd, int companion_prog_fd, struct fw_error *err)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(old->hook);

	if (!ops)
		return fw_error_set(err, EINVAL, "program %s: unknown hook %u", old->name,
				    old->hook);
	return ops->replace(root, old, link_fd, new_prog_fd, companion_prog_fd, err);
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

int fw_hook_detach_record(const struct fw_pin_record *rec, struct fw_error *err)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(rec->hook);

	return ops ? ops->detach(rec, err) : 0;
}

int fw_hook_revive(const struct fw_pin_record *rec, int prog_fd, struct fw_attachment *a,
		   struct fw_error *err)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(rec->hook);

	return ops && ops->revive ? ops->revive(rec, prog_fd, a, err) : 0;
}

void fw_attachment_release(struct fw_attachment *a, bool detach)
{
	if (detach) {
		struct fw_pin_record rec = { 0 };

		fw_attachment_to_record(a, &rec);
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
