// SPDX-License-Identifier: MIT
/*
 * POST /api/ebpf/programs/load: a JSON object with the fields of a
 * configuration block becomes a struct fw_prog_spec. Every field is checked
 * here (json_unpack, strict: unknown fields are refused) so the backend gets
 * a spec that only the kernel can still reject.
 */
#include "api/spec_json.h"

#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/http_error.h"
#include "config/ebpf_config.h"
#include "ebpf/compiler.h"
#include "ebpf/loader.h"

#define ARG_STRING_MAX 4096

struct load_fields {
	const char *name, *program, *hook, *interface, *direction, *mode;
	const char *tracepoint, *function;
	json_t *sockets, *shaping, *maps, *args, *priority;
};

/* A field the shared parsers (config/ebpf_config.h) refused: their message
 * says what is wrong and what is expected. */
static int field_fail(struct fw_api_response *resp, struct fw_error *err,
		      const char *field, const char *detail)
{
	int code = fw_api_refuse(resp, -EINVAL, detail, "%s: %s", field, err->msg);

	fw_error_clear(err);
	return code;
}

/* ---- the object path --------------------------------------------------- */

static bool has_dotdot_component(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

static bool path_is_under(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	if (len && dir[len - 1] == '/')
		len--;
	return strncmp(path, dir, len) == 0 && path[len] == '/';
}

/*
 * The object must lie inside program_dir: a path outside it (as written) is
 * refused before the filesystem is asked, so the API reveals nothing about
 * other files; a symlink inside that leads outside is refused after realpath.
 * A relative path is taken relative to program_dir.
 */
static int resolve_object(const struct fw_api_backend *be, const char *program,
			  char *out, struct fw_api_response *resp)
{
	const char *dir = be->program_dir(be->ctx);
	char joined[FW_PATH_MAX], real_dir[PATH_MAX], real[PATH_MAX];
	struct stat st;

	if (!program[0])
		return fw_api_refuse(resp, -EINVAL, "give the path of a .o file in program_dir",
				     "program is empty");
	if (has_dotdot_component(program))
		return fw_api_refuse(resp, -EINVAL, "give a path inside program_dir without '..'",
				     "program path '%.256s' contains '..'", program);
	if (!realpath(dir, real_dir))
		return fw_api_refuse(resp, -EIO, "create it or fix ebpf { program_dir }",
				     "program_dir %.256s is not usable: %s", dir, strerror(errno));
	if (snprintf(joined, sizeof(joined), "%s%s%s", program[0] == '/' ? "" : real_dir,
		     program[0] == '/' ? "" : "/", program) >= (int)sizeof(joined))
		return fw_api_refuse(resp, -EINVAL, "give a shorter path", "program path too long");
	if (!path_is_under(joined, dir) && !path_is_under(joined, real_dir))
		return fw_api_refuse(resp, -EACCES, "objects are loaded only from program_dir",
				     "program '%.256s' is outside program_dir %.256s", program, dir);
	if (!realpath(joined, real))
		return fw_api_refuse(resp, -EINVAL, "copy the object into program_dir first",
				     "program '%.256s': %s", program, strerror(errno));
	if (!path_is_under(real, real_dir))
		return fw_api_refuse(resp, -EACCES, "objects are loaded only from program_dir",
				     "program '%.256s' leads outside program_dir %.256s (symlink)",
				     program, dir);
	if (stat(real, &st) || !S_ISREG(st.st_mode))
		return fw_api_refuse(resp, -EINVAL, "give the path of a .o or .bpf.c file",
				     "program '%.256s' is not a regular file", program);
	snprintf(out, FW_PATH_MAX, "%s", real);
	return 0;
}

/* A .bpf.c source in program_dir is compiled (cached) and its object loaded;
 * clang's diagnostics are the answer's detail. */
static int compile_source(struct fw_prog_spec *spec, struct fw_api_response *resp)
{
	struct fw_error err = { 0 };
	char block[FW_NAME_MAX + 32], object[FW_PATH_MAX];

	snprintf(block, sizeof(block), "program \"%s\"", spec->name);
	if (fw_compile_program(block, spec->object, object, sizeof(object), &err)) {
		int code = err.code;

		resp->status = fw_http_status_from_errno(code);
		resp->json = fw_http_error_from(&err, resp->status);
		fw_error_clear(&err);
		return code;
	}
	memcpy(spec->object, object, sizeof(spec->object));
	return 0;
}

/* ---- the hook, from the request or from the object -------------------- */

static int hook_from_object(struct fw_prog_spec *spec, bool hook_given,
			    struct fw_api_response *resp)
{
	struct bpf_object *obj = bpf_object__open_file(spec->object, NULL);
	struct bpf_program *prog;
	int hook;

	if (!obj)
		return fw_api_refuse(resp, -EINVAL, "compile it with clang -target bpf",
				     "%.256s is not an eBPF object: %s", spec->object,
				     strerror(errno));
	prog = bpf_object__next_program(obj, NULL);
	if (!prog) {
		bpf_object__close(obj);
		return fw_api_refuse(resp, -EINVAL, "the object has no SEC(\"...\") program",
				     "%.256s holds no program", spec->object);
	}
	hook = fw_hook_of_prog_type(bpf_program__type(prog));
	if (!hook_given) {
		if (hook < 0) {
			char hooks[200], hint[256], sec[64];

			snprintf(sec, sizeof(sec), "%s", bpf_program__section_name(prog));
			bpf_object__close(obj);
			fw_hook_names_joined(" or ", hooks, sizeof(hooks));
			snprintf(hint, sizeof(hint), "add \"hook\": %s", hooks);
			return fw_api_refuse(resp, -EINVAL, hint,
					     "cannot tell the hook from section '%s'", sec);
		}
		spec->hook = hook;
	}
	/* a request may leave the target to the object's section name */
	if (fw_hook_ops_of(spec->hook)->target_from_section)
		fw_hook_ops_of(spec->hook)->target_from_section(bpf_program__section_name(prog),
								spec);
	bpf_object__close(obj);
	return 0;
}

/* ---- per-hook fields --------------------------------------------------- */

/* "tracepoint programs need a tracepoint", hint: add "tracepoint": "category:name" */
static int missing_field(struct fw_api_response *resp, const struct fw_prog_spec *spec,
			 enum fw_hook_field field)
{
	const struct fw_hook_field_info *info = fw_hook_field_info(field);
	char hint[128];

	snprintf(hint, sizeof(hint), "add \"%s\": %s", info->name, info->example);
	return fw_api_refuse(resp, -EINVAL, hint, "%s programs need %s", fw_hook_name(spec->hook),
			     info->noun);
}

static int interface_field(const struct load_fields *f, struct fw_prog_spec *spec,
			   struct fw_api_response *resp)
{
	struct fw_error err = { 0 };

	if (!f->interface) {
		if (fw_hook_requires(spec->hook, FW_FIELD_INTERFACE))
			return missing_field(resp, spec, FW_FIELD_INTERFACE);
		return 0;
	}
	if (fw_ifname_valid(f->interface, &err))
		return field_fail(resp, &err, "interface", "the name of a network interface");
	if (!fw_hook_takes(spec->hook, FW_FIELD_INTERFACE))
		return fw_api_refuse(resp, -EINVAL, "remove \"interface\"",
				     "%s programs take no interface", fw_hook_name(spec->hook));
	snprintf(spec->interface, sizeof(spec->interface), "%s", f->interface);
	return 0;
}

/* A field that only some hooks take is refused on the others, so a typo in
 * the hook is not silently ignored. */
static int only_for(struct fw_api_response *resp, const void *given,
		    const struct fw_prog_spec *spec, enum fw_hook_field field)
{
	char hooks[128];

	if (!given || fw_hook_takes(spec->hook, field))
		return 0;
	fw_hooks_taking(field, hooks, sizeof(hooks));
	return fw_api_refuse(resp, -EINVAL, "remove it or change \"hook\"",
			     "\"%s\" applies to %s programs, not %s",
			     fw_hook_field_info(field)->name, hooks, fw_hook_name(spec->hook));
}

static int tc_xdp_fields(const struct load_fields *f, struct fw_prog_spec *spec,
			 struct fw_api_response *resp)
{
	struct fw_error err = { 0 };

	int ret = only_for(resp, f->direction, spec, FW_FIELD_DIRECTION) ?:
		  only_for(resp, f->shaping, spec, FW_FIELD_SHAPING) ?:
		  only_for(resp, f->mode, spec, FW_FIELD_MODE) ?:
		  only_for(resp, f->priority, spec, FW_FIELD_PRIORITY);

	if (ret)
		return ret;
	if (f->priority) {
		if (!json_is_integer(f->priority))
			return fw_api_refuse(resp, -EINVAL, "lower runs first",
					     "priority must be an integer");
		if (fw_priority_valid(json_integer_value(f->priority), &err))
			return field_fail(resp, &err, "priority", "lower runs first");
		spec->has_priority = true;
		spec->priority = (int32_t)json_integer_value(f->priority);
	}
	if (f->direction && fw_tc_direction_parse(f->direction, &spec->direction, &err))
		return field_fail(resp, &err, "direction", "tc programs: ingress or egress");
	if (f->mode && fw_xdp_mode_parse(f->mode, &spec->xdp_mode, &err))
		return field_fail(resp, &err, "mode", "xdp programs: auto, native or generic");
	return 0;
}

static int shaping_field(json_t *shaping, struct fw_prog_spec *spec,
			 struct fw_api_response *resp)
{
	static const char shape[] = "expected \"shaping\": {\"rate\": \"1gbit\", "
				    "\"burst\": \"100mbit\"}";
	const char *rate = NULL, *burst = NULL;
	struct fw_error err = { 0 };
	json_error_t jerr;

	if (!shaping)
		return 0;
	if (json_unpack_ex(shaping, &jerr, JSON_STRICT, "{s:s, s?s}", "rate", &rate,
			   "burst", &burst))
		return fw_api_refuse(resp, -EINVAL, shape, "invalid shaping: %s", jerr.text);
	if (fw_rate_parse(rate, &spec->shaping.rate_bps, &err))
		return field_fail(resp, &err, "shaping.rate", shape);
	if (burst && fw_burst_parse(burst, &spec->shaping.burst_bits, &err))
		return field_fail(resp, &err, "shaping.burst", shape);
	spec->shaping.set = true;
	return 0;
}

static int target_fields(const struct load_fields *f, struct fw_prog_spec *spec,
			 struct fw_api_response *resp)
{
	struct fw_error err = { 0 };

	int ret = only_for(resp, f->tracepoint, spec, FW_FIELD_TRACEPOINT) ?:
		  only_for(resp, f->function, spec, FW_FIELD_FUNCTION) ?:
		  only_for(resp, f->sockets, spec, FW_FIELD_SOCKETS);

	if (ret)
		return ret;
	if (f->tracepoint) {
		if (fw_tracepoint_valid(f->tracepoint, &err))
			return field_fail(resp, &err, "tracepoint", "e.g. \"net:netif_receive_skb\"");
		snprintf(spec->tracepoint, sizeof(spec->tracepoint), "%s", f->tracepoint);
	}
	if (f->function) {
		if (fw_function_valid(f->function, &err))
			return field_fail(resp, &err, "function", "e.g. \"tcp_v4_connect\"");
		snprintf(spec->function, sizeof(spec->function), "%s", f->function);
	}
	if (fw_hook_requires(spec->hook, FW_FIELD_TRACEPOINT) && !spec->tracepoint[0])
		return missing_field(resp, spec, FW_FIELD_TRACEPOINT);
	if (fw_hook_requires(spec->hook, FW_FIELD_FUNCTION) && !spec->function[0])
		return missing_field(resp, spec, FW_FIELD_FUNCTION);
	return 0;
}

static int sockets_field(json_t *sockets, struct fw_prog_spec *spec,
			 struct fw_api_response *resp)
{
	struct fw_error err = { 0 };
	json_t *item;
	size_t i;

	if (!sockets)
		return 0;
	if (!json_is_array(sockets) || json_array_size(sockets) == 0)
		return fw_api_refuse(resp, -EINVAL, "e.g. \"sockets\": [\"dns\", \"dhcp\"]",
				     "sockets must be a non-empty array");
	json_array_foreach(sockets, i, item) {
		enum fw_service svc;
		char where[32];

		snprintf(where, sizeof(where), "sockets[%zu]", i);
		if (!json_is_string(item))
			return fw_api_refuse(resp, -EINVAL, "e.g. \"sockets\": [\"dns\", \"dhcp\"]",
					     "%s: not a string", where);
		if (fw_service_parse(json_string_value(item), &svc, &err))
			return field_fail(resp, &err, where, "the services are dns and dhcp");
		spec->services |= svc;
	}
	return 0;
}

static int maps_field(json_t *maps, struct fw_prog_spec *spec,
		      struct fw_api_response *resp)
{
	static const char shape[] = "expected \"maps\": {\"NAME\": {\"type\": \"hash\", "
				    "\"size\": 1024}}";
	const char *name;
	json_t *value;
	size_t i = 0;

	if (!maps)
		return 0;
	if (!json_is_object(maps))
		return fw_api_refuse(resp, -EINVAL, shape, "maps must be an object");
	spec->maps = calloc(json_object_size(maps) ? json_object_size(maps) : 1,
			    sizeof(*spec->maps));
	if (!spec->maps)
		return fw_api_refuse(resp, -ENOMEM, "", "out of memory");
	json_object_foreach(maps, name, value) {
		struct fw_map_override *m = &spec->maps[i];
		struct fw_error err = { 0 };
		const char *type = NULL;
		json_int_t size = 0;
		json_error_t jerr;
		char where[FW_NAME_MAX + 8];

		snprintf(where, sizeof(where), "maps.%s", name);
		if (fw_map_name_valid(name, &err))
			return field_fail(resp, &err, "maps", "map names are the object's C names");
		if (json_unpack_ex(value, &jerr, JSON_STRICT, "{s?s, s?I}", "type", &type,
				   "size", &size))
			return fw_api_refuse(resp, -EINVAL, shape, "%s: %s", where, jerr.text);
		if (type && fw_map_type_parse(type, &m->type, &err))
			return field_fail(resp, &err, where, shape);
		if (json_object_get(value, "size") && fw_map_size_valid(size, &err))
			return field_fail(resp, &err, where, shape);
		if (fw_map_override_valid(m->type, (uint32_t)size, &err))
			return field_fail(resp, &err, where, shape);
		snprintf(m->name, sizeof(m->name), "%s", name);
		m->size = (uint32_t)size;
		spec->n_maps = ++i;
	}
	return 0;
}

/* ---- args (also PUT /programs/{name}) ---------------------------------- */

void fw_api_args_free(struct fw_arg *args, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (args[i].kind == FW_ARG_STRING)
			free(args[i].s);
	free(args);
}

/* A whole number is an integer however it is written (1e6, 1000000.0), as
 * in a configuration file: a program's integer global takes it. One too large
 * for 64 bits is refused rather than rounded into a float. */
static bool real_arg(struct fw_arg *arg, double f)
{
	if (f != floor(f)) {
		arg->kind = FW_ARG_FLOAT;
		arg->f = f;
		return true;
	}
	if (fabs(f) >= 9223372036854775808.0)
		return false;
	arg->kind = FW_ARG_INT;
	arg->i = (int64_t)f;
	return true;
}

static bool arg_from_json(struct fw_arg *arg, const char *name, json_t *value)
{
	snprintf(arg->name, sizeof(arg->name), "%s", name);
	switch (json_typeof(value)) {
	case JSON_INTEGER:
		arg->kind = FW_ARG_INT;
		arg->i = json_integer_value(value);
		return true;
	case JSON_REAL:
		return real_arg(arg, json_real_value(value));
	case JSON_TRUE:
	case JSON_FALSE:
		arg->kind = FW_ARG_BOOL;
		arg->b = json_is_true(value);
		return true;
	case JSON_STRING:
		if (json_string_length(value) > ARG_STRING_MAX)
			return false;
		arg->kind = FW_ARG_STRING;
		arg->s = strdup(json_string_value(value));
		return arg->s != NULL;
	default:
		return false;
	}
}

int fw_api_args_from_json(json_t *jargs, struct fw_arg **out, size_t *n,
			  struct fw_api_response *resp)
{
	const char *name;
	json_t *value;
	struct fw_arg *args;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (!json_is_object(jargs) || json_object_size(jargs) == 0)
		return fw_api_refuse(resp, -EINVAL, "e.g. \"args\": {\"max_pps\": 2000000}",
				     "args must be a non-empty object");
	args = calloc(json_object_size(jargs), sizeof(*args));
	if (!args)
		return fw_api_refuse(resp, -ENOMEM, "", "out of memory");
	json_object_foreach(jargs, name, value) {
		struct fw_error err = { 0 };

		if (fw_arg_name_valid(name, &err)) {
			fw_api_args_free(args, i);
			return field_fail(resp, &err, "args", "arg names are the program's "
					  "global variables");
		}
		if (!arg_from_json(&args[i], name, value)) {
			fw_api_args_free(args, i);
			if (json_is_real(value))
				return fw_api_refuse(resp, -EINVAL, "integers are 64-bit",
						     "args.%s: %g does not fit in a 64-bit integer",
						     name, json_real_value(value));
			return fw_api_refuse(resp, -EINVAL, "args are numbers, booleans or strings "
					     "(at most 4096 bytes)",
					     "args.%s: unsupported value", name);
		}
		i++;
	}
	*out = args;
	*n = i;
	return 0;
}

/* ---- the whole request ------------------------------------------------- */

static int unpack_fields(json_t *body, struct load_fields *f,
			 struct fw_api_response *resp)
{
	json_error_t jerr;

	memset(f, 0, sizeof(*f));
	if (json_unpack_ex(body, &jerr, JSON_STRICT,
			   "{s:s, s:s, s?s, s?s, s?s, s?s, s?s, s?s, s?o, s?o, s?o, s?o, s?o}",
			   "name", &f->name, "program", &f->program, "hook", &f->hook,
			   "interface", &f->interface, "direction", &f->direction,
			   "mode", &f->mode, "tracepoint", &f->tracepoint,
			   "function", &f->function, "sockets", &f->sockets,
			   "shaping", &f->shaping, "maps", &f->maps, "args", &f->args,
			   "priority", &f->priority))
		return fw_api_refuse(resp, -EINVAL, "fields: name, program (required); hook, "
				     "interface, direction, mode, priority, tracepoint, function, "
				     "sockets, shaping, maps, args", "invalid load request: %s",
				     jerr.text);
	return 0;
}

static int fill_spec(const struct fw_api_backend *be, const struct load_fields *f,
		     struct fw_prog_spec *spec, struct fw_api_response *resp)
{
	struct fw_error err = { 0 };
	int ret;

	if (fw_prog_name_valid(f->name, &err))
		return field_fail(resp, &err, "name", "the name the program will have in the API");
	if (!strcmp(f->name, "load"))
		return fw_api_refuse(resp, -EINVAL, "POST /api/ebpf/programs/load is the loader",
				     "name: \"load\" is reserved");
	snprintf(spec->name, sizeof(spec->name), "%s", f->name);
	if (f->hook && fw_hook_parse(f->hook, &spec->hook, &err))
		return field_fail(resp, &err, "hook", "or leave it out to take the object's");
	ret = resolve_object(be, f->program, spec->object, resp) ?:
	      compile_source(spec, resp) ?:
	      hook_from_object(spec, f->hook != NULL, resp) ?:
	      interface_field(f, spec, resp) ?:
	      tc_xdp_fields(f, spec, resp) ?:
	      shaping_field(f->shaping, spec, resp) ?:
	      target_fields(f, spec, resp) ?:
	      sockets_field(f->sockets, spec, resp) ?:
	      maps_field(f->maps, spec, resp);
	if (ret)
		return ret;
	if (f->args && (ret = fw_api_args_from_json(f->args, &spec->args, &spec->n_args, resp)))
		return ret;
	spec->default_map_size = be->default_map_size(be->ctx);
	return 0;
}

int fw_api_spec_from_json(const struct fw_api_backend *be, json_t *body,
			  struct fw_prog_spec *spec, struct fw_api_response *resp)
{
	struct load_fields f;
	int ret;

	memset(spec, 0, sizeof(*spec));
	ret = unpack_fields(body, &f, resp) ?: fill_spec(be, &f, spec, resp);
	if (ret)
		fw_prog_spec_release(spec);
	return ret;
}
