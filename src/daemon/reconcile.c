// SPDX-License-Identifier: MIT
#include "daemon/reconcile.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/crash_point.h"
#include "common/log.h"
#include "daemon/program_ext.h"
#include "ebpf/chain.h"
#include "ebpf/shaping.h"

enum step_action {
	STEP_KEEP,      /* unchanged: runs as it is */
	STEP_SWAP,      /* same attachment, new program: bpf_link_update */
	STEP_REATTACH,  /* changed attachment: attach new, then drop old */
	STEP_ATTACH,    /* new program */
};

struct step {
	const struct fw_prog_spec *spec;
	enum step_action action;
	int ifindex;
	uint64_t hash;
	struct fw_program *old;     /* running now, or NULL */
	struct fw_program *new;     /* prepared in phase 1 */
	int old_companion_fd;       /* a swapped companion's program, for rollback */
	bool switched;
	char shaping_mode[16];      /* set when this step set up queuing */
	struct fw_ext_step ext;     /* what the program's extensions were given */
	bool ext_applied;
};

static const char *const action_names[] = { "keep", "swap", "reattach", "attach" };

/* ---- phase 1: prepare ------------------------------------------------------ */

static int prepare_new(struct fw_registry *reg, struct step *s, struct fw_error *err)
{
	char map_dir[FW_PATH_MAX];
	struct fw_program *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return fw_error_set(err, ENOMEM, "out of memory");
	fw_attachment_init(&p->att);
	p->prog_fd = p->link_fd = -1;
	ret = fw_prog_spec_copy(&p->spec, s->spec);
	if (ret) {
		free(p);
		return fw_error_set(err, ret, "out of memory");
	}
	p->has_spec = true;
	fw_pins_map_dir(reg->root, s->spec->name, map_dir);
	ret = fw_chain_prepare(reg->root, s->spec, s->ifindex, map_dir, err);
	if (!ret)
		ret = fw_object_load(&p->spec, map_dir, &fw_program_ext_load_hook, &p->obj, err);
	if (ret) {
		fw_program_free(p);
		return ret;
	}
	s->new = p;
	return 0;
}

static int prepare_step(struct fw_registry *reg, struct step *s, struct fw_error *err)
{
	int ret;

	s->ifindex = fw_hook_resolve_interface(s->spec, err);
	if (s->ifindex < 0)
		return s->ifindex;
	ret = fw_prog_spec_hash(s->spec, &s->hash);
	if (ret)
		return fw_error_set(err, ret, "program %s: object %s: %s", s->spec->name,
				    s->spec->object, strerror(-ret));
	s->old = fw_registry_find(reg, s->spec->name);
	/* Same spec on the same interface (one deleted and re-created under its
	 * name has a new ifindex, and nothing attached to it). */
	if (s->old && s->old->rec.spec_hash == s->hash &&
	    s->old->rec.ifindex == (uint32_t)s->ifindex) {
		s->action = STEP_KEEP;
		return 0;
	}
	ret = prepare_new(reg, s, err);
	if (ret)
		return ret;
	if (!s->old)
		s->action = STEP_ATTACH;
	else if (fw_hook_can_replace(&s->old->rec, s->spec, s->ifindex) &&
		 (s->old->rec.companion_attach != FW_ATTACH_NONE) == !!s->new->obj->companion)
		s->action = STEP_SWAP;
	else
		s->action = STEP_REATTACH;
	return 0;
}

/* ---- phase 2: switch ------------------------------------------------------- */

/* Copies what the running attachment is into the new program's record, for
 * a swap that keeps the attachment itself. */
static void inherit_attachment(struct fw_program *new, const struct fw_program *old)
{
	fw_attachment_from_record(&new->att, &old->rec);
	new->link_fd = old->link_fd >= 0 ? dup(old->link_fd) : -1;
}

/* A hook with one program per interface (XDP, per mode): the old one must
 * go first. */
static bool must_detach_first(const struct step *s)
{
	/* Two members of a chain (priorities) share the hook point. */
	return s->old->rec.hook == (uint32_t)s->spec->hook &&
	       fw_hook_ops_of(s->spec->hook)->one_per_interface &&
	       s->old->rec.ifindex == (uint32_t)s->ifindex &&
	       !(s->old->rec.has_priority && s->spec->has_priority);
}

static void detach_old(struct fw_registry *reg, struct fw_program *old)
{
	fw_hook_detach_record(&old->rec, NULL);
	fw_program_drop_links(reg->root, old);
}

/* The program a pinned companion link runs now (to swap back on rollback). */
static int companion_prog_fd(const char *root, const char *name)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[FW_PATH_MAX];
	int fd, prog_fd = -1;

	fw_pins_companion_path(root, name, path);
	fd = bpf_obj_get(path);
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
		prog_fd = bpf_prog_get_fd_by_id(info.prog_id);
	if (fd >= 0)
		close(fd);
	return prog_fd;
}

