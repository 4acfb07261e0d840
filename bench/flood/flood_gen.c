// SPDX-License-Identifier: MIT
/*
 * flood_gen: a packet generator for bench/flood.sh. It sends 64-byte UDP/IPv4
 * frames out of one end of a veth pair for a given time, as fast as one CPU
 * can: BPF_PROG_TEST_RUN in live-frames mode (BPF_F_TEST_XDP_LIVE_FRAMES)
 * runs bench/bpf/flood_tx.bpf.c, which returns XDP_TX, with a large repeat
 * count, so each frame goes through the driver to the peer as a real frame.
 * (This kernel has no pktgen; socket senders top out near 2 Mpps.) The peer
 * needs an XDP program of its own, or veth discards what XDP_TX sends it.
 *
 *   flood_gen OBJ IFNAME DST_MAC SRC_IP DST_IP SECONDS [SOURCES [udp|syn|ack [PPS]]]
 *
 * SOURCES > 0: every frame gets a random source out of SOURCES consecutive
 * addresses starting at SRC_IP. syn: TCP SYNs to port 9, each from a random
 * source port (a SYN flood to a closed port), instead of UDP. ack: TCP ACKs
 * from port 40000 to port 9: with SOURCES, packets of SOURCES flows.
 * PPS > 0: paced to PPS frames a second, so that every receiver faces the
 * same offered rate however much CPU it leaves the generator; unpaced (0, the
 * default) it sends as fast as it can. A live-frames BPF_PROG_TEST_RUN call
 * costs ~30 ms on this machine whatever its size, mostly waiting (its page
 * pool is set up and torn down), and calls from several threads overlap only
 * up to ~180 a second in all (measured). So PACE_THREADS senders, staggered,
 * each send a batch every PACE_PERIOD_S: a batch every 10 ms in all, each
 * 10 ms worth of the rate. Prints how
 * many frames it sent and the rate achieved, also when stopped by SIGTERM or
 * SIGINT (the receiver counts what arrived: the benchmark trusts it).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_LEN 60            /* 64 on the wire with the FCS */
#define REPEAT_PER_RUN (1u << 18)
#define PACE_THREADS 16
#define PACE_PERIOD_S 0.16      /* per paced sender: 16 x 10 ms */
#define PACE_MIN_BATCH 64       /* BPF_PROG_TEST_RUN's own batch of live frames */

enum { PROTO_UDP, PROTO_SYN, PROTO_ACK };

struct frame {
	struct ethhdr eth;
	struct iphdr ip;
	union {
		struct udphdr udp;
		struct tcphdr tcp;
	};
	uint8_t payload[FRAME_LEN - sizeof(struct ethhdr) - sizeof(struct iphdr) -
			sizeof(struct tcphdr)];
} __attribute__((packed));

