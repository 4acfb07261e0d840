// SPDX-License-Identifier: MIT
/*
 * ct_fill: puts N established TCP flows into ingress_filter's `conntrack`
 * map (pinned), for bench/flood.sh's "100k established flows" case: flow i
 * goes from FIRST_SRC + i, port 40000, to DST, port 9, as flood_gen's `ack`
 * frames do; the remote side opened it.
 *
 *   ct_fill MAP_PIN FIRST_SRC N DST
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flywall/conntrack.h"

static void mapped(uint32_t addr_be, uint8_t out[16])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, &addr_be, 4);
}

int main(int argc, char **argv)
{
	struct in_addr first, dst;
	struct timespec ts;
	uint8_t src16[16], dst16[16];
	unsigned long n;
	int fd;

	if (argc != 5 || !inet_aton(argv[2], &first) || !inet_aton(argv[4], &dst)) {
		fprintf(stderr, "usage: %s MAP_PIN FIRST_SRC N DST\n", argv[0]);
		return 2;
	}
	n = strtoul(argv[3], NULL, 10);
	fd = bpf_obj_get(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "ct_fill: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	mapped(dst.s_addr, dst16);
	for (unsigned long i = 0; i < n; i++) {
		struct fw_ct_key key = { .proto = IPPROTO_TCP };
		struct fw_ct_entry e = {
			.last_seen_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec,
			.state = FW_CT_ESTABLISHED,
		};
		bool src_lo;

		mapped(htonl(ntohl(first.s_addr) + i), src16);
		/* the endpoint whose (address, port) compares lower is lo */
		src_lo = memcmp(src16, dst16, 16) < 0;
		memcpy(key.lo_addr, src_lo ? src16 : dst16, 16);
		memcpy(key.hi_addr, src_lo ? dst16 : src16, 16);
		key.lo_port = src_lo ? 40000 : 9;
		key.hi_port = src_lo ? 9 : 40000;
		e.initiator = src_lo ? FW_CT_SIDE_LO : FW_CT_SIDE_HI;
		if (bpf_map_update_elem(fd, &key, &e, BPF_ANY)) {
			fprintf(stderr, "ct_fill: flow %lu: %s\n", i, strerror(errno));
			return 1;
		}
	}
	return 0;
}
