// SPDX-License-Identifier: MIT
/*
 * hcl_dump FILE: parses FILE with Flywall's HCL parser and prints its
 * attribute/block tree as canonical JSON, in the form tests/hcl-oracle prints
 * for HashiCorp's parser, so the conformance test can compare them byte for
 * byte. Exit 0 with the tree on stdout; exit 1 with the errors on stderr.
 *
 * An attribute set twice in a body, or a key twice in an object, is refused
 * here as the configuration layer refuses it (HCL refuses the first and
 * keeps the last of the second).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/hcl.h"

static void put_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Shortest "d.ddde+XX" that reads back as f (Go's FormatFloat(f, 'e', -1, 64)). */
static void put_double(double f)
{
	char buf[64];

	for (int prec = 0; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	fputs(buf, stdout);
}

static const struct hcl_attr *duplicate(const struct hcl_attr *list)
{
	for (const struct hcl_attr *a = list; a; a = a->next)
		for (const struct hcl_attr *b = a->next; b; b = b->next)
			if (strcmp(a->key, b->key) == 0)
				return b;
	return NULL;
}

static int cmp_attr(const void *x, const void *y)
{
	return strcmp((*(const struct hcl_attr *const *)x)->key,
		      (*(const struct hcl_attr *const *)y)->key);
}

static int put_value(const struct hcl_value *v);

/* {"k":v,...} with sorted keys; -1 on a duplicate key. */
static int put_attrs(const struct hcl_attr *list)
{
	const struct hcl_attr *dup = duplicate(list), **sorted;
	size_t n = 0;
	int ret = 0;

	if (dup) {
		fprintf(stderr, "%u:%u: duplicate \"%s\"\n", dup->pos.line, dup->pos.col, dup->key);
		return -1;
	}
	for (const struct hcl_attr *a = list; a; a = a->next)
		n++;
	sorted = calloc(n + 1, sizeof(*sorted));
	if (!sorted)
		abort();
	n = 0;
	for (const struct hcl_attr *a = list; a; a = a->next)
		sorted[n++] = a;
	qsort(sorted, n, sizeof(*sorted), cmp_attr);
	putchar('{');
	for (size_t i = 0; i < n && !ret; i++) {
		if (i)
			putchar(',');
		put_string(sorted[i]->key);
		putchar(':');
		ret = put_value(sorted[i]->value);
	}
	putchar('}');
	free(sorted);
	return ret;
}

static int put_value(const struct hcl_value *v)
{
	int ret = 0;

	switch (v->type) {
	case HCL_NULL: fputs("null", stdout); break;
	case HCL_BOOL: fputs(v->b ? "true" : "false", stdout); break;
	case HCL_STRING: put_string(v->str.s); break;
	case HCL_NUMBER:
		if (v->num.is_int)
			printf("%" PRId64, v->num.i);
		else
			put_double(v->num.f);
		break;
	case HCL_LIST:
		putchar('[');
		for (const struct hcl_value *i = v->items; i && !ret; i = i->next) {
			if (i != v->items)
				putchar(',');
			ret = put_value(i);
		}
		putchar(']');
		break;
	case HCL_OBJECT:
		ret = put_attrs(v->attrs);
		break;
	}
	return ret;
}

static int put_body(const struct hcl_body *body)
{
	int ret;

	fputs("{\"attributes\":", stdout);
	ret = put_attrs(body->attrs);
	fputs(",\"blocks\":[", stdout);
	for (const struct hcl_block *b = body->blocks; b && !ret; b = b->next) {
		if (b != body->blocks)
			putchar(',');
		fputs("{\"type\":", stdout);
		put_string(b->type);
		fputs(",\"labels\":[", stdout);
		for (const struct hcl_label *l = b->labels; l; l = l->next) {
			if (l != b->labels)
				putchar(',');
			put_string(l->text);
		}
		fputs("],\"body\":", stdout);
		ret = put_body(&b->body);
		putchar('}');
	}
	fputs("]}", stdout);
	return ret;
}

int main(int argc, char **argv)
{
	struct hcl_diags diags;
	struct hcl_doc doc;
	char *text = NULL, *rendered;
	size_t len = 0;
	FILE *f;
	int ret;

	if (argc != 2) {
		fputs("usage: hcl_dump FILE\n", stderr);
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (long)(len = ftell(f)) < 0) {
		perror(argv[1]);
		return 2;
	}
	rewind(f);
	text = malloc(len + 1);
	if (!text || fread(text, 1, len, f) != len) {
		perror(argv[1]);
		return 2;
	}
	fclose(f);

	hcl_diags_init(&diags, argv[1], text, len);
	if (hcl_parse(text, len, &doc, &diags)) {
		rendered = hcl_diags_render(&diags);
		fputs(rendered, stderr);
		free(rendered);
		hcl_diags_release(&diags);
		free(text);
		return 1;
	}
	ret = put_body(&doc.body);
	putchar('\n');
	hcl_doc_release(&doc);
	hcl_diags_release(&diags);
	free(text);
	return ret ? 1 : 0;
}