/* A tc egress block with `shaping` gets its queuing first. */
static int setup_shaping(struct step *s, struct fw_error *err)
{
	int ret;

	if (!s->spec->shaping.set || s->action == STEP_KEEP)
		return 0;
	ret = fw_shaping_apply(s->ifindex, &s->spec->shaping, s->shaping_mode,
			       sizeof(s->shaping_mode), err);
	if (ret)
		return fw_error_wrap(err, "program %s: shaping on %s", s->spec->name,
				     s->spec->interface);
	return 0;
}

/* Then the program (loaded, not yet attached) gets what its extensions set
 * (src/daemon/program_ext.h), the shaper's mode among them: packets it
 * steers must find their class already there. */
static int apply_extensions(struct step *s, struct fw_error *err)
{
	int ret;

	if (s->action == STEP_KEEP)
		return 0;
	s->ext = (struct fw_ext_step){ .spec = s->spec, .obj = s->new->obj,
				       .ifindex = s->ifindex, .shaping_mode = s->shaping_mode };
	ret = fw_program_exts_apply(&s->ext, err);
	if (ret)
		return fw_error_wrap(err, "program %s", s->spec->name);
	if (s->shaping_mode[0] && !s->ext.shaping_taken)
		fw_warn("program %s: the object does not declare the shaper's globals (mode, "
			"classid, rate_bps, burst_bytes); packets are shaped only if it steers "
			"them into the class itself", s->spec->name);
	s->ext_applied = true;
	return 0;
}

static void undo_shaping(struct step *s)
{
	bool had_shaping = s->old && s->old->rec.shaping &&
			   s->old->rec.ifindex == (uint32_t)s->ifindex;

	if (s->shaping_mode[0] && !had_shaping)
		fw_shaping_remove(s->ifindex, NULL);
	s->shaping_mode[0] = '\0';
}

static void undo_extensions(struct step *s)
{
	if (s->ext_applied)
		fw_program_exts_rollback(&s->ext);
	s->ext_applied = false;
}

/* ---- siblings: blocks with a priority sharing a hook point ----------------- */

struct siblings {
	struct fw_hook_sibling list[64];
	size_t n;
};

static bool same_hook_point(const struct step *s, const struct fw_pin_record *rec)
{
	return rec->hook == (uint32_t)s->spec->hook && rec->ifindex == (uint32_t)s->ifindex &&
	       (!fw_hook_takes(s->spec->hook, FW_FIELD_DIRECTION) ||
		rec->tc_direction == (uint32_t)s->spec->direction);
}

/* A sibling by its program and link (-1: none, an XDP chain member's slot
 * says where it runs). */
static void add_sibling(struct siblings *sib, const char *name, int32_t priority, int prog_fd,
			int link_fd, uint32_t chain_slot)
{
	struct bpf_link_info link = {};
	struct bpf_prog_info prog = {};
	__u32 len = sizeof(link), plen = sizeof(prog);

	if (sib->n == sizeof(sib->list) / sizeof(sib->list[0]) ||
	    (link_fd >= 0 && bpf_obj_get_info_by_fd(link_fd, &link, &len)) ||
	    (prog_fd >= 0 && bpf_obj_get_info_by_fd(prog_fd, &prog, &plen)))
		return;
	sib->list[sib->n++] = (struct fw_hook_sibling){ .name = name, .priority = priority,
							.link_id = link.id, .prog_id = prog.id,
							.chain_slot = chain_slot };
}

/* A step of this transaction attached anew (not yet in the registry). */
static const struct step *attached_step(const struct step *steps, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (steps[i].switched && strcmp(steps[i].spec->name, name) == 0 &&
		    (steps[i].action == STEP_ATTACH || steps[i].action == STEP_REATTACH))
			return &steps[i];
	return NULL;
}

/* The programs with a priority at s's hook point: those running (the ones
 * this transaction reattached count at their new place) and those this
 * transaction attached before s. */
static void collect_siblings(struct fw_registry *reg, const struct step *steps, size_t i,
			     struct siblings *sib)
{
	const struct step *s = &steps[i];

	sib->n = 0;
	for (size_t k = 0; k < reg->n_progs; k++) {
		const struct fw_program *p = reg->progs[k];

		if (p->rec.has_priority && same_hook_point(s, &p->rec) &&
		    strcmp(p->rec.name, s->spec->name) && !attached_step(steps, i, p->rec.name))
			add_sibling(sib, p->rec.name, p->rec.priority, p->prog_fd, p->link_fd,
				    p->rec.chain_slot);
	}
	for (size_t k = 0; k < i; k++) {
		const struct step *t = &steps[k];
		struct fw_pin_record rec = {};

		if (!t->switched || !t->spec->has_priority ||
		    (t->action != STEP_ATTACH && t->action != STEP_REATTACH))
			continue;
		fw_attachment_to_record(&t->new->att, &rec);
		if (same_hook_point(s, &rec))
			add_sibling(sib, t->spec->name, t->spec->priority, t->new->att.prog_fd,
				    t->new->att.link_fd, t->new->att.chain_slot);
	}
}

