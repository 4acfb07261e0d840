// SPDX-License-Identifier: MIT
#include "api/host_check.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "api/listen_address.h"

static bool port_valid(const char *p)
{
	size_t n = strspn(p, "0123456789");

	return n >= 1 && n <= 5 && !p[n];
}

/* "[v6]" or "[v6]:port". */
static bool ipv6_literal(const char *host)
{
	const char *end = strchr(host, ']');
	char addr[INET6_ADDRSTRLEN + 16];
	struct in6_addr in6;
	size_t len;

	if (!end)
		return false;
	len = end - host - 1;
	if (len >= sizeof(addr))
		return false;
	memcpy(addr, host + 1, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET6, addr, &in6) != 1)
		return false;
	return !end[1] || (end[1] == ':' && port_valid(end + 2));
}

static bool name_listed(const struct fw_api_config *cfg, const char *name)
{
	char listen_host[128];
	uint16_t port;

	if (!strcasecmp(name, "localhost"))
		return true;
	if (fw_api_listen_parse(cfg->listen, listen_host, sizeof(listen_host), &port, NULL) == 0 &&
	    !strcasecmp(name, listen_host))
		return true;
	for (size_t i = 0; i < cfg->n_allowed_hosts; i++)
		if (!strcasecmp(name, cfg->allowed_hosts[i]))
			return true;
	return false;
}

bool fw_api_host_allowed(const struct fw_api_config *cfg, const char *host)
{
	char name[FW_API_HOST_MAX];
	const char *colon;
	struct in_addr in4;
	size_t len;

	if (!host)
		return true;
	if (host[0] == '[')
		return ipv6_literal(host);
	colon = strchr(host, ':');
	if (colon && !port_valid(colon + 1))
		return false;
	len = colon ? (size_t)(colon - host) : strlen(host);
	if (!len || len >= sizeof(name))
		return false;
	memcpy(name, host, len);
	name[len] = '\0';
	return inet_pton(AF_INET, name, &in4) == 1 || name_listed(cfg, name);
}
