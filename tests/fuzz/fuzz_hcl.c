// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the configuration loader: HCL parsing, validation,
 * error rendering and the JSON view. `make fuzz`, then e.g.
 *   build/fuzz/fuzz_hcl -dict=tests/fuzz/hcl.dict examples/snippets
 * (the corpus directory is only read; pass a writable one first to keep finds).
 */
#include <stdint.h>
#include <stdlib.h>

#include "config/ebpf_config.h"
#include "config/hcl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hcl_diags diags;
	struct fw_config cfg;
	char *text;

	hcl_diags_init(&diags, "fuzz.hcl", (const char *)data, size);
	if (fw_config_load_diags("/etc/flywall/fuzz.hcl", (const char *)data, size, &cfg, &diags) == 0) {
		json_decref(fw_config_to_json(&cfg));
		fw_config_release(&cfg);
	}
	text = hcl_diags_render(&diags);
	free(text);
	hcl_diags_release(&diags);
	return 0;
}
