// SPDX-License-Identifier: MIT
#include "ebpf/pins.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/crash_point.h"
#include "ebpf/hook_ops.h"

#define STATE_MAX_PROGRAMS 1024

/* Each hook names the attach kinds it makes (hook_ops.h). */
const char *fw_attach_kind_name(enum fw_attach_kind kind)
{
	if (kind == FW_ATTACH_NONE)
		return "none";
	for (int h = 0; h < FW_HOOK__COUNT; h++) {
		const struct fw_hook_ops *ops = fw_hook_ops_of(h);

		for (int k = 0; k < FW_HOOK_MAX_KINDS && ops->kinds[k].name; k++)
			if (ops->kinds[k].kind == kind)
				return ops->kinds[k].name;
	}
	return "?";
}

void fw_pins_prog_path(const char *root, const char *name, char *out)
{
	snprintf(out, FW_PATH_MAX, "%s/progs/%s", root, name);
}

void fw_pins_link_path(const char *root, const char *name, char *out)
{
	snprintf(out, FW_PATH_MAX, "%s/links/%s", root, name);
}

void fw_pins_companion_path(const char *root, const char *name, char *out)
{
	snprintf(out, FW_PATH_MAX, "%s/links/%s@companion", root, name);
}

void fw_pins_map_dir(const char *root, const char *name, char *out)
{
	snprintf(out, FW_PATH_MAX, "%s/maps/%s", root, name);
}

