// SPDX-License-Identifier: MIT
/*
 * Map migration (src/ebpf/maps.c) against the kernel: the entries of a pinned
 * map survive being copied into a resized one, per-CPU values included.
 *
 * A per-CPU lookup writes one 8-byte-aligned slot per possible CPU, more than
 * value_size x ncpu when value_size is not a multiple of 8. To make an
 * undersized buffer visible rather than a silent heap overflow, the
 * allocations made while migrating end at a PROT_NONE page: the kernel then
 * refuses to write past them (EFAULT) and the migration must still succeed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "bpf_test.h"
#include "ebpf/maps.h"

/* ---- allocations that end at a guard page ---------------------------------- */

extern void *__libc_calloc(size_t n, size_t size);
extern void __libc_free(void *p);

static bool guarded;
static struct { void *ptr, *base; size_t len; } guards[16];

void *calloc(size_t n, size_t size)
{
	size_t total = n * size, page = 4096, len;
	char *base;

	if (!guarded || !total)
		return __libc_calloc(n, size);
	len = (total + page - 1) / page * page + page;
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	mprotect(base + len - page, page, PROT_NONE);
	for (size_t i = 0; i < sizeof(guards) / sizeof(guards[0]); i++)
		if (!guards[i].ptr) {
			guards[i].ptr = base + len - page - total;
			guards[i].base = base;
			guards[i].len = len;
			return guards[i].ptr;
		}
	munmap(base, len);
	return NULL;
}

void free(void *p)
{
	for (size_t i = 0; p && i < sizeof(guards) / sizeof(guards[0]); i++)
		if (guards[i].ptr == p) {
			munmap(guards[i].base, guards[i].len);
			guards[i].ptr = NULL;
			return;
		}
	__libc_free(p);
}

/* ---- the test ---------------------------------------------------------------- */

#define ENTRIES 50

static int possible_cpus;

/* Per-CPU value of entry k on cpu c, value_size bytes of it. */
static void fill(unsigned char *v, __u32 k, int c, __u32 value_size)
{
	for (__u32 i = 0; i < value_size; i++)
		v[i] = (unsigned char)(k * 7 + c * 31 + i + 1);
}

static int make_map(enum bpf_map_type type, __u32 value_size, __u32 max_entries)
{
	int fd = bpf_map_create(type, "migrate_test", 4, value_size, max_entries, NULL);

	assert_true(fd >= 0);
	return fd;
}

static void migrate_and_check(enum bpf_map_type from, enum bpf_map_type to, __u32 value_size)
{
	bool per_cpu = to != BPF_MAP_TYPE_HASH && to != BPF_MAP_TYPE_LRU_HASH;
	int ncpu = per_cpu ? possible_cpus : 1;
	size_t slot = (value_size + 7) / 8 * 8, len = slot * ncpu;
	unsigned char *value = __libc_calloc(1, len), *want = __libc_calloc(1, len);
	/* LRU maps evict before they are full: room to spare on both sides. */
	int old_fd = make_map(from, value_size, 4 * ENTRIES), new_fd = make_map(to, value_size, 256);
	struct fw_error err = {};
	int ret, found = 0;

	for (__u32 k = 0; k < ENTRIES; k++) {
		for (int c = 0; c < ncpu; c++)
			fill(value + c * slot, k, c, value_size);
		assert_int_equal(bpf_map_update_elem(old_fd, &k, value, BPF_ANY), 0);
	}
	guarded = true;
	ret = fw_maps_copy_entries(old_fd, new_fd, "migrate_test", &err);
	guarded = false;
	if (ret)
		fail_msg("migration failed: %s", err.msg);
	for (__u32 k = 0; k < ENTRIES; k++) {
		memset(want, 0, len);
		for (int c = 0; c < ncpu; c++)
			fill(want + c * slot, k, c, value_size);
		memset(value, 0, len);
		if (bpf_map_lookup_elem(new_fd, &k, value) == 0) {
			found++;
			for (int c = 0; c < ncpu; c++)
				assert_memory_equal(value + c * slot, want + c * slot, value_size);
		}
	}
	assert_int_equal(found, ENTRIES);
	close(old_fd);
	close(new_fd);
	__libc_free(value);
	__libc_free(want);
	fw_error_clear(&err);
}

static void test_percpu_hash_odd_value_size(void **state)
{
	migrate_and_check(BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH, 12);
	migrate_and_check(BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH, 4);
}

static void test_lru_percpu_to_percpu(void **state)
{
	migrate_and_check(BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH, 20);
}

static void test_plain_hash(void **state)
{
	migrate_and_check(BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percpu_hash_odd_value_size),
		cmocka_unit_test(test_lru_percpu_to_percpu),
		cmocka_unit_test(test_plain_hash),
	};

	possible_cpus = libbpf_num_possible_cpus();
	return cmocka_run_group_tests_name("map_migrate", tests, NULL, NULL);
}
