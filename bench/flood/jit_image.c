// SPDX-License-Identifier: MIT
/*
 * jit_image: writes the JITed machine code of a loaded program to a file, for
 * objdump (`bpftool prog dump jited` needs a bpftool built with libbfd, which
 * Debian's is not), and prints the kernel address it starts at (programs of
 * the same code share a name in /proc/kallsyms). bench/flood/profile.sh maps
 * perf samples onto it.
 *
 *   jit_image PROG_ID OUT.bin
 */
#include <bpf/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), size;
	__u64 start = 0;
	void *image;
	FILE *out;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: jit_image PROG_ID OUT.bin\n");
		return 2;
	}
	fd = bpf_prog_get_fd_by_id(atoi(argv[1]));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		perror("program info");
		return 1;
	}
	size = info.jited_prog_len;
	image = malloc(size ? size : 1);
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = size;
	info.jited_prog_insns = (__u64)(unsigned long)image;
	info.nr_jited_ksyms = 1;        /* the main program's; no subprograms here */
	info.jited_ksyms = (__u64)(unsigned long)&start;
	len = sizeof(info);
	if (!image || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		perror("program image");
		return 1;
	}
	out = fopen(argv[2], "wb");
	if (!out || fwrite(image, 1, size, out) != size || fclose(out)) {
		perror(argv[2]);
		return 1;
	}
	printf("%llx\n", (unsigned long long)start);
	close(fd);
	free(image);
	return 0;
}
