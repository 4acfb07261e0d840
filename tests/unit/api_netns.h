/* SPDX-License-Identifier: MIT */
/* For API unit tests that open sockets: keep their traffic off the host. */
#ifndef FLYWALL_TESTS_API_NETNS_H
#define FLYWALL_TESTS_API_NETNS_H

#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* A network namespace of our own with lo up, so no traffic of this test
 * touches the host's namespace. A user namespace makes it work unprivileged. */
static inline int private_loopback(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd;

	if (unshare(CLONE_NEWNET) && unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr)) {
		perror("bringing lo up");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

#endif