/* The TCP checksum over the IPv4 pseudo-header and the segment. */
static uint16_t tcp_checksum(const struct frame *f)
{
	size_t len = FRAME_LEN - sizeof(struct ethhdr) - sizeof(struct iphdr);
	const uint16_t *p = (const void *)((const uint8_t *)f + offsetof(struct frame, tcp));
	uint32_t sum = 0;

	sum += (f->ip.saddr & 0xffff) + (f->ip.saddr >> 16);
	sum += (f->ip.daddr & 0xffff) + (f->ip.daddr >> 16);
	sum += htons(IPPROTO_TCP) + htons((uint16_t)len);
	for (; len > 1; len -= 2)
		sum += *p++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t ip_checksum(const void *hdr, size_t len)
{
	const uint16_t *p = hdr;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int parse_mac(const char *text, uint8_t mac[ETH_ALEN])
{
	return sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
		      &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static int own_mac(const char *ifname, uint8_t mac[ETH_ALEN])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ret = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (ret == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return ret;
}

static void build_frame(struct frame *f, const uint8_t src_mac[ETH_ALEN],
			const uint8_t dst_mac[ETH_ALEN], struct in_addr src, struct in_addr dst,
			int proto)
{
	bool syn = proto == PROTO_SYN, tcp = proto != PROTO_UDP;

	memset(f, 0, sizeof(*f));
	memcpy(f->eth.h_source, src_mac, ETH_ALEN);
	memcpy(f->eth.h_dest, dst_mac, ETH_ALEN);
	f->eth.h_proto = htons(ETH_P_IP);
	f->ip.version = 4;
	f->ip.ihl = 5;
	f->ip.ttl = 64;
	f->ip.protocol = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	f->ip.tot_len = htons(FRAME_LEN - sizeof(struct ethhdr));
	f->ip.saddr = src.s_addr;
	f->ip.daddr = dst.s_addr;
	f->ip.check = ip_checksum(&f->ip, sizeof(f->ip));
	if (tcp) {
		f->tcp.source = htons(40000);
		f->tcp.dest = htons(9);
		f->tcp.seq = htonl(1);
		f->tcp.ack_seq = htonl(syn ? 0 : 1);
		f->tcp.doff = sizeof(struct tcphdr) / 4;
		f->tcp.syn = syn;
		f->tcp.ack = !syn;
		f->tcp.window = htons(64240);
		f->tcp.check = tcp_checksum(f);
		return;
	}
	f->udp.source = htons(40000);
	f->udp.dest = htons(9);         /* discard; closed on the receiver */
	f->udp.len = htons(FRAME_LEN - sizeof(struct ethhdr) - sizeof(struct iphdr));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* Sleeps until `when` (CLOCK_MONOTONIC seconds); returns at once if it is past. */
static void sleep_until(double when)
{
	struct timespec ts = { .tv_sec = (time_t)when };

	ts.tv_nsec = (long)((when - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

/* Frames per BPF_PROG_TEST_RUN call of one sender sending `pps`: as many as
 * the kernel takes unpaced; PACE_PERIOD_S worth paced. */
static uint32_t batch_frames(double pps)
{
	double n = pps * PACE_PERIOD_S;

	if (pps <= 0)
		return REPEAT_PER_RUN;
	return n < PACE_MIN_BATCH ? PACE_MIN_BATCH : n > REPEAT_PER_RUN ? REPEAT_PER_RUN : (uint32_t)n;
}

struct sender {
	int prog_fd;
	unsigned int ifindex;
	const struct frame *frame;
	double pps;             /* this sender's share; 0: unpaced */
	double start, first_due, seconds;
	unsigned long long sent;
	int err;                /* errno of a failed call, else 0 */
};

/* One sender: BPF_PROG_TEST_RUN calls until the time is up or a signal came,
 * each due when the sender's rate says. One that falls behind by more than a
 * period skips what it missed rather than catch up in a burst: the rate
 * printed shows the shortfall. */
static void *send_loop(void *arg)
{
	struct sender *s = arg;
	uint32_t batch = batch_frames(s->pps);
	double due = s->first_due;

	while (!stop && now_s() - s->start < s->seconds) {
		/* ctx.data_end must equal data_size_in, and ingress_ifindex is
		 * the device XDP_TX sends out of */
		struct xdp_md ctx = { .data_end = sizeof(*s->frame), .ingress_ifindex = s->ifindex };
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = s->frame,
			    .data_size_in = sizeof(*s->frame), .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = batch,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		if (s->pps > 0) {
			if (now_s() > due + PACE_PERIOD_S)
				due = now_s();
			sleep_until(due);
			due += batch / s->pps;
			if (stop)
				break;
		}
		if (bpf_prog_test_run_opts(s->prog_fd, &opts)) {
			if (errno != EINTR || !stop)
				s->err = errno;
			break;
		}
		s->sent += batch;
	}
	return NULL;
}

/* Loads flood_tx with its rodata set; returns the program fd or -1. */
static int load_tx(const char *path, uint32_t n_sources, uint32_t first_source, int proto,
		   struct bpf_object **objp)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *rodata;
	/* flood_tx's `cfg`, its only rodata: n_sources, first_source, tcp, random_port */
	uint32_t values[4] = { n_sources, first_source, proto != PROTO_UDP, proto == PROTO_SYN };

	if (!obj) {
		fprintf(stderr, "flood_gen: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	prog = bpf_object__find_program_by_name(obj, "flood_tx");
	if (!rodata || !prog || bpf_map__set_initial_value(rodata, values, sizeof(values)) ||
	    bpf_object__load(obj)) {
		fprintf(stderr, "flood_gen: cannot load flood_tx from %s\n", path);
		bpf_object__close(obj);
		return -1;
	}
	*objp = obj;
	return bpf_program__fd(prog);
}

int main(int argc, char **argv)
{
	uint8_t src_mac[ETH_ALEN], dst_mac[ETH_ALEN];
	struct in_addr src, dst;
	struct bpf_object *obj = NULL;
	struct frame frame;
	unsigned long long sent = 0;
	uint32_t n_sources = 0;
	unsigned int ifindex;
	struct sender senders[PACE_THREADS];
	pthread_t threads[PACE_THREADS];
	double seconds, start, elapsed, pps = 0;
	int prog_fd, n_senders, i, err = 0;
	char *end = NULL;

	int proto = PROTO_UDP;

	if (argc >= 9 && strcmp(argv[8], "syn") == 0)
		proto = PROTO_SYN;
	else if (argc >= 9 && strcmp(argv[8], "ack") == 0)
		proto = PROTO_ACK;
	if (argc == 10)
		pps = strtod(argv[9], &end);
	if (argc < 7 || argc > 10 || (argc >= 9 && proto == PROTO_UDP && strcmp(argv[8], "udp")) ||
	    (argc == 10 && (end == argv[9] || *end || pps < 0))) {
		fprintf(stderr, "usage: %s OBJ IFNAME DST_MAC SRC_IP DST_IP SECONDS "
			"[SOURCES [udp|syn|ack [PPS]]]\n", argv[0]);
		return 2;
	}
	ifindex = if_nametoindex(argv[2]);
	seconds = atof(argv[6]);
	if (argc >= 8)
		n_sources = (uint32_t)strtoul(argv[7], NULL, 10);
	if (!ifindex || own_mac(argv[2], src_mac)) {
		fprintf(stderr, "flood_gen: no interface %s here\n", argv[2]);
		return 1;
	}
	if (parse_mac(argv[3], dst_mac) || !inet_aton(argv[4], &src) || !inet_aton(argv[5], &dst) ||
	    seconds <= 0) {
		fprintf(stderr, "flood_gen: bad MAC '%s', address '%s'/'%s' or time '%s'\n",
			argv[3], argv[4], argv[5], argv[6]);
		return 2;
	}
	prog_fd = load_tx(argv[1], n_sources, ntohl(src.s_addr), proto, &obj);
	if (prog_fd < 0)
		return 1;
	build_frame(&frame, src_mac, dst_mac, src, dst, proto);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);

	n_senders = pps > 0 ? PACE_THREADS : 1;
	start = now_s();
	for (i = 0; i < n_senders; i++) {
		senders[i] = (struct sender){ .prog_fd = prog_fd, .ifindex = ifindex,
			.frame = &frame, .pps = pps / n_senders, .start = start,
			.first_due = start + PACE_PERIOD_S * i / n_senders, .seconds = seconds };
		if (pthread_create(&threads[i], NULL, send_loop, &senders[i])) {
			fprintf(stderr, "flood_gen: cannot start a sender\n");
			stop = 1;
			n_senders = i;
			break;
		}
	}
	for (i = 0; i < n_senders; i++) {
		pthread_join(threads[i], NULL);
		sent += senders[i].sent;
		if (senders[i].err && !err)
			err = senders[i].err;
	}
	elapsed = now_s() - start;
	if (err) {
		fprintf(stderr, "flood_gen: BPF_PROG_TEST_RUN (live frames) on %s: %s\n",
			argv[2], strerror(err));
		bpf_object__close(obj);
		return 1;
	}
	printf("sent %llu frames in %.2f s: %.3f Mpps", sent, elapsed, sent / elapsed / 1e6);
	if (pps > 0)
		printf(" (paced to %.3f Mpps by %d senders, %u frames a batch each)", pps / 1e6,
		       n_senders, batch_frames(pps / n_senders));
	printf("\n");
	bpf_object__close(obj);
	return 0;
}
