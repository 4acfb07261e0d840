// SPDX-License-Identifier: MIT
/* Chains of programs at one hook point; see chain.h. */
#include "ebpf/chain.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebpf/hooks.h"
#include "xdp_chain.skel.h"

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

/* ---- tcx ------------------------------------------------------------------- */

/* The kernel's list, in run order. */
static int tcx_prog_ids(const struct fw_pin_record *rec, uint32_t *ids, size_t max)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids, .prog_cnt = max);
	int type = rec->tc_direction == FW_TC_EGRESS ? BPF_TCX_EGRESS : BPF_TCX_INGRESS;

	if (bpf_prog_query_opts(rec->ifindex, type, &q))
		return -errno;
	return q.prog_cnt;
}

/* ---- the XDP chain's maps ---------------------------------------------------- */

/* The maps of bpf/lib/xdp_chain.h, as the member objects declare them. */
enum { MAP_SLOTS, MAP_LINKS, MAP_POS, N_MAPS };

static const struct {
	const char *name;
	enum bpf_map_type type;
	__u32 max_entries;
} chain_maps[N_MAPS] = {
	[MAP_SLOTS] = { "fw_xdp_chain", BPF_MAP_TYPE_PROG_ARRAY, FW_XDP_CHAIN_SLOTS },
	[MAP_LINKS] = { "fw_xdp_chain_links", BPF_MAP_TYPE_ARRAY, FW_XDP_CHAIN_SLOTS + 1 },
	[MAP_POS] = { "fw_xdp_chain_pos", BPF_MAP_TYPE_PERCPU_ARRAY, 1 },
};

struct chain {
	int fd[N_MAPS];
	__u32 slots_id;
};

static void chain_close(struct chain *c)
{
	for (int i = 0; i < N_MAPS; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
}

/* <root>/chains/xdp-<ifindex>[/<name>] */
static void chain_path(const char *root, int ifindex, const char *name, char *out)
{
	snprintf(out, FW_PATH_MAX, "%s/chains/xdp-%d%s%s", root, ifindex, name ? "/" : "",
		 name ? name : "");
}

static int create_map(int i, struct fw_error *err)
{
	__u32 end = FW_XDP_CHAIN_END;
	int fd = bpf_map_create(chain_maps[i].type, chain_maps[i].name, sizeof(__u32),
				sizeof(__u32), chain_maps[i].max_entries, NULL);

	if (fd < 0)
		return fw_error_set(err, errno, "creating the XDP chain's map %s: %s",
				    chain_maps[i].name, strerror(errno));
	/* No member yet: every slot, the head among them, leads to the end. */
	for (__u32 k = 0; i == MAP_LINKS && k < chain_maps[i].max_entries; k++)
		bpf_map_update_elem(fd, &k, &end, BPF_ANY);
	return fd;
}

/* The chain's maps for ifindex: pinned under <root>/chains, created on first use. */
static int chain_open(const char *root, int ifindex, bool create, struct chain *c,
		      struct fw_error *err)
{
	char path[FW_PATH_MAX];
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int ret;

	for (int i = 0; i < N_MAPS; i++)
		c->fd[i] = -1;
	if (create) {
		snprintf(path, sizeof(path), "%s/chains", root);
		mkdir(path, 0700);
		chain_path(root, ifindex, NULL, path);
		mkdir(path, 0700);
	}
	for (int i = 0; i < N_MAPS; i++) {
		chain_path(root, ifindex, chain_maps[i].name, path);
		c->fd[i] = bpf_obj_get(path);
		if (c->fd[i] >= 0)
			continue;
		if (!create) {
			ret = fw_error_set(err, ENOENT, "the XDP chain of interface %d has no map %s",
					   ifindex, path);
			goto fail;
		}
		c->fd[i] = create_map(i, err);
		if (c->fd[i] < 0 || (ret = fw_pins_replace(c->fd[i], path))) {
			ret = c->fd[i] < 0 ? c->fd[i]
					   : fw_error_set(err, ret, "pinning %s: %s", path, strerror(-ret));
			goto fail;
		}
	}
	bpf_obj_get_info_by_fd(c->fd[MAP_SLOTS], &info, &len);
	c->slots_id = info.id;
	return 0;
fail:
	chain_close(c);
	return ret;
}

/* The chain as its root program holds it: found from the interface alone
 * (detaching a member needs no pin root). 0, or -ENOENT: no chain there. */
static int chain_of_root(__u32 root_id, struct chain *c)
{
	__u32 map_ids[8], n = 8;
	struct bpf_prog_info info = { .nr_map_ids = n, .map_ids = (__u64)(unsigned long)map_ids };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(root_id);

	for (int i = 0; i < N_MAPS; i++)
		c->fd[i] = -1;
	if (fd < 0)
		return -ENOENT;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || strcmp(info.name, FW_XDP_CHAIN_ROOT)) {
		close(fd);
		return -ENOENT;
	}
	close(fd);
	for (__u32 k = 0; k < info.nr_map_ids && k < n; k++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(map_ids[k]);

		if (mfd < 0 || bpf_obj_get_info_by_fd(mfd, &mi, &mlen)) {
			if (mfd >= 0)
				close(mfd);
			continue;
		}
		for (int i = 0; i < N_MAPS; i++)
			if (mi.type == chain_maps[i].type && c->fd[i] < 0) {
				c->fd[i] = mfd;
				mfd = -1;
				if (i == MAP_SLOTS)
					c->slots_id = mi.id;
			}
		if (mfd >= 0)
			close(mfd);
	}
	for (int i = 0; i < N_MAPS; i++)
		if (c->fd[i] < 0) {
			chain_close(c);
			return -ENOENT;
		}
	return 0;
}

