// SPDX-License-Identifier: MIT
#include "api/listen_address.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/ebpf_config.h"

const char *fw_api_listen_unix_path(const char *listen)
{
	size_t n = strlen(FW_API_UNIX_PREFIX);

	return strncmp(listen, FW_API_UNIX_PREFIX, n) == 0 ? listen + n : NULL;
}

int fw_api_listen_parse(const char *listen, char *host, size_t host_size,
			uint16_t *port, struct fw_error *err)
{
	const char *colon, *start = listen, *end;
	unsigned long value;
	char *tail;

	if (listen[0] == '[') {
		start = listen + 1;
		end = strchr(start, ']');
		colon = end && end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(listen, ':');
		end = colon;
	}
	if (!colon || end == start || (size_t)(end - start) >= host_size || !colon[1])
		goto bad;
	errno = 0;
	value = strtoul(colon + 1, &tail, 10);
	if (errno || *tail || value > 65535)
		goto bad;
	memcpy(host, start, end - start);
	host[end - start] = '\0';
	*port = (uint16_t)value;
	return 0;
bad:
	return fw_error_set(err, EINVAL, "api listen \"%s\": expected \"HOST:PORT\" such as "
			    "\"127.0.0.1:8080\" or \"[::1]:8080\"", listen);
}
