// SPDX-License-Identifier: MIT
#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

/* A name next to path that no other process or call uses. */
static void temp_path(char *buf, size_t size, const char *path)
{
	static unsigned int counter;

	snprintf(buf, size, "%s.tmp.%d.%u", path,
		 getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
}

int fw_file_replace(const char *path, fw_file_fill_fn fill, void *ctx)
{
	char tmp[PATH_MAX + 32];
	int fd, ret;

	temp_path(tmp, sizeof(tmp), path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = fill(fd, ctx);
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

struct data {
	const void *p;
	size_t len;
};

static int fill_data(int fd, void *ctx)
{
	const struct data *d = ctx;

	return write_all(fd, d->p, d->len);
}

int fw_file_replace_data(const char *path, const void *data, size_t len)
{
	struct data d = { data, len };

	return fw_file_replace(path, fill_data, &d);
}

static int fill_copy(int out, void *ctx)
{
	char buf[65536];
	ssize_t n;
	int in = open(ctx, O_RDONLY | O_CLOEXEC), ret = 0;

	if (in < 0)
		return -errno;
	while (!ret && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		ret = n < 0 ? -errno : write_all(out, buf, n);
	}
	close(in);
	return ret;
}

int fw_file_replace_copy(const char *path, const char *from)
{
	return fw_file_replace(path, fill_copy, (void *)from);
}