/* The XDP program on the interface (whoever attached it), 0 when none. */
static __u32 xdp_prog_on(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	return q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
}

static int chain_of_interface(int ifindex, struct chain *c)
{
	__u32 id = xdp_prog_on(ifindex);

	return id ? chain_of_root(id, c) : -ENOENT;
}

static __u32 next_of(const struct chain *c, __u32 slot)
{
	__u32 next = FW_XDP_CHAIN_END;

	bpf_map_lookup_elem(c->fd[MAP_LINKS], &slot, &next);
	return next;
}

static __u32 prog_in(const struct chain *c, __u32 slot)
{
	__u32 id = 0;

	return bpf_map_lookup_elem(c->fd[MAP_SLOTS], &slot, &id) ? 0 : id;
}

/* Whether a member continues the chain: its program uses the chain's
 * program array (through fw_xdp_chain_next). */
static bool continues_chain(const struct chain *c, __u32 prog_id, char name[16])
{
	__u32 map_ids[64];
	struct bpf_prog_info info = { .nr_map_ids = 64, .map_ids = (__u64)(unsigned long)map_ids };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);
	bool found = false;

	if (fd < 0)
		return false;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		for (__u32 k = 0; k < info.nr_map_ids && k < 64; k++)
			found |= map_ids[k] == c->slots_id;
	if (name)
		snprintf(name, 16, "%s", info.name);
	close(fd);
	return found;
}

/* ---- members ------------------------------------------------------------------ */

int fw_chain_prepare(const char *root, const struct fw_prog_spec *spec, int ifindex,
		     const char *map_dir, struct fw_error *err)
{
	char path[FW_PATH_MAX * 2];
	struct chain c;
	int ret = 0;

	if (spec->hook != FW_HOOK_XDP)
		return 0;
	if (!spec->has_priority) {
		/* A former member on its own again must not run its old chain. */
		for (int i = 0; i < N_MAPS; i++) {
			snprintf(path, sizeof(path), "%s/%s", map_dir, chain_maps[i].name);
			fw_pins_unlink(path);
		}
		return 0;
	}
	ret = chain_open(root, ifindex, true, &c, err);
	if (ret)
		return ret;
	if (mkdir(map_dir, 0700) < 0 && errno != EEXIST)
		ret = fw_error_set(err, errno, "creating %s: %s", map_dir, strerror(errno));
	for (int i = 0; i < N_MAPS && !ret; i++) {
		snprintf(path, sizeof(path), "%s/%s", map_dir, chain_maps[i].name);
		ret = fw_pins_replace(c.fd[i], path);
		if (ret)
			ret = fw_error_set(err, ret, "pinning %s: %s", path, strerror(-ret));
	}
	chain_close(&c);
	return ret;
}

