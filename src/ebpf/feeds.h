/* SPDX-License-Identifier: MIT */
/*
 * Feeds: lists of addresses and CIDRs in files (FireHOL netset, Spamhaus
 * DROP/EDROP, plain lists), parsed with their bad lines reported by number,
 * merged (covered and adjacent prefixes collapsed), and swapped into a
 * ddos_filter's feed_cidrs as a whole (include/flywall/rules.h).
 */
#ifndef FLYWALL_EBPF_FEEDS_H
#define FLYWALL_EBPF_FEEDS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "flywall/rules.h"

#define FW_FEED_ERRORS_KEPT 20

struct fw_feed_prefix {
	uint8_t addr[16];               /* IPv4 as ::ffff:a.b.c.d */
	uint32_t prefixlen;             /* 0..128 (IPv4: 96+N) */
};

struct fw_feed_list {
	struct fw_feed_prefix *prefixes; /* merged */
	size_t n;
	size_t lines;                   /* lines read */
	size_t entries;                 /* addresses and CIDRs accepted, before merging */
	size_t bad;                     /* lines refused */
	struct { size_t line; char text[96]; } errors[FW_FEED_ERRORS_KEPT]; /* the first ones */
};

/*
 * Reads and merges a feed. Comments start with '#' or ';' (Spamhaus:
 * "1.10.16.0/20 ; SBL256894"), anywhere on a line; blank lines are skipped;
 * each other line holds one address or CIDR (host bits are cleared: lists
 * often write 192.0.2.1/24). Fails (-EINVAL, list untouched) when the file
 * cannot be read or more than half of its entry lines are bad: then it is
 * not a list, and the previous version should stay.
 */
int fw_feed_read(const char *path, struct fw_feed_list *out, struct fw_error *err);
void fw_feed_list_free(struct fw_feed_list *l);

struct fw_feed_maps {
	int ctl, cidrs, hits;
};
int fw_feed_maps_open(struct fw_feed_maps *m, const char *root, const char *program,
		      struct fw_error *err);
void fw_feed_maps_close(struct fw_feed_maps *m);

/* Makes lists[i] (NULL: none) the feed with index i, all at once: written
 * into the inactive generation, then feed_ctl flips. */
int fw_feeds_apply(const struct fw_feed_maps *m, const struct fw_feed_list *const *lists,
		   size_t n, struct fw_error *err);
/* Packets the feed with this index dropped (summed over CPUs). */
uint64_t fw_feed_hits(const struct fw_feed_maps *m, uint32_t index);

#endif
