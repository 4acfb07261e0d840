// SPDX-License-Identifier: MIT
#include "api/auth.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

#define TOKEN_RANDOM_BYTES 32

/* Token files hold one line; surrounding whitespace is not part of it. */
static void trim(char *s)
{
	size_t len = strlen(s), start = 0;

	while (len && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	while (isspace((unsigned char)s[start]))
		start++;
	memmove(s, s + start, len - start + 1);
}

/* Reads the one-line token from an open file. */
static int token_read_fd(int fd, const char *path, char *token, size_t size,
			 struct fw_error *err)
{
	ssize_t n = read(fd, token, size - 1);

	if (n < 0)
		return fw_error_set(err, errno, "cannot read the API token file %s: %s",
				    path, strerror(errno));
	token[n] = '\0';
	trim(token);
	if (!token[0] || strpbrk(token, " \t\r\n"))
		return fw_error_set(err, EINVAL, "API token file %s must hold one token "
				    "on one line (delete it to have a new one generated)", path);
	return 0;
}

int fw_api_token_read(const char *path, char *token, size_t size, struct fw_error *err)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fw_error_set(err, errno, "cannot read the API token file %s: %s",
				    path, strerror(errno));
	ret = token_read_fd(fd, path, token, size, err);
	close(fd);
	return ret;
}

/* The daemon's token: whoever else can read the file can do what the token
 * allows, and whoever else owns it can change it or its mode later. */
static int token_file_private(int fd, const char *path, struct fw_error *err)
{
	struct stat st;

	if (fstat(fd, &st))
		return fw_error_set(err, errno, "cannot stat the API token file %s: %s",
				    path, strerror(errno));
	if (st.st_uid != geteuid())
		return fw_error_set(err, EPERM, "API token file %s is owned by uid %u, not by "
				    "the daemon's user (uid %u); fix it with 'chown %u %s' (or "
				    "delete it to have a new one generated)", path,
				    (unsigned int)st.st_uid, (unsigned int)geteuid(),
				    (unsigned int)geteuid(), path);
	if (st.st_mode & 0077)
		return fw_error_set(err, EPERM, "API token file %s is open to other users "
				    "(mode %04o); fix it with 'chmod 600 %s'", path,
				    (unsigned int)(st.st_mode & 07777), path);
	return 0;
}

static int token_read_private(const char *path, char *token, size_t size,
			      struct fw_error *err)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fw_error_set(err, errno, "cannot read the API token file %s: %s",
				    path, strerror(errno));
	ret = token_file_private(fd, path, err);
	if (!ret)
		ret = token_read_fd(fd, path, token, size, err);
	close(fd);
	return ret;
}

static int token_generate(char *token, size_t size)
{
	unsigned char raw[TOKEN_RANDOM_BYTES];

	if (size < 2 * sizeof(raw) + 1)
		return -ENOBUFS;
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return -errno;
	for (size_t i = 0; i < sizeof(raw); i++)
		sprintf(token + 2 * i, "%02x", raw[i]);
	return 0;
}

/* O_EXCL: if two daemons race, one writes and the other reads its token. */
static int token_create(const char *path, char *token, size_t size, struct fw_error *err)
{
	size_t len;
	int fd, ret;

	ret = token_generate(token, size);
	if (ret)
		return fw_error_set(err, ret, "cannot generate an API token: %s", strerror(-ret));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		return token_read_private(path, token, size, err);
	if (fd < 0)
		return fw_error_set(err, errno, "cannot create the API token file %s: %s "
				    "(set api { token_file } to a writable place)", path,
				    strerror(errno));
	len = strlen(token);
	if (write(fd, token, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		ret = errno ? errno : EIO;
		close(fd);
		unlink(path);
		return fw_error_set(err, ret, "cannot write the API token file %s: %s",
				    path, strerror(ret));
	}
	close(fd);
	fw_info("generated a new API token in %s", path);
	return 0;
}

int fw_api_token_load(const char *path, char *token, size_t size, struct fw_error *err)
{
	if (access(path, F_OK) == 0)
		return token_read_private(path, token, size, err);
	return token_create(path, token, size, err);
}

/* Compares every byte whatever the first difference, so the time taken
 * says nothing about how much of a guess was right. */
static bool equal_constant_time(const char *a, size_t a_len, const char *b, size_t b_len)
{
	unsigned char diff = a_len != b_len;
	size_t n = a_len;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)(i < b_len ? b[i] : 0);
	return diff == 0;
}

enum fw_auth_result fw_api_auth_check(const char *expected, const char *authorization)
{
	static const char scheme[] = "Bearer ";
	const char *given;
	size_t len;

	if (!authorization || strncasecmp(authorization, scheme, sizeof(scheme) - 1))
		return FW_AUTH_MISSING;
	given = authorization + sizeof(scheme) - 1;
	while (*given == ' ')
		given++;
	len = strlen(given);
	while (len && given[len - 1] == ' ')
		len--;
	if (!len)
		return FW_AUTH_MISSING;
	return equal_constant_time(expected, strlen(expected), given, len) ?
	       FW_AUTH_OK : FW_AUTH_WRONG;
}
