/* SPDX-License-Identifier: MIT */
/*
 * A parser for the subset of HCL (HashiCorp Configuration Language, native
 * syntax) that a configuration file needs: blocks with labels, attributes,
 * strings, heredocs, numbers, booleans, null, lists and objects, comments.
 * Wherever HashiCorp's parser (hclsyntax) accepts a file this one accepts,
 * the values are the same (strings in NFC, Unicode names, <<- as HCL trims
 * it); what it cannot hold exactly (integers beyond int64, decimals beyond a
 * double) is refused, never rounded. Expressions (operators, function calls,
 * references, template sequences) are not supported and are reported as
 * such. tests/e2e/test_hcl_conformance.sh checks both against each other.
 *
 * The tree lives in one arena owned by the document: nodes are linked lists
 * in file order, freed all at once by hcl_doc_release().
 *
 * Diagnostics are positioned messages, each rendered as
 *   file:line:col: error: message
 *      12 |     interfce = "eth0"
 *         |     ^
 * Lines and columns count from 1; a column counts characters (UTF-8 code
 * points), so the caret lines up under multibyte text too.
 */
#ifndef FLYWALL_CONFIG_HCL_H
#define FLYWALL_CONFIG_HCL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of blocks, lists and objects the parser accepts. */
#define HCL_MAX_DEPTH 64
/* Errors kept for one file; past it one last error says so, the rest are
 * dropped (a hostile file cannot make error reporting unbounded). */
#define HCL_MAX_DIAGS 1000

struct hcl_pos {
	unsigned line;  /* 0: no position (e.g. the file cannot be read) */
	unsigned col;
	size_t off;     /* byte offset into the text */
};

enum hcl_type { HCL_NULL, HCL_BOOL, HCL_NUMBER, HCL_STRING, HCL_LIST, HCL_OBJECT };

struct hcl_attr;

struct hcl_value {
	enum hcl_type type;
	struct hcl_pos pos;
	struct hcl_value *next;         /* next item of the enclosing list */
	union {
		bool b;
		struct {
			double f;
			int64_t i;      /* valid when is_int */
			bool is_int;    /* a whole number that fits int64, however
					 * written (1e3 and 1000.0 too) */
		} num;
		struct {
			const char *s;  /* NUL-terminated; never contains NUL */
			size_t len;
		} str;
		struct hcl_value *items;        /* HCL_LIST */
		struct hcl_attr *attrs;         /* HCL_OBJECT, keys in file order */
	};
};

/* An attribute of a body, or one key of an object. */
struct hcl_attr {
	const char *key;
	struct hcl_pos pos;             /* of the key */
	struct hcl_value *value;
	struct hcl_attr *next;
};

struct hcl_label {
	const char *text;
	struct hcl_pos pos;
	struct hcl_label *next;
};

struct hcl_block;

struct hcl_body {
	struct hcl_attr *attrs;         /* in file order */
	struct hcl_block *blocks;       /* in file order */
};

struct hcl_block {
	const char *type;
	struct hcl_pos pos;             /* of the type word */
	struct hcl_label *labels;
	size_t n_labels;
	struct hcl_body body;
	struct hcl_block *next;
};

struct hcl_arena_chunk;

struct hcl_doc {
	struct hcl_body body;
	struct hcl_arena_chunk *arena;
};

struct hcl_diag {
	struct hcl_pos pos;
	char *message;                  /* what is wrong and what was expected */
	char *rendered;                 /* "file:line:col: error: ...", line, caret */
};

struct hcl_diags {
	const char *file;               /* name used in messages (not owned) */
	const char *text;               /* the source (not owned) */
	size_t len;
	struct hcl_diag *items;         /* owned */
	size_t count, cap;
	bool out_of_memory;             /* a diagnostic could not be kept */
};

void hcl_diags_init(struct hcl_diags *d, const char *file, const char *text, size_t len);
/* Adds a positioned error; pos.line == 0 renders "file: error: message". */
void hcl_diag_add(struct hcl_diags *d, struct hcl_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Whether HCL_MAX_DIAGS was reached: checkers may stop walking. */
bool hcl_diags_full(const struct hcl_diags *d);
/* Orders the errors by position (stable), as a reader walks the file. */
void hcl_diags_sort(struct hcl_diags *d);
/* All rendered errors, one after the other, and a last line when memory ran
 * out; malloc'd, NULL only when there is no memory even for that. */
char *hcl_diags_render(const struct hcl_diags *d);
void hcl_diags_release(struct hcl_diags *d);

/*
 * Parses text (len bytes, need not be NUL-terminated) into doc. Returns 0, or
 * -EINVAL after adding the first syntax error to diags (the parser stops
 * there; what follows a syntax error cannot be read reliably), or -ENOMEM
 * with diags->out_of_memory set.
 */
int hcl_parse(const char *text, size_t len, struct hcl_doc *doc, struct hcl_diags *diags);
void hcl_doc_release(struct hcl_doc *doc);

/* "string", "number", "bool", "list", "object" or "null". */
const char *hcl_type_name(enum hcl_type type);

#endif
