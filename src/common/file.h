/* SPDX-License-Identifier: MIT */
/*
 * Replacing a file in one step: the new content goes to a temporary file in
 * the same directory, which is renamed over the path only once complete, so
 * a reader (or a crash) sees the old file or the new one, never a part.
 */
#ifndef FLYWALL_COMMON_FILE_H
#define FLYWALL_COMMON_FILE_H

#include <stddef.h>

/* Writes the content: 0 or a negative errno. */
typedef int (*fw_file_fill_fn)(int fd, void *ctx);

/* Creates a temporary file next to path (mode 0644 less the umask), lets
 * fill write it, then renames it over path. On any failure path is
 * untouched and the temporary file removed. 0 or a negative errno. */
int fw_file_replace(const char *path, fw_file_fill_fn fill, void *ctx);
/* fw_file_replace with len bytes of data. */
int fw_file_replace_data(const char *path, const void *data, size_t len);
/* fw_file_replace with a copy of the file from. */
int fw_file_replace_copy(const char *path, const char *from);

#endif
