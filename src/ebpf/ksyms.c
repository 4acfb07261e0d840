// SPDX-License-Identifier: MIT
#include "ebpf/ksyms.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fw_ksyms {
	char *text;             /* the whole file; names point into it */
	struct fw_ksym *syms;   /* sorted by address */
	size_t n;
};

/* Reads a whole file whose size stat cannot tell (procfs says 0). */
static int read_all(const char *path, char **out, struct fw_error *err)
{
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap + 1);
	FILE *f = fopen(path, "r");
	size_t got;

	if (!f || !buf) {
		int e = errno;

		free(buf);
		if (f)
			fclose(f);
		return fw_error_set(err, e, "cannot read kernel symbols from %s: %s", path,
				    strerror(e));
	}
	while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			char *bigger = realloc(buf, 2 * cap + 1);

			if (!bigger) {
				free(buf);
				fclose(f);
				return fw_error_set(err, ENOMEM, "out of memory reading %s", path);
			}
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static bool is_text_symbol(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

/* Parses "ffffffff81000000 T _stext [module]" in place; false to skip. */
static bool parse_line(char *line, struct fw_ksym *sym)
{
	char *end, *type, *name, *module;

	sym->addr = strtoull(line, &end, 16);
	if (end == line || *end != ' ')
		return false;
	type = end + 1;
	if (!is_text_symbol(*type) || type[1] != ' ')
		return false;
	name = type + 2;
	end = name + strcspn(name, " \t");
	module = NULL;
	if (*end) {
		*end++ = '\0';
		end += strspn(end, " \t");
		if (*end == '[') {
			module = end + 1;
			module[strcspn(module, "]")] = '\0';
		}
	}
	sym->name = name;
	sym->module = module;
	return *name != '\0';
}

static int by_address(const void *a, const void *b)
{
	const struct fw_ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* aliases: the same pick every time */
	return strcmp(x->name, y->name);
}

static int index_symbols(struct fw_ksyms *ks, const char *path, struct fw_error *err)
{
	size_t cap = 0, zero = 0;
	char *line = ks->text, *next;

	for (; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (ks->n == cap) {
			size_t bigger = cap ? 2 * cap : 65536;
			struct fw_ksym *syms = realloc(ks->syms, bigger * sizeof(*syms));

			if (!syms)
				return fw_error_set(err, ENOMEM, "out of memory indexing %s", path);
			ks->syms = syms;
			cap = bigger;
		}
		if (!parse_line(line, &ks->syms[ks->n]))
			continue;
		if (ks->syms[ks->n].addr == 0)
			zero++;
		else
			ks->n++;
	}
	if (ks->n == 0)
		return fw_error_set(err, zero ? EPERM : ENOENT,
				    zero ? "%s shows every kernel address as 0: kernel.kptr_restrict "
					   "hides them; run as root or set it to 0" :
					   "%s lists no kernel text symbols", path);
	qsort(ks->syms, ks->n, sizeof(*ks->syms), by_address);
	return 0;
}

int fw_ksyms_load(const char *path, struct fw_ksyms **out, struct fw_error *err)
{
	struct fw_ksyms *ks = calloc(1, sizeof(*ks));
	int ret;

	if (!path)
		path = FW_KALLSYMS;
	if (!ks)
		return fw_error_set(err, ENOMEM, "out of memory loading %s", path);
	ret = read_all(path, &ks->text, err);
	if (!ret)
		ret = index_symbols(ks, path, err);
	if (ret) {
		fw_ksyms_free(ks);
		return ret;
	}
	*out = ks;
	return 0;
}

void fw_ksyms_free(struct fw_ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->text);
	free(ks);
}

size_t fw_ksyms_count(const struct fw_ksyms *ks)
{
	return ks->n;
}

const struct fw_ksym *fw_ksyms_resolve(const struct fw_ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi = ks->n;

	/* the last symbol whose address is <= addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	/* of aliases at one address, the first by name */
	while (lo > 1 && ks->syms[lo - 2].addr == ks->syms[lo - 1].addr)
		lo--;
	return &ks->syms[lo - 1];
}

uint64_t fw_ksyms_address(const struct fw_ksyms *ks, const char *name)
{
	for (size_t i = 0; i < ks->n; i++)
		if (strcmp(ks->syms[i].name, name) == 0)
			return ks->syms[i].addr;
	return 0;
}

int fw_ksyms_format(const struct fw_ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	const struct fw_ksym *sym = ks ? fw_ksyms_resolve(ks, addr) : NULL;

	if (!sym)
		return snprintf(buf, len, "0x%" PRIx64, addr);
	if (sym->module)
		return snprintf(buf, len, "%s+0x%" PRIx64 " [%s]", sym->name, addr - sym->addr,
				sym->module);
	return snprintf(buf, len, "%s+0x%" PRIx64, sym->name, addr - sym->addr);
}