static int root_link(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

/* Loads the root program on the chain's maps and attaches it (the block's
 * mode: native first for auto), its link pinned under the pin root. */
static int attach_root(const char *root, const struct fw_prog_spec *spec, int ifindex,
		       const struct chain *c, struct fw_attachment *a, struct fw_error *err)
{
	struct xdp_chain *skel = xdp_chain__open();
	char path[FW_PATH_MAX];
	int fd = -EINVAL, ret;

	if (!skel)
		return fw_error_set(err, errno, "opening the XDP chain's root program: %s",
				    strerror(errno));
	ret = bpf_map__reuse_fd(skel->maps.fw_xdp_chain, c->fd[MAP_SLOTS]);
	if (!ret)
		ret = bpf_map__reuse_fd(skel->maps.fw_xdp_chain_links, c->fd[MAP_LINKS]);
	if (!ret)
		ret = bpf_map__reuse_fd(skel->maps.fw_xdp_chain_pos, c->fd[MAP_POS]);
	if (!ret)
		ret = xdp_chain__load(skel);
	if (ret) {
		xdp_chain__destroy(skel);
		return fw_error_set(err, ret, "loading the XDP chain's root program: %s",
				    strerror(-ret));
	}
	if (spec->xdp_mode != FW_XDP_GENERIC)
		fd = root_link(bpf_program__fd(skel->progs.xdp_chain), ifindex, XDP_FLAGS_DRV_MODE);
	if (fd < 0 && spec->xdp_mode != FW_XDP_NATIVE) {
		if (spec->xdp_mode == FW_XDP_AUTO)
			fw_hook_note(a, "chain root: native XDP failed (%s), fell back to generic",
				     strerror(-fd));
		fd = root_link(bpf_program__fd(skel->progs.xdp_chain), ifindex, XDP_FLAGS_SKB_MODE);
	}
	xdp_chain__destroy(skel); /* the link holds the program */
	if (fd < 0)
		return fw_error_set(err, fd, "program %s: attaching the XDP chain's root on %s: %s",
				    spec->name, spec->interface, strerror(-fd));
	chain_path(root, ifindex, "root_link", path);
	ret = fw_pins_replace(fd, path);
	close(fd);
	if (ret)
		return fw_error_set(err, ret, "pinning %s: %s", path, strerror(-ret));
	return 0;
}

static const struct fw_hook_sibling *sibling_in(const struct fw_hook_opts *opts, __u32 slot,
						__u32 prog_id)
{
	for (size_t i = 0; i < opts->n_siblings; i++)
		if (opts->siblings[i].chain_slot == slot && opts->siblings[i].prog_id == prog_id)
			return &opts->siblings[i];
	return NULL;
}

static int free_slot(const struct chain *c)
{
	for (__u32 s = 0; s < FW_XDP_CHAIN_SLOTS; s++)
		if (!prog_in(c, s))
			return s;
	return -1;
}

/* Where the member goes: after *prev, before the returned slot (the first
 * member with a higher priority, or the end). A member that does not
 * continue the chain can only be last. */
static int find_place(const struct fw_prog_spec *spec, const struct chain *c,
		      const struct fw_hook_opts *opts, bool continues, __u32 *prev,
		      struct fw_error *err)
{
	__u32 cur = next_of(c, FW_XDP_CHAIN_HEAD), n = 0;
	char name[16];

	*prev = FW_XDP_CHAIN_HEAD;
	for (; cur < FW_XDP_CHAIN_END && n < FW_XDP_CHAIN_SLOTS; n++) {
		__u32 id = prog_in(c, cur);
		const struct fw_hook_sibling *s = sibling_in(opts, cur, id);

		if (s && s->priority > spec->priority)
			break;
		if (!continues_chain(c, id, name))
			return fw_error_set(err, EBUSY,
					    "program %s: %s (program id %u, %s) runs last in the XDP chain on %s: it does not continue the chain (fw_xdp_chain_next); give it a higher priority than %d",
					    spec->name, s ? s->name : "a member", id, name,
					    spec->interface, spec->priority);
		*prev = cur;
		cur = next_of(c, cur);
	}
	if (!continues && cur < FW_XDP_CHAIN_END)
		return fw_error_set(err, EINVAL,
				    "program %s: its object does not continue the XDP chain (it does not call fw_xdp_chain_next from xdp_chain.h), so it can only run last on %s; give it the highest priority there",
				    spec->name, spec->interface);
	return cur;
}

int fw_chain_xdp_attach(const struct fw_prog_spec *spec, const struct fw_hook_opts *opts,
			struct fw_attachment *a, struct fw_error *err)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), on, prev;
	struct chain c, running;
	int slot, next, ret;
	bool continues;

	if (!opts->pin_root)
		return fw_error_set(err, EINVAL, "program %s: an XDP chain needs a pin root",
				    spec->name);
	ret = chain_open(opts->pin_root, a->ifindex, true, &c, err);
	if (ret)
		return ret;
	on = xdp_prog_on(a->ifindex);
	if (!on) {
		ret = attach_root(opts->pin_root, spec, a->ifindex, &c, a, err);
	} else if (chain_of_root(on, &running) == 0) {
		if (running.slots_id != c.slots_id)
			ret = fw_error_set(err, EBUSY, "program %s: the XDP chain on %s is not the one pinned under %s",
					   spec->name, spec->interface, opts->pin_root);
		chain_close(&running);
	} else {
		ret = fw_xdp_busy_error(spec, a->ifindex, err);
	}
	if (ret)
		goto out;
	bpf_obj_get_info_by_fd(a->prog_fd, &info, &len);
	continues = continues_chain(&c, info.id, NULL);
	next = find_place(spec, &c, opts, continues, &prev, err);
	slot = next < 0 ? next : free_slot(&c);
	if (next >= 0 && slot < 0)
		ret = fw_error_set(err, ENOSPC, "program %s: the XDP chain on %s is full (%d members)",
				   spec->name, spec->interface, FW_XDP_CHAIN_SLOTS);
	if (next < 0 || ret) {
		ret = next < 0 ? next : ret;
		goto out;
	}
	/* The member is in its slot and leads to the rest before the one write
	 * that makes it part of the chain: no packet sees it half-inserted. */
	if (bpf_map_update_elem(c.fd[MAP_SLOTS], &(__u32){ slot }, &a->prog_fd, BPF_ANY) ||
	    bpf_map_update_elem(c.fd[MAP_LINKS], &(__u32){ slot }, &(__u32){ next }, BPF_ANY) ||
	    bpf_map_update_elem(c.fd[MAP_LINKS], &prev, &(__u32){ slot }, BPF_ANY)) {
		ret = fw_error_set(err, errno, "program %s: joining the XDP chain on %s: %s",
				   spec->name, spec->interface, strerror(errno));
		goto out;
	}
	a->kind = FW_ATTACH_XDP_CHAIN;
	a->chain_slot = slot;
	if (!continues)
		fw_hook_note(a, "ends the XDP chain (does not call fw_xdp_chain_next)");
