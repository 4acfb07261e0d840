// SPDX-License-Identifier: MIT
#include "daemon/registry.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crash_point.h"
#include "common/log.h"
#include "ebpf/chain.h"
#include "ebpf/shaping.h"

static struct fw_program *program_new(void)
{
	struct fw_program *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	fw_attachment_init(&p->att);
	p->prog_fd = -1;
	p->link_fd = -1;
	return p;
}

void fw_program_free(struct fw_program *p)
{
	if (!p)
		return;
	fw_attachment_release(&p->att, false);
	if (p->prog_fd >= 0)
		close(p->prog_fd);
	if (p->link_fd >= 0)
		close(p->link_fd);
	fw_object_close(p->obj);
	if (p->has_spec)
		fw_prog_spec_release(&p->spec);
	free(p);
}


/* A pinned link whose interface went away is still a pin, but attaches
 * nothing: treat it as dead so reconcile attaches afresh. */
static bool link_alive(int link_fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return false;
	if (info.type == BPF_LINK_TYPE_XDP)
		return info.xdp.ifindex != 0;
	return info.prog_id != 0;
}

int fw_program_adopt(const char *root, const struct fw_pin_record *rec,
		     struct fw_program **out, struct fw_error *err)
{
	struct fw_program *p = program_new();
	char path[FW_PATH_MAX];

	if (!p)
		return fw_error_set(err, ENOMEM, "out of memory");
	p->rec = *rec;
	snprintf(p->spec.name, sizeof(p->spec.name), "%s", rec->name);
	fw_pins_prog_path(root, rec->name, path);
	p->prog_fd = bpf_obj_get(path);
	if (p->prog_fd < 0) {
		fw_program_free(p);
		return fw_error_set(err, ENOENT, "program %s: its pin %s is gone", rec->name, path);
	}
	if (fw_attach_kind_has_link(rec->attach)) {
		fw_pins_link_path(root, rec->name, path);
		p->link_fd = bpf_obj_get(path);
		if (p->link_fd < 0 || !link_alive(p->link_fd)) {
			fw_program_free(p);
			return fw_error_set(err, ENOLINK, "program %s: its link %s is gone or detached",
					    rec->name, path);
		}
	}
	*out = p;
	return 0;
}

struct adopt_ctx {
	struct fw_registry *reg;
	char stale[64][FW_NAME_MAX];
	int n_stale;
};

static int adopt_record(const struct fw_pin_record *rec, void *data)
{
	struct adopt_ctx *ctx = data;
	struct fw_error err = {};
	struct fw_program *p;

	if (fw_program_adopt(ctx->reg->root, rec, &p, &err)) {
		fw_warn("%s; it will be attached afresh if still configured", err.msg);
		if (ctx->n_stale < 64)
			snprintf(ctx->stale[ctx->n_stale++], FW_NAME_MAX, "%s", rec->name);
		fw_error_clear(&err);
		return 0;
	}
	fw_info("adopted %s (%s, %s%s%s)", rec->name, fw_hook_name(rec->hook),
		fw_attach_kind_name(rec->attach), rec->interface[0] ? " on " : "", rec->interface);
	return fw_registry_add(ctx->reg, p);
}

static bool has_record(const char *name, void *data)
{
	struct fw_registry *reg = data;
	struct fw_pin_record rec;

	return fw_pins_record_get(reg->state_fd, name, &rec) == 0;
}

/* A crash between pinning and recording leaves pins no record accounts for
 * (a link among them keeps a program attached): the apply never committed,
 * so they go. */
/* Whether an XDP chain member is an adopted program's. */
static bool is_chain_member(int ifindex, uint32_t slot, uint32_t prog_id, void *data)
{
	struct fw_registry *reg = data;

	for (size_t i = 0; i < reg->n_progs; i++) {
		const struct fw_program *p = reg->progs[i];
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (p->rec.attach == FW_ATTACH_XDP_CHAIN && p->rec.ifindex == (uint32_t)ifindex &&
		    p->rec.chain_slot == slot && !bpf_obj_get_info_by_fd(p->prog_fd, &info, &len) &&
		    info.id == prog_id)
			return true;
	}
	return false;
}

static void sweep_uncommitted(struct fw_registry *reg)
{
	int n = fw_pins_sweep(reg->root, has_record, reg);

	n += fw_chain_xdp_sweep(reg->root, is_chain_member, reg);

	if (n)
		fw_info("removed %d pin%s left by an apply that did not finish", n, n == 1 ? "" : "s");
}