static int switch_step(struct fw_registry *reg, struct step *steps, size_t i,
		       struct fw_error *err)
{
	struct step *s = &steps[i];
	struct fw_hook_opts opts = reg->hook_opts;
	struct siblings sib;
	int ret;

	opts.pin_root = reg->root;
	ret = setup_shaping(s, err);
	if (!ret)
		ret = apply_extensions(s, err);
	if (ret) {
		undo_shaping(s);
		return ret;
	}

	switch (s->action) {
	case STEP_KEEP:
		/* What died with the daemon that attached it (a socket filter's
		 * socket) is made again for an adopted program. */
		return fw_hook_revive(&s->old->rec, s->old->prog_fd, &s->old->att, err);
	case STEP_SWAP:
		if (s->new->obj->companion)
			s->old_companion_fd = companion_prog_fd(reg->root, s->spec->name);
		ret = fw_hook_replace(reg->root, &s->old->rec, s->old->link_fd,
				      bpf_program__fd(s->new->obj->prog),
				      s->new->obj->companion ? bpf_program__fd(s->new->obj->companion)
							     : -1, err);
		if (ret)
			goto fail;
		inherit_attachment(s->new, s->old);
		break;
	case STEP_REATTACH:
		if (must_detach_first(s)) {
			fw_warn("program %s: %s holds one %s program: detaching the old program first",
				s->spec->name, s->spec->interface, fw_hook_name(s->spec->hook));
			detach_old(reg, s->old);
		}
		/* fall through */
	case STEP_ATTACH:
		if (s->spec->has_priority) {
			collect_siblings(reg, steps, i, &sib);
			opts.siblings = sib.list;
			opts.n_siblings = sib.n;
		}
		ret = fw_hook_attach(s->spec, s->new->obj, s->ifindex, &opts, &s->new->att, err);
		if (ret)
			goto fail;
		s->new->link_fd = s->new->att.link_fd >= 0 ? dup(s->new->att.link_fd) : -1;
		break;
	}
	s->switched = true;
	return 0;
fail:
	undo_extensions(s);
	undo_shaping(s);
	return ret;
}

static void rollback_step(struct fw_registry *reg, struct step *s)
{
	struct fw_error err = {};

	if (!s->switched)
		return;
	if (s->action == STEP_SWAP &&
	    fw_hook_replace(reg->root, &s->old->rec, s->old->link_fd, s->old->prog_fd,
			    s->old_companion_fd, &err))
		fw_err_log("rollback of %s failed: %s", s->spec->name, err.msg);
	if (s->action == STEP_ATTACH || s->action == STEP_REATTACH)
		fw_attachment_release(&s->new->att, true);
	undo_extensions(s);
	undo_shaping(s);
	fw_error_clear(&err);
	s->switched = false;
}

/* ---- phase 3: commit ------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void fill_record(struct fw_program *p, const struct step *s, enum fw_origin origin)
{
	struct fw_pin_record *r = &p->rec;
	const char *obj = s->spec->object;
	size_t len = strlen(obj);

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", s->spec->name);
	r->spec_hash = s->hash;
	r->load_time_ns = now_ns();
	fw_attachment_to_record(&p->att, r);
	r->has_priority = s->spec->has_priority;
	r->priority = s->spec->priority;
	r->services = s->spec->services;
	r->origin = origin;
	snprintf(r->interface, sizeof(r->interface), "%s", s->spec->interface);
	snprintf(r->prog_name, sizeof(r->prog_name), "%s",
		 bpf_program__name(p->att.extra ? p->att.extra->prog :
				   p->att.kind == FW_ATTACH_STANDIN ? p->obj->standin : p->obj->prog));
	/* Keep the end of a long path: the file name is what identifies it. */
	snprintf(r->object, sizeof(r->object), "%.255s",
		 len < sizeof(r->object) ? obj : obj + len - (sizeof(r->object) - 1));
	r->shaping = s->shaping_mode[0] != '\0';
	if (r->shaping)
		snprintf(r->attach_note, sizeof(r->attach_note), "%.200s%sshaping: %.15s",
			 p->att.note, p->att.note[0] ? "; " : "", s->shaping_mode);
}