out:
	chain_close(&c);
	return ret;
}

int fw_chain_xdp_replace(const char *root, const struct fw_pin_record *old, int new_prog_fd,
			 struct fw_error *err)
{
	struct chain c;
	int ret = chain_open(root, old->ifindex, false, &c, err);

	if (ret)
		return ret;
	/* One write: the slot runs the old program or the new one. */
	if (bpf_map_update_elem(c.fd[MAP_SLOTS], &old->chain_slot, &new_prog_fd, BPF_ANY))
		ret = fw_error_set(err, errno, "program %s: swapping its program in the XDP chain: %s",
				   old->name, strerror(errno));
	chain_close(&c);
	return ret;
}

/* The chain's last member went: so goes its root, leaving the interface as
 * it was (a block without priority may take it). */
static void detach_root(__u32 root_id)
{
	__u32 id = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.prog_id == root_id)
			bpf_link_detach(fd);
		close(fd);
	}
}

/* Takes the member in slot out of the chain, if it is in it. */
static void unlink_member(const struct chain *c, __u32 slot)
{
	/* The head's entry and "no next" are both FW_XDP_CHAIN_SLOTS: walk by
	 * what each entry leads to. */
	__u32 prev = FW_XDP_CHAIN_HEAD, next, n = 0;

	for (;; prev = next) {
		next = next_of(c, prev);
		if (next >= FW_XDP_CHAIN_END || n++ == FW_XDP_CHAIN_SLOTS)
			return; /* not in the chain */
		if (next == slot)
			break;
	}
	/* One write unlinks it; a packet inside it still finds its way on. */
	bpf_map_update_elem(c->fd[MAP_LINKS], &prev, &(__u32){ next_of(c, slot) }, BPF_ANY);
	/* Packets that read the old link run it a moment longer: XDP finishes
	 * a packet in microseconds; give them a millisecond. */
	usleep(1000);
	bpf_map_delete_elem(c->fd[MAP_SLOTS], &slot);
	bpf_map_update_elem(c->fd[MAP_LINKS], &slot, &(__u32){ FW_XDP_CHAIN_END }, BPF_ANY);
}

