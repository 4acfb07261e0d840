// SPDX-License-Identifier: MIT
/*
 * The shaper's globals: once a tc egress block's queuing is set up
 * (`shaping`, src/ebpf/shaping.c), an object that declares mode, classid,
 * rate_bps and burst_bytes in .data/.bss learns the mode it runs in, before
 * it is attached: packets it steers must find their class already there.
 */
#include "daemon/program_ext.h"
#include "ebpf/args.h"
#include "ebpf/shaping.h"

static bool matches(struct bpf_object *obj)
{
	struct fw_shaping none = {};
	struct fw_arg args[FW_SHAPING_N_ARGS];

	fw_shaping_program_args(&none, "", args);
	for (int i = 0; i < FW_SHAPING_N_ARGS; i++)
		if (!fw_args_has_global(obj, args[i].name))
			return false;
	return true;
}

static int apply(struct fw_ext_step *s, struct fw_error *err)
{
	struct fw_arg args[FW_SHAPING_N_ARGS];

	if (!s->shaping_mode[0])
		return 0;
	fw_shaping_program_args(&s->spec->shaping, s->shaping_mode, args);
	s->shaping_taken = true;
	return fw_args_update_running(bpf_program__fd(s->obj->prog), args, FW_SHAPING_N_ARGS,
				      err);
}

const struct fw_program_ext fw_ext_shaper = {
	.name = "shaper",
	.matches = matches,
	.apply = apply,
};