static int pin_program(struct fw_registry *reg, struct fw_program *p, struct fw_error *err)
{
	char path[FW_PATH_MAX];
	int prog_fd = p->att.prog_fd >= 0 ? p->att.prog_fd : bpf_program__fd(p->obj->prog);
	int ret;

	fw_pins_prog_path(reg->root, p->spec.name, path);
	ret = fw_pins_replace(prog_fd, path);
	if (ret)
		return fw_error_set(err, ret, "pinning %s: %s", path, strerror(-ret));
	p->prog_fd = dup(prog_fd);
	fw_pins_map_dir(reg->root, p->spec.name, path);
	return fw_maps_pin_all(p->obj->obj, path, err);
}

static int commit_step(struct fw_registry *reg, struct step *s, enum fw_origin origin,
		       struct fw_error *err)
{
	struct fw_program *p = s->new;
	int ret;

	if (s->action == STEP_KEEP)
		return 0;
	ret = pin_program(reg, p, err);
	fw_crash_point("prog-pinned");
	if (!ret && s->action != STEP_SWAP)
		ret = fw_hook_pin(&p->att, reg->root, p->spec.name, err);
	if (ret)
		return ret;
	fw_crash_point("link-pinned");
	fill_record(p, s, origin);
	ret = fw_pins_record_put(reg->state_fd, &p->rec);
	if (ret)
		return fw_error_set(err, ret, "recording %s: %s", p->spec.name, strerror(-ret));
	fw_crash_point("recorded");
	if (s->old) {
		/* A reattached program's old attachment goes now; a swapped one's
		 * link is the new program's. */
		if (s->action == STEP_REATTACH)
			fw_hook_detach_record(&s->old->rec, NULL);
		if (s->old->rec.shaping && !p->rec.shaping)
			fw_shaping_remove(s->old->rec.ifindex, NULL);
		fw_registry_remove(reg, s->old);
		fw_program_free(s->old);
		s->old = NULL;
	}
	s->new = NULL;
	fw_info("%s %s: %s%s%s via %s%s%s", s->action == STEP_ATTACH ? "attached" : "replaced",
		p->spec.name, fw_hook_name(p->spec.hook), p->spec.interface[0] ? " on " : "",
		p->spec.interface, fw_attach_kind_name(p->rec.attach),
		p->rec.attach_note[0] ? " — " : "", p->rec.attach_note);
	return fw_registry_add(reg, p);
}

static bool in_specs(const char *name, const struct fw_prog_spec *specs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(specs[i].name, name) == 0)
			return true;
	return false;
}

static int remove_missing_programs(struct fw_registry *reg, const struct fw_prog_spec *specs,
				   size_t n, enum fw_origin origin, int *removed,
				   struct fw_error *err)
{
	for (size_t i = reg->n_progs; i-- > 0;) {
		struct fw_program *p = reg->progs[i];
		int ret;

		if (p->rec.origin != origin || in_specs(p->rec.name, specs, n))
			continue;
		ret = fw_program_destroy(reg, p, err);
		if (ret)
			return ret;
		(*removed)++;
	}
	return 0;
}

/* ---- the transaction ------------------------------------------------------- */

static void release_steps(struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fw_program_free(steps[i].new);
		if (steps[i].old_companion_fd >= 0)
			close(steps[i].old_companion_fd);
	}
	free(steps);
}

int fw_reconcile(struct fw_registry *reg, const struct fw_prog_spec *specs, size_t n,
		 enum fw_origin origin, bool remove_missing,
		 struct fw_reconcile_report *report, struct fw_error *err)
{
	struct step *steps = calloc(n ? n : 1, sizeof(*steps));
	struct fw_reconcile_report r = {};
	size_t i;
	int ret = 0;

	if (!steps)
		return fw_error_set(err, ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		steps[i].old_companion_fd = -1;
	for (i = 0; i < n && !ret; i++) {
		steps[i].spec = &specs[i];
		ret = prepare_step(reg, &steps[i], err);
	}
	for (i = 0; i < n && !ret; i++) {
		ret = switch_step(reg, steps, i, err);
		fw_crash_point("switched");
	}
	if (ret) {
		while (i-- > 0)
			rollback_step(reg, &steps[i]);
		release_steps(steps, n);
		return ret;
	}
	for (i = 0; i < n && !ret; i++) {
		fw_debug("%s: %s", specs[i].name, action_names[steps[i].action]);
		if (steps[i].action == STEP_KEEP)
			r.kept++;
		else if (steps[i].action == STEP_ATTACH)
			r.loaded++;
		else
			r.replaced++;
		ret = commit_step(reg, &steps[i], origin, err);
	}
	if (!ret && remove_missing)
		ret = remove_missing_programs(reg, specs, n, origin, &r.removed, err);
	release_steps(steps, n);
	if (report)
		*report = r;
	return ret;
}

int fw_reconcile_remove_all(struct fw_registry *reg, struct fw_error *err)
{
	while (reg->n_progs) {
		int ret = fw_program_destroy(reg, reg->progs[reg->n_progs - 1], err);

		if (ret)
			return ret;
	}
	return 0;
}
