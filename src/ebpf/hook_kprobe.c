// SPDX-License-Identifier: MIT
/*
 * kprobe blocks: kprobe/FUNCTION, then fentry/FUNCTION (loaded on its own),
 * then any tracepoint-like program of the object as a stand-in; each step
 * that fails is noted. Kernels without kprobes are common (KERNEL-FACTS.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/hooks.h"

static bool names_function(const char *sec, const char *function)
{
	const char *target = fw_section_target(sec);

	return target && strcmp(target, function) == 0;
}

static void target_from_section(const char *sec, struct fw_prog_spec *spec)
{
	if (!spec->function[0] && !strncmp(sec, "kprobe/", 7) && fw_section_target(sec))
		snprintf(spec->function, sizeof(spec->function), "%s", fw_section_target(sec));
}

static bool section_matches(const struct fw_prog_spec *spec, const struct bpf_program *p)
{
	return names_function(bpf_program__section_name(p), spec->function);
}

static bool is_fentry(const struct bpf_program *p)
{
	return bpf_program__type(p) == BPF_PROG_TYPE_TRACING &&
	       bpf_program__expected_attach_type(p) == BPF_TRACE_FENTRY;
}

/* The other forms: fentry on the same function, and a stand-in (any
 * tracepoint-like program in the object). */
static void choose_forms(struct bpf_object *obj, const struct fw_prog_spec *spec,
			 struct fw_object *o)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj) {
		if (!o->fentry && is_fentry(p) &&
		    names_function(bpf_program__section_name(p), spec->function))
			o->fentry = p;
		else if (!o->standin && fw_hook_accepts(FW_HOOK_TRACEPOINT, p))
			o->standin = p;
	}
}

static int try_kprobe(const struct fw_prog_spec *spec, struct fw_object *o,
		      struct fw_attachment *a)
{
	int ret = fw_hook_take_link(a, bpf_program__attach_kprobe(o->prog, false, spec->function),
				    FW_ATTACH_KPROBE);

	if (ret)
		fw_hook_note(a, "kprobe failed (%s)", strerror(-ret));
	return ret;
}

/* fentry is loaded on its own: on kernels without it, its load fails, and a
 * failing program would have aborted the whole object's load. */
static int try_fentry(const struct fw_prog_spec *spec, struct fw_object *o,
		      struct fw_attachment *a)
{
	struct fw_error ferr = {};
	struct fw_object *f;
	int ret;

	if (!o->fentry) {
		fw_hook_note(a, "fentry skipped (the object has no fentry/%s program)",
			     spec->function);
		return -ENOENT;
	}
	ret = fw_object_load_alone(spec, o, bpf_program__name(o->fentry), &f, &ferr);
	if (!ret) {
		ret = fw_hook_take_link(a, bpf_program__attach_trace(f->prog), FW_ATTACH_FENTRY);
		if (!ret) {
			a->extra = f;
			a->prog_fd = bpf_program__fd(f->prog);
			fw_error_clear(&ferr);
			return 0;
		}
		fw_object_close(f);
	}
	fw_hook_note(a, "fentry failed (%s)", strerror(-ret));
	fw_error_clear(&ferr);
	return ret;
}

static int attach(const struct fw_prog_spec *spec, struct fw_object *o,
		  const struct fw_hook_opts *opts, struct fw_attachment *a, struct fw_error *err)
{
	int ret;

	if (try_kprobe(spec, o, a) == 0 || try_fentry(spec, o, a) == 0)
		return 0;
	if (!o->standin)
		return fw_error_set(err, ENOENT,
				    "program %s: cannot probe %s: %s; and the object has no tracepoint stand-in",
				    spec->name, spec->function, a->note);
	/* a stand-in attaches by its own section */
	ret = fw_hook_take_link(a, bpf_program__attach(o->standin), FW_ATTACH_STANDIN);
	if (ret)
		return fw_error_set(err, ret, "program %s: %s; stand-in %s failed: %s", spec->name,
				    a->note, bpf_program__section_name(o->standin), strerror(-ret));
	a->prog_fd = bpf_program__fd(o->standin);
	fw_hook_note(a, "running stand-in %s", bpf_program__section_name(o->standin));
	return 0;
}

static void describe(const struct fw_prog_spec *s, char *out, size_t size)
{
	snprintf(out, size, "%s", s->function);
}

const struct fw_hook_ops fw_hook_kprobe = {
	.name = "kprobe",
	.prog_types = { BPF_PROG_TYPE_KPROBE },
	.takes = FW_FIELD_FUNCTION,
	.requires = FW_FIELD_FUNCTION,
	.target_from_section = target_from_section,
	.section_matches = section_matches,
	.choose_forms = choose_forms,
	.attach = attach,
	.can_replace = fw_hook_never_replace,
	.replace = fw_hook_link_replace,
	.detach = fw_hook_nothing_to_detach,
	.describe = describe,
	.kinds = { { FW_ATTACH_KPROBE, "kprobe", true }, { FW_ATTACH_FENTRY, "fentry", true },
		   { FW_ATTACH_STANDIN, "tracepoint-standin", true } },
	.probes = { FW_PROBE_ATTACH_KPROBE, FW_PROBE_ATTACH_FENTRY, FW_PROBE_ATTACH_TRACEPOINT },
	.n_probes = 3,
};
