// SPDX-License-Identifier: MIT
#include "api/request.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/spec.h"

bool fw_api_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= FW_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return !strstr(name, "..");
}

/*
 * An IPv4/IPv6 address or CIDR whose host bits are zero. Checked here so a
 * typo is a 400 naming the bad entry, before anything reaches the map.
 */
bool fw_api_address_valid(const char *text, char *why, size_t why_size)
{
	char addr[INET6_ADDRSTRLEN + 8];
	unsigned char bytes[16];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	int family, max_prefix, prefix;
	char *end;

	if (len == 0 || len >= sizeof(addr)) {
		snprintf(why, why_size, "not an IP address");
		return false;
	}
	memcpy(addr, text, len);
	addr[len] = '\0';
	family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	max_prefix = family == AF_INET6 ? 128 : 32;
	if (inet_pton(family, addr, bytes) != 1) {
		snprintf(why, why_size, "not an %s address", family == AF_INET6 ? "IPv6" : "IPv4");
		return false;
	}
	if (!slash)
		return true;
	errno = 0;
	prefix = isdigit((unsigned char)slash[1]) ? (int)strtol(slash + 1, &end, 10) : -1;
	if (prefix < 0 || errno || *end || prefix > max_prefix) {
		snprintf(why, why_size, "prefix length must be 0 to %d", max_prefix);
		return false;
	}
	for (int bit = prefix; bit < max_prefix; bit++) {
		if (bytes[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(why, why_size, "host bits are set after /%d", prefix);
			return false;
		}
	}
	return true;
}
