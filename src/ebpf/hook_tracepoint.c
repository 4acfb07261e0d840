// SPDX-License-Identifier: MIT
/*
 * tracepoint blocks: tracepoint/CAT/NAME (or tp/) programs attach to the
 * block's "CAT:NAME"; raw_tp/NAME and tp_btf/NAME attach by their section.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/hooks.h"

static bool accepts(const struct bpf_program *p)
{
	return bpf_program__type(p) != BPF_PROG_TYPE_TRACING ||
	       bpf_program__expected_attach_type(p) == BPF_TRACE_RAW_TP;
}

/* What a section names, as a block writes it: "tracepoint/net/x" and
 * "tp/net/x" -> "net:x"; "raw_tp/x", "tp_btf/x" -> "x" (no category). */
static bool section_tracepoint(const char *sec, char *out, size_t size)
{
	const char *target = fw_section_target(sec);
	char *sep;

	if (!target || (size_t)snprintf(out, size, "%s", target) >= size)
		return false;
	sep = strchr(out, '/');
	if (sep)
		*sep = ':';
	return true;
}

static void target_from_section(const char *sec, struct fw_prog_spec *spec)
{
	char tp[sizeof(spec->tracepoint)];

	if (!spec->tracepoint[0] && (!strncmp(sec, "tracepoint/", 11) || !strncmp(sec, "tp/", 3)) &&
	    section_tracepoint(sec, tp, sizeof(tp)) && strchr(tp, ':'))
		snprintf(spec->tracepoint, sizeof(spec->tracepoint), "%s", tp);
}

/* The whole "cat:name", or the name alone for sections without a category. */
static bool section_matches(const struct fw_prog_spec *spec, const struct bpf_program *p)
{
	const char *name = strchr(spec->tracepoint, ':');
	char tp[sizeof(spec->tracepoint)];

	if (!section_tracepoint(bpf_program__section_name(p), tp, sizeof(tp)))
		return false;
	return strcmp(tp, spec->tracepoint) == 0 ||
	       (!strchr(tp, ':') && strcmp(tp, name ? name + 1 : spec->tracepoint) == 0);
}

static struct bpf_link *attach_prog(struct bpf_program *prog, const char *tp)
{
	char category[128], *name;

	if (bpf_program__type(prog) != BPF_PROG_TYPE_TRACEPOINT || !*tp)
		return bpf_program__attach(prog); /* raw_tp/NAME, tp_btf/NAME */
	snprintf(category, sizeof(category), "%s", tp);
	name = strchr(category, ':');
	if (!name) {
		errno = EINVAL;
		return NULL;
	}
	*name++ = '\0';
	return bpf_program__attach_tracepoint(prog, category, name);
}

static int attach(const struct fw_prog_spec *spec, struct fw_object *o,
		  const struct fw_hook_opts *opts, struct fw_attachment *a, struct fw_error *err)
{
	int ret = fw_hook_take_link(a, attach_prog(o->prog, spec->tracepoint),
				    FW_ATTACH_TRACEPOINT);

	if (ret)
		return fw_error_set(err, ret, "program %s: attaching to tracepoint %s: %s",
				    spec->name, spec->tracepoint, strerror(-ret));
	return 0;
}

static void describe(const struct fw_prog_spec *s, char *out, size_t size)
{
	snprintf(out, size, "%s", s->tracepoint);
}

const struct fw_hook_ops fw_hook_tracepoint = {
	.name = "tracepoint",
	.prog_types = { BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT,
			BPF_PROG_TYPE_TRACING },
	.accepts = accepts,
	.takes = FW_FIELD_TRACEPOINT,
	.requires = FW_FIELD_TRACEPOINT,
	.target_from_section = target_from_section,
	.section_matches = section_matches,
	.attach = attach,
	.can_replace = fw_hook_never_replace,
	.replace = fw_hook_link_replace,
	.detach = fw_hook_nothing_to_detach,
	.describe = describe,
	.kinds = { { FW_ATTACH_TRACEPOINT, "tracepoint", true } },
	.probes = { FW_PROBE_ATTACH_TRACEPOINT, FW_PROBE_ATTACH_RAW_TRACEPOINT,
		    FW_PROBE_ATTACH_TP_BTF },
	.n_probes = 3,
};