int fw_registry_open(struct fw_registry *reg, const char *root, struct fw_error *err)
{
	struct adopt_ctx ctx = { .reg = reg };
	int ret;

	memset(reg, 0, sizeof(*reg));
	reg->state_fd = -1;
	snprintf(reg->root, sizeof(reg->root), "%s", root);
	reg->lock_fd = fw_pins_prepare(root, err);
	if (reg->lock_fd < 0)
		return reg->lock_fd;
	reg->state_fd = fw_pins_state_open(root, err);
	if (reg->state_fd < 0)
		return reg->state_fd;
	ret = fw_pins_record_foreach(reg->state_fd, adopt_record, &ctx);
	if (!ret)
		sweep_uncommitted(reg);
	/* A record without live pins describes nothing: clean it up fully so the
	 * program is attached afresh and no stale pin lingers. */
	for (int i = 0; i < ctx.n_stale; i++) {
		struct fw_pin_record rec;
		struct fw_program *p;

		if (fw_pins_record_get(reg->state_fd, ctx.stale[i], &rec) == 0 &&
		    (p = program_new())) {
			p->rec = rec;
			fw_program_destroy(reg, p, NULL);
		}
	}
	return ret;
}

void fw_registry_close(struct fw_registry *reg)
{
	for (size_t i = 0; i < reg->n_progs; i++)
		fw_program_free(reg->progs[i]);
	free(reg->progs);
	if (reg->state_fd >= 0)
		close(reg->state_fd);
	if (reg->lock_fd >= 0)
		close(reg->lock_fd); /* releases the pin root's lock */
	reg->lock_fd = -1;
	reg->progs = NULL;
	reg->n_progs = 0;
	reg->state_fd = -1;
}

struct fw_program *fw_registry_find(struct fw_registry *reg, const char *name)
{
	for (size_t i = 0; i < reg->n_progs; i++)
		if (strcmp(reg->progs[i]->rec.name, name) == 0)
			return reg->progs[i];
	return NULL;
}

int fw_registry_add(struct fw_registry *reg, struct fw_program *p)
{
	struct fw_program **progs = realloc(reg->progs, (reg->n_progs + 1) * sizeof(*progs));

	if (!progs)
		return -ENOMEM;
	reg->progs = progs;
	reg->progs[reg->n_progs++] = p;
	return 0;
}

void fw_registry_remove(struct fw_registry *reg, struct fw_program *p)
{
	for (size_t i = 0; i < reg->n_progs; i++) {
		if (reg->progs[i] != p)
			continue;
		memmove(&reg->progs[i], &reg->progs[i + 1],
			(reg->n_progs - i - 1) * sizeof(*reg->progs));
		reg->n_progs--;
		return;
	}
}

void fw_program_drop_links(const char *root, struct fw_program *p)
{
	char path[FW_PATH_MAX];

	/* Detach now, whoever else holds the links: when the pin is the last
	 * reference, the kernel releases it from a workqueue, and the next
	 * program to attach (XDP: one per interface and mode) could find the
	 * hook still taken. */
	if (p->link_fd >= 0)
		bpf_link_detach(p->link_fd);
	if (p->att.companion_link_fd >= 0)
		bpf_link_detach(p->att.companion_link_fd);
	fw_attachment_release(&p->att, true);
	if (p->link_fd >= 0) {
		close(p->link_fd);
		p->link_fd = -1;
	}
	fw_pins_link_path(root, p->rec.name, path);
	fw_pins_unlink(path);
	fw_pins_companion_path(root, p->rec.name, path);
	fw_pins_unlink(path);
}

int fw_program_destroy(struct fw_registry *reg, struct fw_program *p, struct fw_error *err)
{
	char path[FW_PATH_MAX];
	int ret;

	ret = fw_hook_detach_record(&p->rec, err);
	if (!ret && p->rec.shaping)
		ret = fw_shaping_remove(p->rec.ifindex, err);
	if (ret)
		return ret;
	fw_program_drop_links(reg->root, p);
	fw_crash_point("destroy-unlinked");
	fw_pins_prog_path(reg->root, p->rec.name, path);
	fw_pins_unlink(path);
	fw_pins_remove_maps(reg->root, p->rec.name);
	fw_pins_record_delete(reg->state_fd, p->rec.name);
	fw_info("removed %s", p->rec.name);
	fw_registry_remove(reg, p);
	fw_program_free(p);
	return 0;
}
