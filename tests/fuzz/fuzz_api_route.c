// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the API router: method, path, query and body straight
 * from the fuzzer into fw_api_route with the unit tests' fake backend. Input:
 * "METHOD PATH\nQUERY-VALUE\nBODY". `make fuzz`, then
 * build/fuzz/fuzz_api_route -max_total_time=60.
 */
#include <stdint.h>

#include "../unit/api_fake_backend.h"

static char *take_line(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t len = nl ? (size_t)(nl - *data) : *size;
	char *line = strndup((const char *)*data, len);

	*data += nl ? len + 1 : len;
	*size -= nl ? len + 1 : len;
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fw_api_context ctx = { .backend = &fake_backend,
						   .token = FAKE_TOKEN };
	char *head = take_line(&data, &size), *value = take_line(&data, &size);
	char *space = strchr(head, ' ');
	struct fake_query q = { { "offset", "limit", "program", "since" },
				{ value, value, value, value } };
	struct fw_api_request req = {
		.method = head,
		.path = space ? space + 1 : "/",
		.authorization = "Bearer " FAKE_TOKEN,
		.body = (const char *)data,
		.body_len = size,
		.query = fake_query_lookup,
		.query_ctx = &q,
	};
	struct fw_api_response resp;

	if (space)
		*space = '\0';
	fake_reset();
	fw_api_route(&ctx, &req, &resp);
	if (resp.status < 200 || resp.status > 599 || (!resp.json && !resp.text && !resp.sse))
		__builtin_trap();
	fw_api_response_release(&resp);
	free(head);
	free(value);
	return 0;
}