void fw_pins_map_path(const char *root, const char *name, const char *map, char *out)
{
	snprintf(out, FW_PATH_MAX, "%s/maps/%s/%s", root, name, map);
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* The pin root must live on bpffs; mount it at its usual place if the
 * machine booted without it (KERNEL-FACTS: not mounted on a fresh VM). */
static int ensure_bpffs(const char *root, struct fw_error *err)
{
	char parent[FW_PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", root);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (is_bpffs(parent))
		return 0;
	if (strcmp(parent, "/sys/fs/bpf") != 0)
		return fw_error_set(err, ENOTSUP,
				    "%s is not on a bpf filesystem (mount -t bpf bpf %s)",
				    parent, parent);
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
		return fw_error_set(err, errno, "mounting bpffs on /sys/fs/bpf: %s",
				    strerror(errno));
	return 0;
}

static int make_dir(const char *path, struct fw_error *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return fw_error_set(err, errno, "creating %s: %s", path, strerror(errno));
	return 0;
}

/* Whoever can write a directory of the pin root can unpin the daemon's
 * links (and so detach its programs) or plant pins of their own: every
 * directory must be the daemon user's and writable by nobody else. */
static int check_dir(const char *path, struct fw_error *err)
{
	uid_t me = geteuid();
	struct stat st;

	if (lstat(path, &st) < 0)
		return fw_error_set(err, errno, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fw_error_set(err, ENOTDIR,
				    "%s is not a directory: it is not Flywall's; remove it (rm %s) and start again",
				    path, path);
	if (st.st_uid != me)
		return fw_error_set(err, EPERM,
				    "pin directory %s belongs to uid %u, not to the daemon's user (uid %u): its owner could remove the daemon's pins; "
				    "remove it (rm -r %s) or give it to uid %u (chown %u %s), then start again",
				    path, (unsigned)st.st_uid, (unsigned)me, path, (unsigned)me,
				    (unsigned)me, path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return fw_error_set(err, EPERM,
				    "pin directory %s is writable by its group or by others (mode %04o): they could remove the daemon's pins; "
				    "chmod go-w %s, then start again",
				    path, (unsigned)(st.st_mode & 07777), path);
	return 0;
}

/* check_dir on dir and on every directory below it, depth levels deep. */
static int check_tree(const char *dir, int depth, struct fw_error *err)
{
	char path[FW_PATH_MAX * 2];
	struct dirent *ent;
	int ret = check_dir(dir, err);
	DIR *d;

	if (ret || depth == 0)
		return ret;
	d = opendir(dir);
	if (!d)
		return fw_error_set(err, errno, "reading %s: %s", dir, strerror(errno));
	while (!ret && (ent = readdir(d))) {
		if (ent->d_type != DT_DIR || strcmp(ent->d_name, ".") == 0 ||
		    strcmp(ent->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		ret = check_tree(path, depth - 1, err);
	}
	closedir(d);
	return ret;
}

/* The pid holding a flock on the file fd names, from /proc/locks; 0 if none
 * is found (the holder may be in another pid namespace). */
static int lock_holder(int fd)
{
	unsigned int maj, min;
	unsigned long ino;
	char line[256], kind[16];
	struct stat st;
	int pid, found = 0;
	FILE *f;

	if (fstat(fd, &st) < 0 || !(f = fopen("/proc/locks", "re")))
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 00:2a:5678 0 EOF"; waiters have "->" */
		if (strstr(line, "->") ||
		    sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%lu", kind, &pid, &maj, &min, &ino) != 5)
			continue;
		if (strcmp(kind, "FLOCK") == 0 && maj == major(st.st_dev) &&
		    min == minor(st.st_dev) && ino == st.st_ino)
			found = pid;
	}
	fclose(f);
	return found;
}

/* Takes the pin root's advisory lock. Returns the locked fd, -EAGAIN when
 * the directory was removed before the lock was ours (try again), or another
 * negative errno with err set. */
static int lock_root(const char *root, struct fw_error *err)
{
	struct stat held, now;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return fw_error_set(err, errno, "opening the pin root %s: %s", root, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int saved = errno, pid = saved == EWOULDBLOCK ? lock_holder(fd) : 0;
		char who[32] = "another process";

		close(fd);
		if (saved != EWOULDBLOCK)
			return fw_error_set(err, saved, "locking the pin root %s: %s", root,
					    strerror(saved));
		if (pid)
			snprintf(who, sizeof(who), "pid %d", pid);
		return fw_error_set(err, EBUSY,
				    "pin root %s is in use by %s (a flywall daemon or `flywall ebpf clean`): stop it first, or give this one another --pin-root",
				    root, who);
	}
	/* `ebpf clean` removes the root once done: a lock on the removed
	 * directory protects nothing. */
	if (fstat(fd, &held) < 0 || stat(root, &now) < 0 || held.st_ino != now.st_ino ||
	    held.st_dev != now.st_dev) {
		close(fd);
		return -EAGAIN;
	}
	return fd;
}

int fw_pins_prepare(const char *root, struct fw_error *err)
{
	static const char *const subdirs[] = { "progs", "links", "maps" };
	char path[FW_PATH_MAX];
	int ret, lock_fd = -EAGAIN;

	ret = ensure_bpffs(root, err);
	for (int attempt = 0; !ret && lock_fd == -EAGAIN && attempt < 5; attempt++) {
		ret = make_dir(root, err);
		if (!ret)
			lock_fd = lock_root(root, err);
	}
	if (ret)
		return ret;
	if (lock_fd < 0)
		return lock_fd == -EAGAIN ? fw_error_set(err, EAGAIN, "pin root %s keeps being removed while it is locked", root)
					  : lock_fd;
	ret = check_dir(root, err);
	for (size_t i = 0; !ret && i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, subdirs[i]);
		ret = make_dir(path, err);
	}
	/* maps/<program>/ is the deepest level Flywall creates. */
	if (!ret)
		ret = check_tree(root, 2, err);
	if (ret) {
		close(lock_fd);
		return ret;
	}
	return lock_fd;
}

/* Records are the values of a pinned map: a new field takes bytes of the
 * note, so a state map made by an earlier version stays readable. */
_Static_assert(sizeof(struct fw_pin_record) == 720, "the pin record keeps its size");

int fw_pins_state_open(const char *root, struct fw_error *err)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	char path[FW_PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/state", root);
	fd = bpf_obj_get(path);
	if (fd >= 0)
		return fd;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "flywall_state", FW_NAME_MAX,
			    sizeof(struct fw_pin_record), STATE_MAX_PROGRAMS, &opts);
	if (fd < 0)
		return fw_error_set(err, errno, "creating the state map: %s",
				    strerror(errno));
	if (bpf_obj_pin(fd, path) < 0) {
		int saved = errno;

		close(fd);
		return fw_error_set(err, saved, "pinning %s: %s", path, strerror(saved));
	}
	return fd;
}

static void record_key(const char *name, char key[FW_NAME_MAX])
{
	memset(key, 0, FW_NAME_MAX);
	snprintf(key, FW_NAME_MAX, "%s", name);
}

int fw_pins_record_get(int state_fd, const char *name, struct fw_pin_record *rec)
{
	char key[FW_NAME_MAX];

	record_key(name, key);
	return bpf_map_lookup_elem(state_fd, key, rec) ? -errno : 0;
}

int fw_pins_record_put(int state_fd, const struct fw_pin_record *rec)
{
	char key[FW_NAME_MAX];

	record_key(rec->name, key);
	return bpf_map_update_elem(state_fd, key, rec, BPF_ANY) ? -errno : 0;
}

int fw_pins_record_delete(int state_fd, const char *name)
{
	char key[FW_NAME_MAX];

	record_key(name, key);
	if (bpf_map_delete_elem(state_fd, key) && errno != ENOENT)
		return -errno;
	return 0;
}

int fw_pins_record_foreach(int state_fd,
			   int (*fn)(const struct fw_pin_record *rec, void *ctx),
			   void *ctx)
{
	char key[FW_NAME_MAX], next[FW_NAME_MAX];
	struct fw_pin_record rec;
	void *prev = NULL;
	int ret;

	while (bpf_map_get_next_key(state_fd, prev, next) == 0) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(state_fd, key, &rec))
			continue; /* deleted meanwhile */
		ret = fn(&rec, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int fw_pins_replace(int fd, const char *path)
{
	char tmp[FW_PATH_MAX + 8];
	int ret = 0;

	snprintf(tmp, sizeof(tmp), "%s" FW_PIN_TMP_SUFFIX, path);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	fw_crash_point("pin-replace");
	if (rename(tmp, path)) {
		ret = -errno;
		unlink(tmp);
	}
	return ret;
}

static bool is_tmp_pin(const char *name)
{
	size_t len = strlen(name), suffix = strlen(FW_PIN_TMP_SUFFIX);

	return len > suffix && strcmp(name + len - suffix, FW_PIN_TMP_SUFFIX) == 0;
}

/* The program name a pin belongs to: up to '@' ("NAME@companion"). */
static void pin_owner(const char *entry, char owner[FW_NAME_MAX])
{
	snprintf(owner, FW_NAME_MAX, "%.*s", (int)strcspn(entry, "@"), entry);
}

static int sweep_dir(const char *root, const char *sub, bool (*recorded)(const char *, void *),
		     void *ctx)
{
	char dir[FW_PATH_MAX], path[FW_PATH_MAX * 2], owner[FW_NAME_MAX];
	struct dirent *ent;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.')
			continue;
		pin_owner(ent->d_name, owner);
		if (!is_tmp_pin(ent->d_name) && recorded(owner, ctx))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		if (ent->d_type == DT_DIR ? fw_pins_remove_maps(root, ent->d_name) == 0
					  : unlink(path) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Temporary pins of a map directory (maps/NAME/MAP@new). */
static int sweep_map_tmps(const char *root)
{
	char dir[FW_PATH_MAX], sub[FW_PATH_MAX * 2], path[FW_PATH_MAX * 3];
	struct dirent *ent, *m;
	int n = 0;
	DIR *d, *md;

	snprintf(dir, sizeof(dir), "%s/maps", root);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.' || ent->d_type != DT_DIR)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, ent->d_name);
		md = opendir(sub);
		while (md && (m = readdir(md))) {
			snprintf(path, sizeof(path), "%s/%s", sub, m->d_name);
			if (is_tmp_pin(m->d_name) && unlink(path) == 0)
				n++;
		}
		if (md)
			closedir(md);
	}
	closedir(d);
	return n;
}

int fw_pins_sweep(const char *root, bool (*recorded)(const char *name, void *ctx), void *ctx)
{
	return sweep_dir(root, "links", recorded, ctx) + sweep_dir(root, "progs", recorded, ctx) +
	       sweep_dir(root, "maps", recorded, ctx) + sweep_map_tmps(root);
}

int fw_pins_unlink(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

void fw_pins_for_each_map(const char *root, const char *name,
			  void (*fn)(const char *map, int fd, void *ctx), void *ctx)
{
	char dir[FW_PATH_MAX], path[FW_PATH_MAX * 2];
	struct dirent *ent;
	DIR *d;

	fw_pins_map_dir(root, name, dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((ent = readdir(d))) {
		int fd;

		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		fn(ent->d_name, fd, ctx);
		close(fd);
	}
	closedir(d);
}

int fw_pins_remove_maps(const char *root, const char *name)
{
	char dir[FW_PATH_MAX], path[FW_PATH_MAX * 2];
	struct dirent *ent;
	DIR *d;

	fw_pins_map_dir(root, name, dir);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}
