// SPDX-License-Identifier: MIT
#include "ebpf/args.h"
#include "ebpf/btf_json.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where one global lives: its section's BTF and the bytes it occupies. */
struct global_var {
	const struct btf *btf;
	__u32 type_id;          /* the variable's type, modifiers included */
	__u32 offset, size;
};

static const char *const data_sections[] = { ".rodata", ".data", ".bss" };

static bool section_is_data(const char *sec)
{
	for (size_t i = 0; i < 3; i++)
		if (strncmp(sec, data_sections[i], strlen(data_sections[i])) == 0)
			return true;
	return false;
}

/* Finds variable name in the DATASEC type datasec_id of btf. */
static bool find_in_datasec(const struct btf *btf, __u32 datasec_id,
			    const char *name, struct global_var *out)
{
	const struct btf_type *sec = btf__type_by_id(btf, datasec_id);
	const struct btf_var_secinfo *vsi;

	if (!sec || !btf_is_datasec(sec))
		return false;
	vsi = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vsi++) {
		const struct btf_type *var = btf__type_by_id(btf, vsi->type);

		if (strcmp(btf__name_by_offset(btf, var->name_off), name) == 0) {
			*out = (struct global_var){ btf, var->type, vsi->offset, vsi->size };
			return true;
		}
	}
	return false;
}

/* Appends every variable name of a DATASEC to a comma-separated list. */
static void list_datasec(const struct btf *btf, __u32 datasec_id, char *buf, size_t len)
{
	const struct btf_type *sec = btf__type_by_id(btf, datasec_id);
	const struct btf_var_secinfo *vsi;

	if (!sec || !btf_is_datasec(sec))
		return;
	vsi = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vsi++) {
		const struct btf_type *var = btf__type_by_id(btf, vsi->type);
		const char *n = btf__name_by_offset(btf, var->name_off);
		size_t used = strlen(buf);

		/* LICENSE and the like are not arguments anyone sets. */
		if (strcmp(n, "LICENSE") == 0 || strcmp(n, "_license") == 0)
			continue;
		snprintf(buf + used, len - used, "%s%s", used ? ", " : "", n);
	}
}

static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

static bool fits_int(int64_t v, __u32 size, bool is_signed)
{
	if (size >= 8)
		return is_signed || v >= 0;
	if (is_signed) {
		int64_t lim = (int64_t)1 << (size * 8 - 1);

		return v >= -lim && v < lim;
	}
	return v >= 0 && (uint64_t)v < ((uint64_t)1 << (size * 8));
}

static const char *arg_kind_name(enum fw_arg_kind kind)
{
	switch (kind) {
	case FW_ARG_INT: return "an integer";
	case FW_ARG_BOOL: return "a boolean";
	case FW_ARG_FLOAT: return "a decimal number";
	default: return "a string";
	}
}

/* Encodes arg into dst (var->size bytes) after checking it fits the type. */
static int encode_arg(const struct global_var *var, const struct fw_arg *arg,
		      void *dst, struct fw_error *err)
{
	__u32 id = var->type_id;
	const struct btf_type *t = skip_mods(var->btf, &id);

	if (t && btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL)) {
		if (arg->kind != FW_ARG_BOOL)
			goto mismatch;
		*(__u8 *)dst = arg->b;
		return 0;
	}
	if (t && (btf_is_int(t) || btf_is_enum(t))) {
		bool is_signed = btf_is_int(t) ? btf_int_encoding(t) & BTF_INT_SIGNED : btf_kflag(t);
		int64_t v;

		if (arg->kind == FW_ARG_BOOL)
			v = arg->b;
		else if (arg->kind == FW_ARG_INT)
			v = arg->i;
		else
			goto mismatch;
		if (!fits_int(v, var->size, is_signed))
			return fw_error_set(err, ERANGE,
					    "arg %s: %" PRId64 " does not fit its type (%s%u-bit integer)",
					    arg->name, v, is_signed ? "signed " : "unsigned ",
					    var->size * 8);
		fw_int_store(dst, var->size, v, is_signed);
		return 0;
	}
	if (t && btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		__u32 elem = a->type;
		const struct btf_type *et = skip_mods(var->btf, &elem);

		if (!et || !btf_is_int(et) || et->size != 1 || arg->kind != FW_ARG_STRING)
			goto mismatch;
		if (strlen(arg->s) >= a->nelems)
			return fw_error_set(err, ERANGE, "arg %s: \"%s\" is longer than %u characters",
					    arg->name, arg->s, a->nelems - 1);
		memset(dst, 0, var->size);
		memcpy(dst, arg->s, strlen(arg->s));
		return 0;
	}
