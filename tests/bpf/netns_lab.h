/* SPDX-License-Identifier: MIT */
/*
 * The lab of scripts/lab.sh, from C, for BPF tests that need real traffic:
 * two network namespaces ("fw" 10.77.0.1, "peer" 10.77.0.2) joined by a veth
 * pair whose ends are both called eth0. IPv6 is off and neighbours are static,
 * so the only packets on the link are the ones a test sends. Nothing gets an
 * address in the root namespace; lab_down removes everything (also at exit).
 */
#ifndef FLYWALL_TESTS_NETNS_LAB_H
#define FLYWALL_TESTS_NETNS_LAB_H

#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAB_FW_IP "10.77.0.1"
#define LAB_PEER_IP "10.77.0.2"
#define LAB_FW_MAC "02:77:00:00:00:01"
#define LAB_PEER_MAC "02:77:00:00:00:02"

struct lab {
	char fw[48];
	char peer[48];
	bool up;
};

static struct lab *lab_at_exit;

static inline int lab_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int lab_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "# failed: %s\n", cmd);
		return -1;
	}
	return 0;
}

static inline void lab_down(struct lab *lab)
{
	if (!lab->up)
		return;
	lab_sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; true", lab->fw,
	       lab->peer);
	lab->up = false;
}

static inline void lab_down_at_exit(void)
{
	if (lab_at_exit)
		lab_down(lab_at_exit);
}

/* Disables IPv6 (before the link exists, so it never sends a packet). */
static inline int lab_ns_add(const char *ns)
{
	return lab_sh("ip netns add %s && ip netns exec %s sh -c "
		      "'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 && "
		      "sysctl -qw net.ipv6.conf.default.disable_ipv6=1' && "
		      "ip -n %s link set lo up", ns, ns, ns);
}

static inline int lab_up(struct lab *lab, const char *tag)
{
	snprintf(lab->fw, sizeof(lab->fw), "fw-%s-%d-host", tag, getpid());
	snprintf(lab->peer, sizeof(lab->peer), "fw-%s-%d-peer", tag, getpid());
	lab->up = true;
	lab_at_exit = lab;
	atexit(lab_down_at_exit);
	if (lab_ns_add(lab->fw) || lab_ns_add(lab->peer) ||
	    lab_sh("ip -n %s link add eth0 address %s type veth peer name eth0 address %s "
		   "netns %s", lab->fw, LAB_FW_MAC, LAB_PEER_MAC, lab->peer) ||
	    lab_sh("ip -n %s addr add %s/24 dev eth0 && ip -n %s link set eth0 up && "
		   "ip -n %s neigh add %s lladdr %s dev eth0 nud permanent", lab->fw, LAB_FW_IP,
		   lab->fw, lab->fw, LAB_PEER_IP, LAB_PEER_MAC) ||
	    lab_sh("ip -n %s addr add %s/24 dev eth0 && ip -n %s link set eth0 up && "
		   "ip -n %s neigh add %s lladdr %s dev eth0 nud permanent", lab->peer,
		   LAB_PEER_IP, lab->peer, lab->peer, LAB_FW_IP, LAB_FW_MAC)) {
		lab_down(lab);
		return -1;
	}
	return 0;
}

/* The inode that identifies a namespace (what net_trace keys on), 0 on error. */
static inline unsigned long lab_netns_ino(const char *ns)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	return stat(path, &st) ? 0 : st.st_ino;
}

/* ifindex of a device in a namespace, from `ip -j`; 0 on error. */
static inline int lab_ifindex(const char *ns, const char *dev)
{
	char cmd[256];
	json_error_t jerr;
	json_t *links;
	FILE *p;
	int ifindex = 0;

	snprintf(cmd, sizeof(cmd), "ip -n %s -j link show dev %s", ns, dev);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	links = json_loadf(p, 0, &jerr);
	pclose(p);
	if (links)
		ifindex = json_integer_value(json_object_get(json_array_get(links, 0), "ifindex"));
	json_decref(links);
	return ifindex;
}

/* Moves the calling thread into the namespace; 0 or -1. */
static inline int lab_enter(const char *ns)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

#endif