int fw_chain_xdp_detach(const struct fw_pin_record *rec, struct fw_error *err)
{
	__u32 root_id = xdp_prog_on(rec->ifindex);
	struct chain c;

	if (!root_id || chain_of_root(root_id, &c))
		return 0; /* gone with its interface, or the chain with it */
	unlink_member(&c, rec->chain_slot);
	if (next_of(&c, FW_XDP_CHAIN_HEAD) >= FW_XDP_CHAIN_END)
		detach_root(root_id);
	chain_close(&c);
	(void)err;
	return 0;
}

int fw_chain_xdp_sweep(const char *root, bool (*recorded)(int ifindex, uint32_t slot,
							 uint32_t prog_id, void *ctx),
		       void *ctx)
{
	char path[FW_PATH_MAX];
	struct dirent *ent;
	int removed = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/chains", root);
	d = opendir(path);
	if (!d)
		return 0;
	while ((ent = readdir(d))) {
		__u32 slot, ids[FW_XDP_CHAIN_SLOTS], slots[FW_XDP_CHAIN_SLOTS], n = 0;
		struct chain c;
		int ifindex;

		if (sscanf(ent->d_name, "xdp-%d", &ifindex) != 1 ||
		    chain_open(root, ifindex, false, &c, NULL))
			continue;
		for (slot = next_of(&c, FW_XDP_CHAIN_HEAD); slot < FW_XDP_CHAIN_END &&
		     n < FW_XDP_CHAIN_SLOTS; slot = next_of(&c, slot)) {
			slots[n] = slot;
			ids[n++] = prog_in(&c, slot);
		}
		for (__u32 i = 0; i < n; i++)
			if (!recorded(ifindex, slots[i], ids[i], ctx)) {
				unlink_member(&c, slots[i]);
				removed++;
			}
		if (n && next_of(&c, FW_XDP_CHAIN_HEAD) >= FW_XDP_CHAIN_END)
			detach_root(xdp_prog_on(ifindex));
		chain_close(&c);
	}
	closedir(d);
	return removed;
}

static int xdp_chain_prog_ids(const struct fw_pin_record *rec, uint32_t *ids, size_t max)
{
	__u32 cur, n = 0;
	struct chain c;

	if (chain_of_interface(rec->ifindex, &c))
		return -ENOENT;
	for (cur = next_of(&c, FW_XDP_CHAIN_HEAD); cur < FW_XDP_CHAIN_END && n < max;
	     cur = next_of(&c, cur))
		ids[n++] = prog_in(&c, cur);
	chain_close(&c);
	return n;
}

bool fw_chain_xdp_root_on(int ifindex)
{
	struct chain c;

	if (chain_of_interface(ifindex, &c))
		return false;
	chain_close(&c);
	return true;
}

int fw_chain_prog_ids(const char *root, const struct fw_pin_record *rec, uint32_t *ids,
		      size_t max)
{
	(void)root;
	if (rec->attach == FW_ATTACH_TCX)
		return tcx_prog_ids(rec, ids, max);
	if (rec->attach == FW_ATTACH_XDP_CHAIN)
		return xdp_chain_prog_ids(rec, ids, max);
	return -EOPNOTSUPP;
}

/* Names the XDP program someone else left on the interface, so the user
 * knows what is in the way. */
int fw_xdp_busy_error(const struct fw_prog_spec *spec, int ifindex, struct fw_error *err)
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
	if (!spec->has_priority && fw_chain_xdp_root_on(ifindex))
		return fw_error_set(err, EBUSY,
				    "program %s: interface %s runs Flywall's XDP chain (program id %u, name %s) for blocks with a priority; "
				    "give this block a priority to join it",
				    spec->name, spec->interface, id, info.name);
	return fw_error_set(err, EBUSY,
			    "program %s: interface %s already has an XDP program (id %u, name %s) that Flywall did not attach; "
			    "remove it first (ip link set dev %s xdp off)",
			    spec->name, spec->interface, id, info.name[0] ? info.name : "?",
			    spec->interface);
}
