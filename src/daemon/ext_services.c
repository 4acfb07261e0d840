// SPDX-License-Identifier: MIT
/*
 * A socket filter's services: an object that declares
 * `const volatile __u32 flywall_services` learns the block's `sockets` as
 * bits (dns = 1, dhcp = 2) before it loads (docs/configuration.md).
 */
#include "daemon/program_ext.h"
#include "ebpf/args.h"

#define SERVICES_GLOBAL "flywall_services"

static bool matches(struct bpf_object *obj)
{
	return fw_args_has_global(obj, SERVICES_GLOBAL);
}

static int before_load(struct bpf_object *obj, const struct fw_prog_spec *spec,
		       struct fw_error *err)
{
	struct fw_arg arg = { .name = SERVICES_GLOBAL, .kind = FW_ARG_INT, .i = spec->services };

	/* `sockets` is a socket_filter block's: other blocks keep the default. */
	if (spec->hook != FW_HOOK_SOCKET_FILTER)
		return 0;
	return fw_args_apply(obj, &arg, 1, err);
}

const struct fw_program_ext fw_ext_services = {
	.name = "services",
	.matches = matches,
	.before_load = before_load,
};
