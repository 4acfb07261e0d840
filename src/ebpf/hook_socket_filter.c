// SPDX-License-Identifier: MIT
/*
 * socket_filter blocks: no link; the daemon's packet socket (on one
 * interface, or all) holds the program, and a restarted daemon opens a new
 * one for the adopted program.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ebpf/hooks.h"

int fw_hook_socket_attach(int prog_fd, int ifindex, struct fw_error *err)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (fd < 0)
		return fw_error_set(err, errno, "opening a packet socket: %s", strerror(errno));
	/* Attach before bind: no packet reaches the socket unfiltered. */
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int saved = errno;

		close(fd);
		return fw_error_set(err, saved, "attaching the socket filter: %s", strerror(saved));
	}
	return fd;
}

static int attach(const struct fw_prog_spec *spec, struct fw_object *o,
		  const struct fw_hook_opts *opts, struct fw_attachment *a, struct fw_error *err)
{
	a->sock_fd = fw_hook_socket_attach(a->prog_fd, a->ifindex, err);
	if (a->sock_fd < 0)
		return a->sock_fd;
	a->kind = FW_ATTACH_SOCKET;
	return 0;
}

/* The socket died with the daemon that opened it: an adopted program gets a
 * new one from this daemon. */
static int revive(const struct fw_pin_record *rec, int prog_fd, struct fw_attachment *a,
		  struct fw_error *err)
{
	if (a->sock_fd >= 0)
		return 0;
	a->sock_fd = fw_hook_socket_attach(prog_fd, rec->ifindex, err);
	return a->sock_fd < 0 ? a->sock_fd : 0;
}

static void describe(const struct fw_prog_spec *s, char *out, size_t size)
{
	snprintf(out, size, "sockets%s%s%s%s%s",
		 s->services & FW_SVC_DNS ? " dns" : "",
		 s->services & FW_SVC_DHCP ? " dhcp" : "",
		 s->services ? "" : " (none)",
		 s->interface[0] ? " on " : "", s->interface);
}

/* The number of bytes kept; 0xffffffff (or anything at least the frame's
 * length) keeps the whole frame. */
static const char *verdict_name(uint32_t retval, char *buf, size_t len)
{
	if (retval == 0)
		snprintf(buf, len, "drop");
	else if (retval == UINT32_MAX)
		snprintf(buf, len, "accept all");
	else
		snprintf(buf, len, "accept %u bytes", retval);
	return buf;
}

const struct fw_hook_ops fw_hook_socket_filter = {
	.name = "socket_filter",
	.prog_types = { BPF_PROG_TYPE_SOCKET_FILTER },
	.takes = FW_FIELD_INTERFACE | FW_FIELD_SOCKETS,
	.attach = attach,
	.can_replace = fw_hook_never_replace,
	.replace = fw_hook_link_replace,
	.detach = fw_hook_nothing_to_detach,
	.revive = revive,
	.describe = describe,
	.verdict_name = verdict_name,
	.kinds = { { FW_ATTACH_SOCKET, "packet-socket", false } },
	.probes = { FW_PROBE_ATTACH_SOCKET_FILTER },
	.n_probes = 1,
};