mismatch:
	return fw_error_set(err, EINVAL, "arg %s: %s does not fit the variable's type (%u bytes%s)",
			    arg->name, arg_kind_name(arg->kind), var->size,
			    t && btf_is_int(t) ? ", integer" : "");
}

/* The object's data section maps, with their DATASEC type ids. */
static bool object_find_global(struct bpf_object *obj, const char *name,
			       struct global_var *var, struct bpf_map **map)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m;

	if (!btf)
		return false;
	bpf_object__for_each_map(m, obj) {
		const char *sec;
		int sec_id;

		if (!bpf_map__is_internal(m))
			continue;
		/* Internal maps are named "<obj>.<section>": take the section. */
		sec = strchr(bpf_map__name(m), '.');
		if (!sec || !section_is_data(sec))
			continue;
		sec_id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
		if (sec_id > 0 && find_in_datasec(btf, sec_id, name, var)) {
			*map = m;
			return true;
		}
	}
	return false;
}

bool fw_args_has_global(struct bpf_object *obj, const char *name)
{
	struct global_var var;
	struct bpf_map *map;

	return object_find_global(obj, name, &var, &map);
}

static void object_list_globals(struct bpf_object *obj, char *buf, size_t len)
{
	const struct btf *btf = bpf_object__btf(obj);

	buf[0] = '\0';
	for (size_t i = 0; btf && i < 3; i++) {
		int id = btf__find_by_name_kind(btf, data_sections[i], BTF_KIND_DATASEC);

		if (id > 0)
			list_datasec(btf, id, buf, len);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

int fw_args_apply(struct bpf_object *obj, const struct fw_arg *args, size_t n_args,
		  struct fw_error *err)
{
	for (size_t i = 0; i < n_args; i++) {
		struct global_var var;
		struct bpf_map *map;
		size_t size;
		void *data;
		int ret;

		if (!object_find_global(obj, args[i].name, &var, &map)) {
			char names[1024];

			object_list_globals(obj, names, sizeof(names));
			return fw_error_set(err, ENOENT,
					    "arg %s: the object has no global variable of that name (it has: %s)",
					    args[i].name, names);
		}
		data = (void *)bpf_map__initial_value(map, &size);
		if (!data || var.offset + var.size > size)
			return fw_error_set(err, EINVAL, "arg %s: cannot reach its section",
					    args[i].name);
		ret = encode_arg(&var, &args[i], (char *)data + var.offset, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* A loaded program's data section maps: found through the program's map ids,
 * each with the BTF the kernel keeps for it. */
struct running_section {
	int map_fd;
	bool read_only;
	struct btf *btf;
	__u32 datasec_id;
	__u32 value_size;
};

struct running_sections {
	struct running_section sec[8];
	int n;
};

static void running_sections_free(struct running_sections *rs)
{
	for (int i = 0; i < rs->n; i++) {
		btf__free(rs->sec[i].btf);
		close(rs->sec[i].map_fd);
	}
	rs->n = 0;
}

static void add_running_section(struct running_sections *rs, __u32 map_id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	const char *sec;
	int fd;

	fd = bpf_map_get_fd_by_id(map_id);
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_MAP_TYPE_ARRAY ||
	    !info.btf_id || !info.btf_value_type_id ||
	    !(sec = strchr(info.name, '.')) || !section_is_data(sec) ||
	    rs->n == (int)(sizeof(rs->sec) / sizeof(rs->sec[0]))) {
		close(fd);
		return;
	}
	rs->sec[rs->n] = (struct running_section){
		.map_fd = fd,
		.read_only = strncmp(sec, ".rodata", 7) == 0,
		.btf = btf__load_from_kernel_by_id(info.btf_id),
		.datasec_id = info.btf_value_type_id,
		.value_size = info.value_size,
	};
	if (!rs->sec[rs->n].btf) {
		close(fd);
		return;
	}
	rs->n++;
}

static int running_sections_get(int prog_fd, struct running_sections *rs)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[64];

	rs->n = 0;
	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	for (__u32 i = 0; i < info.nr_map_ids && i < 64; i++)
		add_running_section(rs, ids[i]);
	return 0;
}

static struct running_section *running_find(struct running_sections *rs, const char *name,
					    struct global_var *var)
{
	for (int i = 0; i < rs->n; i++)
		if (find_in_datasec(rs->sec[i].btf, rs->sec[i].datasec_id, name, var))
			return &rs->sec[i];
	return NULL;
}

/* Reads each section's whole value, patches every arg in memory, and only
 * then writes the sections back: an error anywhere writes nothing. */
int fw_args_update_running(int prog_fd, const struct fw_arg *args, size_t n_args,
			   struct fw_error *err)
{
	struct running_sections rs;
	void *values[8] = {};
	__u32 zero = 0;
	int ret;

	ret = running_sections_get(prog_fd, &rs);
	if (ret)
		return fw_error_set(err, ret, "reading the program's maps: %s", strerror(-ret));
	for (int i = 0; i < rs.n; i++) {
		values[i] = calloc(1, rs.sec[i].value_size);
		if (!values[i] || bpf_map_lookup_elem(rs.sec[i].map_fd, &zero, values[i])) {
			ret = fw_error_set(err, errno ? errno : ENOMEM,
					   "reading the program's globals: %s", strerror(errno));
			goto out;
		}
	}
	for (size_t a = 0; a < n_args; a++) {
		struct global_var var;
		struct running_section *sec = running_find(&rs, args[a].name, &var);

		if (!sec) {
			ret = fw_error_set(err, ENOENT, "arg %s: the program has no global variable of that name",
					   args[a].name);
			goto out;
		}
		if (sec->read_only) {
			ret = fw_error_set(err, EOPNOTSUPP,
					   "arg %s is load-time only (a const volatile in .rodata): change it in the configuration and reload",
					   args[a].name);
			goto out;
		}
		ret = encode_arg(&var, &args[a], (char *)values[sec - rs.sec] + var.offset, err);
		if (ret)
			goto out;
	}
	for (int i = 0; i < rs.n; i++) {
		if (rs.sec[i].read_only)
			continue;
		if (bpf_map_update_elem(rs.sec[i].map_fd, &zero, values[i], BPF_ANY)) {
			ret = fw_error_set(err, errno, "writing the program's globals: %s",
					   strerror(errno));
			goto out;
		}
	}
out:
	for (int i = 0; i < rs.n; i++)
		free(values[i]);
	running_sections_free(&rs);
	return ret;
}

static json_t *decode_value(const struct btf *btf, __u32 type_id, const void *p, __u32 size)
{
	const struct btf_type *t = skip_mods(btf, &type_id);

	if (t && btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL))
		return json_boolean(*(const __u8 *)p);
	if (t && (btf_is_int(t) || btf_is_enum(t)) && size <= 8) {
		int64_t v = 0;
		uint64_t u = 0;

		memcpy(&u, p, size);
		if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED) && size < 8 &&
		    (u >> (size * 8 - 1)) & 1)
			u |= ~(uint64_t)0 << (size * 8);
		v = (int64_t)u;
		return json_integer(v);
	}
	if (t && btf_is_int(t))
		return fw_btf_to_json(NULL, 0, p, size); /* wider than JSON's numbers: hex */
	if (t && btf_is_array(t)) {
		__u32 elem = btf_array(t)->type;
		const struct btf_type *et = skip_mods(btf, &elem);

		/* Text when it is UTF-8 (JSON can carry nothing else), else hex. */
		if (et && btf_is_int(et) && et->size == 1)
			return json_stringn(p, strnlen(p, size)) ?: fw_btf_to_json(NULL, 0, p, size);
	}
	return json_null();
}

json_t *fw_args_read_running(int prog_fd)
{
	json_t *out = json_object();
	struct running_sections rs;
	__u32 zero = 0;

	if (running_sections_get(prog_fd, &rs))
		return out;
	for (int i = 0; i < rs.n; i++) {
		const struct btf_type *sec = btf__type_by_id(rs.sec[i].btf, rs.sec[i].datasec_id);
		const struct btf_var_secinfo *vsi;
		char *value = calloc(1, rs.sec[i].value_size);

		if (!value || bpf_map_lookup_elem(rs.sec[i].map_fd, &zero, value)) {
			free(value);
			continue;
		}
		vsi = btf_var_secinfos(sec);
		for (int v = 0; v < btf_vlen(sec); v++, vsi++) {
			const struct btf_type *var = btf__type_by_id(rs.sec[i].btf, vsi->type);
			const char *name = btf__name_by_offset(rs.sec[i].btf, var->name_off);

			if (strcmp(name, "LICENSE") == 0 || vsi->offset + vsi->size > rs.sec[i].value_size)
				continue;
			json_object_set_new(out, name, decode_value(rs.sec[i].btf, var->type,
								    value + vsi->offset, vsi->size));
		}
		free(value);
	}
	running_sections_free(&rs);
	return out;
}
