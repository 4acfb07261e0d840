// SPDX-License-Identifier: MIT
/*
 * HCL lexer and recursive-descent parser. Every read of the source goes
 * through peek_at(), which returns 0 past the end, so no input can make the
 * parser read out of bounds; nesting is capped at HCL_MAX_DEPTH so no input
 * can exhaust the stack. The first syntax error longjmps out of the parse:
 * the tree is in an arena, so nothing leaks. Running out of memory during a
 * parse leaves the same way (hcl_parse returns -ENOMEM); elsewhere (adding
 * and rendering diagnostics) it marks the diagnostics out_of_memory. This
 * longjmp is the one exception to the C side's error convention
 * (docs/architecture.md, "Errors"), and it never leaves hcl_parse.
 */
#include "config/hcl.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <unigbrk.h>
#include <uninorm.h>
#include <unistr.h>

/* ---- memory ---------------------------------------------------------- */

/* Where a parse on this thread goes when memory runs out (hcl_parse). */
static __thread jmp_buf *parse_oom;

/* realloc; on failure a parse in progress is abandoned, else NULL (p kept). */
static void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (!q && parse_oom)
		longjmp(*parse_oom, 2);
	return q;
}

struct hcl_arena_chunk {
	struct hcl_arena_chunk *next;
	size_t used, cap;
	_Alignas(max_align_t) char data[];
};

static void *arena_alloc(struct hcl_arena_chunk **arena, size_t size)
{
	struct hcl_arena_chunk *c = *arena;
	size_t align = _Alignof(max_align_t);
	void *p;

	size = (size + align - 1) / align * align;
	if (!c || c->cap - c->used < size) {
		size_t cap = size > 16384 ? size : 16384;

		c = xrealloc(NULL, sizeof(*c) + cap);   /* parse only: never NULL */
		c->next = *arena;
		c->used = 0;
		c->cap = cap;
		*arena = c;
	}
	p = c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

static char *arena_strndup(struct hcl_arena_chunk **arena, const char *s, size_t len)
{
	char *p = arena_alloc(arena, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void hcl_doc_release(struct hcl_doc *doc)
{
	struct hcl_arena_chunk *c = doc->arena, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	memset(doc, 0, sizeof(*doc));
}

const char *hcl_type_name(enum hcl_type type)
{
	switch (type) {
	case HCL_BOOL: return "bool";
	case HCL_NUMBER: return "number";
	case HCL_STRING: return "string";
	case HCL_LIST: return "list";
	case HCL_OBJECT: return "object";
	default: return "null";
	}
}

/* ---- diagnostics ----------------------------------------------------- */

void hcl_diags_init(struct hcl_diags *d, const char *file, const char *text, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
	d->text = text;
	d->len = len;
}

struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;                       /* an addition was dropped */
};

static void sb_add(struct strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		char *bigger = xrealloc(b->s, (b->len + n + 1) * 2);

		if (!bigger) {
			b->oom = true;
			return;
		}
		b->s = bigger;
		b->cap = (b->len + n + 1) * 2;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_printf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	char small[512], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_add(b, small, n);
		return;
	}
	big = xrealloc(NULL, n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, n);
	free(big);
}

static bool utf8_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* Longest part of a source line shown under an error. */
#define SHOWN_LINE_MAX 400

/*
 * The source line of pos, and a caret under its column. Control characters
 * are shown as '?' so a hostile file cannot drive the terminal; tabs are kept
 * in both lines so the caret still lines up.
 */
static void render_source_line(struct strbuf *b, const struct hcl_diags *d,
			       struct hcl_pos pos)
{
	size_t start = pos.off < d->len ? pos.off : d->len, end, i;
	unsigned col = 1;

	while (start > 0 && d->text[start - 1] != '\n')
		start--;
	end = start;
	while (end < d->len && d->text[end] != '\n' && end - start < SHOWN_LINE_MAX)
		end++;
	if (end > start && d->text[end - 1] == '\r')
		end--;

	sb_printf(b, "%6u | ", pos.line);
	for (i = start; i < end; i++) {
		unsigned char c = d->text[i];

		sb_add(b, c == '\t' || c >= 0x20 ? (const char *)&d->text[i] : "?", 1);
	}
	sb_add(b, "\n       | ", 10);
	for (i = start; i < end && col < pos.col; i++) {
		if (utf8_continuation(d->text[i]))
			continue;
		sb_add(b, d->text[i] == '\t' ? "\t" : " ", 1);
		col++;
	}
	sb_add(b, "^\n", 2);
}

bool hcl_diags_full(const struct hcl_diags *d)
{
	return d->count > HCL_MAX_DIAGS || d->out_of_memory;
}

void hcl_diag_add(struct hcl_diags *d, struct hcl_pos pos, const char *fmt, ...)
{
	struct strbuf msg = { 0 }, out = { 0 };
	struct hcl_diag *diag;
	char small[1024];
	va_list ap;

	if (hcl_diags_full(d))
		return;
	if (d->count == HCL_MAX_DIAGS) {
		snprintf(small, sizeof(small), "too many errors (more than %d); fix these first",
			 HCL_MAX_DIAGS);
	} else {
		va_start(ap, fmt);
		vsnprintf(small, sizeof(small), fmt, ap);
		va_end(ap);
	}
	sb_add(&msg, small, strlen(small));

	if (pos.line) {
		sb_printf(&out, "%s:%u:%u: error: %s\n", d->file, pos.line, pos.col, msg.s);
		render_source_line(&out, d, pos);
	} else {
		sb_printf(&out, "%s: error: %s\n", d->file, msg.s);
	}

	if (d->count == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct hcl_diag *items = xrealloc(d->items, cap * sizeof(*d->items));

		if (items) {
			d->items = items;
			d->cap = cap;
		}
	}
	if (d->count == d->cap || msg.oom || out.oom) {
		d->out_of_memory = true;
		free(msg.s);
		free(out.s);
		return;
	}
	diag = &d->items[d->count++];
	diag->pos = pos;
	diag->message = msg.s;
	diag->rendered = out.s;
}

void hcl_diags_sort(struct hcl_diags *d)
{
	/* Insertion sort: stable, and error lists are short and nearly sorted. */
	for (size_t i = 1; i < d->count; i++) {
		struct hcl_diag key = d->items[i];
		size_t j = i;

		while (j > 0 && (d->items[j - 1].pos.line > key.pos.line ||
				 (d->items[j - 1].pos.line == key.pos.line &&
				  d->items[j - 1].pos.col > key.pos.col))) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = key;
	}
}

char *hcl_diags_render(const struct hcl_diags *d)
{
	struct strbuf out = { 0 };

	sb_add(&out, "", 0);
	for (size_t i = 0; i < d->count; i++)
		sb_add(&out, d->items[i].rendered, strlen(d->items[i].rendered));
	if (d->out_of_memory)
		sb_printf(&out, "%s: error: out of memory (errors may be missing)\n", d->file);
	return out.s;
}

void hcl_diags_release(struct hcl_diags *d)
{
	for (size_t i = 0; i < d->count; i++) {
		free(d->items[i].message);
		free(d->items[i].rendered);
	}
	free(d->items);
	d->items = NULL;
	d->count = d->cap = 0;
}

/* ---- lexer ----------------------------------------------------------- */

enum tok_type {
	TOK_EOF, TOK_NEWLINE, TOK_IDENT, TOK_STRING, TOK_NUMBER,
	TOK_LBRACE, TOK_RBRACE, TOK_LBRACK, TOK_RBRACK,
	TOK_EQUALS, TOK_COLON, TOK_COMMA,
	TOK_OPERATOR,   /* an expression's operator or parenthesis: text holds it */
};

struct token {
	enum tok_type type;
	struct hcl_pos pos;
	const char *text;       /* ident, string value (arena); NULL otherwise */
	size_t len;
	double f;
	int64_t i;
	bool is_int;
	bool heredoc;
};

struct parser {
	const char *src;
	size_t len;
	struct hcl_pos at;      /* position of the next unread character */
	struct token tok;       /* current lookahead */
	struct hcl_arena_chunk **arena;
	struct hcl_diags *diags;
	struct strbuf scratch;  /* string being decoded */
	jmp_buf fail;
};

static void fail(struct parser *p, struct hcl_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
static void fail(struct parser *p, struct hcl_pos pos, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hcl_diag_add(p->diags, pos, "%s", msg);
	longjmp(p->fail, 1);
}

/*
 * Operators, function calls, references, conditionals and templates are HCL
 * expressions, which need an evaluation context Flywall does not have: one
 * message for all of them, saying which was found.
 */
static void fail_expression(struct parser *p, struct hcl_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
static void fail_expression(struct parser *p, struct hcl_pos pos, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fail(p, pos, "expressions are not supported in Flywall's HCL: %s", what);
}

static unsigned char peek_at(const struct parser *p, size_t ahead)
{
	size_t off = p->at.off + ahead;

	return off < p->len ? (unsigned char)p->src[off] : 0;
}

static bool at_end(const struct parser *p)
{
	return p->at.off >= p->len;
}

static void advance(struct parser *p)
{
	unsigned char c;

	if (at_end(p))
		return;
	c = p->src[p->at.off++];
	if (c == '\n') {
		p->at.line++;
		p->at.col = 1;
	} else if (!utf8_continuation(c)) {
		p->at.col++;
	}
}

static bool is_ascii_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* An ASCII character that can continue a name (numbers check what follows them). */
static bool is_ident_char(unsigned char c)
{
	return is_ascii_letter(c) || is_digit(c) || c == '_' || c == '-';
}

/* The code point at off (the source was checked to be UTF-8); *n is its length, 0 at the end. */
static ucs4_t code_point_at(const struct parser *p, size_t off, size_t *n)
{
	ucs4_t uc = 0;

	*n = off < p->len ? (size_t)u8_mbtouc(&uc, (const uint8_t *)p->src + off, p->len - off) : 0;
	return uc;
}

/*
 * Length of the identifier character at off, 0 if there is none. HCL's
 * identifiers are Unicode's: (ID_Start | '_') (ID_Continue | '-')*.
 */
static size_t ident_char_len(const struct parser *p, size_t off, bool first)
{
	unsigned char c = off < p->len ? p->src[off] : 0;
	size_t n;
	ucs4_t uc;

	if (c < 0x80) {
		if (first)
			return is_ascii_letter(c) || c == '_';
		return is_ident_char(c);
	}
	uc = code_point_at(p, off, &n);
	return (first ? uc_is_property_id_start(uc) : uc_is_property_id_continue(uc)) ? n : 0;
}

/* Consumes an identifier at the current position; returns its length in bytes. */
static size_t scan_ident(struct parser *p)
{
	size_t start = p->at.off, n = ident_char_len(p, p->at.off, true);

	while (n) {
		for (size_t k = 0; k < n; k++)
			advance(p);
		n = ident_char_len(p, p->at.off, false);
	}
	return p->at.off - start;
}

/* A character for a message: 'x', U+20AC '€' when not ASCII, \xNN when not printable. */
static const char *show_char_at(const struct parser *p, size_t off, char buf[32])
{
	unsigned char c = off < p->len ? p->src[off] : 0;
	size_t n;
	ucs4_t uc;

	if (c >= 0x21 && c < 0x7f) {
		snprintf(buf, 32, "'%c'", c);
	} else if (c >= 0x80) {
		uc = code_point_at(p, off, &n);
		if (uc_is_property_white_space(uc) || uc_is_general_category(uc, UC_CATEGORY_C))
			snprintf(buf, 32, "U+%04X", (unsigned)uc);
		else
			snprintf(buf, 32, "U+%04X '%.*s'", (unsigned)uc, (int)n, p->src + off);
	} else {
		snprintf(buf, 32, "\\x%02x", c);
	}
	return buf;
}

/* A character for a message: 'x', or \xNN when it is not printable. */
static const char *show_char(unsigned char c, char buf[8])
{
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02x", c);
	return buf;
}

/* Skips blanks and comments; stops at a newline (which is a token). */
static void skip_blanks(struct parser *p)
{
	for (;;) {
		unsigned char c = peek_at(p, 0);

		if (at_end(p))
			return;
		if (c == ' ' || c == '\t' || (c == '\r' && peek_at(p, 1) == '\n')) {
			advance(p);
		} else if (c == '\r') {
			fail(p, p->at, "a carriage return (\\r) is only allowed before a newline");
		} else if (c == '#' || (c == '/' && peek_at(p, 1) == '/')) {
			while (!at_end(p) && peek_at(p, 0) != '\n')
				advance(p);
		} else if (c == '/' && peek_at(p, 1) == '*') {
			struct hcl_pos start = p->at;

			advance(p);
			advance(p);
			while (!(peek_at(p, 0) == '*' && peek_at(p, 1) == '/')) {
				if (at_end(p))
					fail(p, start, "unterminated /* comment; expected */ before the end of the file");
				advance(p);
			}
			advance(p);
			advance(p);
		} else {
			return;
		}
	}
}

static void put_utf8(struct strbuf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = 0xc0 | (cp >> 6);
		u[1] = 0x80 | (cp & 0x3f);
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = 0xe0 | (cp >> 12);
		u[1] = 0x80 | ((cp >> 6) & 0x3f);
		u[2] = 0x80 | (cp & 0x3f);
		n = 3;
	} else {
		u[0] = 0xf0 | (cp >> 18);
		u[1] = 0x80 | ((cp >> 12) & 0x3f);
		u[2] = 0x80 | ((cp >> 6) & 0x3f);
		u[3] = 0x80 | (cp & 0x3f);
		n = 4;
	}
	sb_add(b, u, n);
}

static int hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \uNNNN or \UNNNNNNNN, the backslash and letter already consumed. */
static void lex_unicode_escape(struct parser *p, struct hcl_pos esc, int digits)
{
	uint32_t cp = 0;

	for (int k = 0; k < digits; k++) {
		int v = hex_value(peek_at(p, 0));

		if (at_end(p) || v < 0)
			fail(p, esc, "invalid unicode escape; expected \\%c followed by %d hex digits",
			     digits == 4 ? 'u' : 'U', digits);
		cp = cp << 4 | v;
		advance(p);
	}
	if (cp == 0)
		fail(p, esc, "a string cannot contain a NUL character (\\u0000)");
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		fail(p, esc, "invalid unicode escape: U+%04X is not a character", cp);
	put_utf8(&p->scratch, cp);
}

static void lex_escape(struct parser *p)
{
	struct hcl_pos esc = p->at;
	unsigned char c;
	char shown[8];

	advance(p); /* the backslash */
	c = peek_at(p, 0);
	if (at_end(p) || c == '\n')
		fail(p, esc, "unterminated escape at the end of the line; expected a character after \\");
	advance(p);
	switch (c) {
	case 'n': sb_add(&p->scratch, "\n", 1); break;
	case 'r': sb_add(&p->scratch, "\r", 1); break;
	case 't': sb_add(&p->scratch, "\t", 1); break;
	case '"': sb_add(&p->scratch, "\"", 1); break;
	case '\\': sb_add(&p->scratch, "\\", 1); break;
	case 'u': lex_unicode_escape(p, esc, 4); break;
	case 'U': lex_unicode_escape(p, esc, 8); break;
	default:
#define ESCAPES "expected one of \\n \\r \\t \\\" \\\\ \\uNNNN \\UNNNNNNNN"
		if (c >= 0x21 && c < 0x7f)
			fail(p, esc, "invalid escape \\%c in a string; " ESCAPES, c);
		fail(p, esc, "invalid escape in a string: \\ followed by %s; " ESCAPES,
		     show_char(c, shown));
#undef ESCAPES
	}
}

/*
 * At $ or %: $${ and %%{ are a literal ${ and %{ (consumed, true); ${ and %{
 * open a template sequence, which Flywall does not evaluate (an error).
 */
static bool lex_template_escape(struct parser *p)
{
	unsigned char c = peek_at(p, 0);

	if (c != '$' && c != '%')
		return false;
	if (peek_at(p, 1) == c && peek_at(p, 2) == '{') {
		sb_add(&p->scratch, (const char *)&p->src[p->at.off], 1);
		sb_add(&p->scratch, "{", 1);
		advance(p);
		advance(p);
		advance(p);
		return true;
	}
	if (peek_at(p, 1) == '{')
		fail_expression(p, p->at, "%c{...} is a template %s; write %c%c{ for a literal %c{",
				c, c == '$' ? "interpolation" : "directive", c, c, c);
	return false;
}

static void lex_string(struct parser *p, struct token *t)
{
	struct hcl_pos open = p->at;

	p->scratch.len = 0;
	sb_add(&p->scratch, "", 0);
	advance(p); /* opening quote */
	for (;;) {
		unsigned char c = peek_at(p, 0);

		if (at_end(p) || c == '\n')
			fail(p, open, "unterminated string; expected a closing \" on the same line");
		if (c == '\r')
			fail(p, p->at, "a quoted string cannot contain a carriage return; write \\r for one");
		if (c == '"')
			break;
		if (c == '\\') {
			lex_escape(p);
			continue;
		}
		if (lex_template_escape(p))
			continue;
		if (c == '\0')
			fail(p, p->at, "a string cannot contain a NUL byte");
		sb_add(&p->scratch, (const char *)&p->src[p->at.off], 1);
		advance(p);
	}
	advance(p); /* closing quote */
	t->type = TOK_STRING;
	t->text = arena_strndup(p->arena, p->scratch.s, p->scratch.len);
	t->len = p->scratch.len;
}

/* Length of the line starting at off, without its newline. */
static size_t line_length(const struct parser *p, size_t off)
{
	size_t end = off;

	while (end < p->len && p->src[end] != '\n')
		end++;
	return end - off;
}

/* Bytes of Unicode white space (what HCL's <<- counts) that start the n bytes at off. */
static size_t leading_space(const struct parser *p, size_t off, size_t n)
{
	size_t i = 0, k;

	while (i < n && uc_is_property_white_space(code_point_at(p, off + i, &k)))
		i += k;
	return i;
}

/*
 * Whether the line at off is exactly the marker once Unicode white space
 * (\r included) is trimmed from both ends, as HCL's bytes.TrimSpace does.
 */
static bool is_heredoc_end(const struct parser *p, size_t off, const char *marker,
			   size_t marker_len)
{
	size_t n = line_length(p, off), start = leading_space(p, off, n), end = start, at = start, k;

	while (at < n) { /* end: just after the last character that is not white space */
		ucs4_t uc = code_point_at(p, off + at, &k);

		at += k;
		if (!uc_is_property_white_space(uc))
			end = at;
	}
	return end - start == marker_len && memcmp(p->src + off + start, marker, marker_len) == 0;
}

/* Grapheme clusters in s[0..n): HCL measures <<- indentation in them. */
static size_t count_graphemes(const char *s, size_t n)
{
	const uint8_t *u = (const uint8_t *)s, *end = u + n;
	size_t count = 0;

	while (u < end) {
		u = u8_grapheme_next(u, end);
		count++;
	}
	return count;
}

/* Bytes taken by the first k grapheme clusters of s[0..n). */
static size_t graphemes_len(const char *s, size_t n, size_t k)
{
	const uint8_t *u = (const uint8_t *)s, *end = u + n;

	while (k-- && u < end)
		u = u8_grapheme_next(u, end);
	return u - (const uint8_t *)s;
}

/*
 * <<- as HCL does it: the least indentation of the lines that are not all
 * white space, counted in grapheme clusters of Unicode white space, is
 * removed from those lines; all-white-space lines are left alone. Returns
 * the least indentation (SIZE_MAX when every line is blank).
 */
static size_t heredoc_indent(const struct parser *p, size_t body_start, size_t body_end)
{
	size_t indent = SIZE_MAX;

	for (size_t l = body_start; l < body_end;) {
		size_t n = line_length(p, l), space = leading_space(p, l, n);

		if (space < n) {
			size_t clusters = count_graphemes(p->src + l, space);

			if (clusters < indent)
				indent = clusters;
		}
		l += n + 1;
	}
	return indent;
}

/* A carriage return in the heredoc line at off (line number line) must end it. */
static void check_carriage_returns(struct parser *p, size_t off, size_t n, unsigned line)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p->src[off + i] == '\r') {
			struct hcl_pos pos = { .line = line, .col = 1, .off = off + i };

			for (size_t k = 0; k < i; k++)
				pos.col += !utf8_continuation(p->src[off + k]);
			fail(p, pos, "a carriage return (\\r) is only allowed before a newline");
		}
	}
}

/*
 * <<MARKER or <<-MARKER, then lines up to one holding only MARKER (and
 * blanks), which ends with a newline. No backslash escapes; $${ and %%{ are
 * a literal ${ and %{, and ${ or %{ alone is a template (refused).
 */
static void lex_heredoc(struct parser *p, struct token *t)
{
	struct hcl_pos open = p->at;
	size_t marker_off, marker_len, body_start, off, indent = 0;
	bool strip;
	char marker[128];

	advance(p);
	advance(p);
	strip = peek_at(p, 0) == '-';
	if (strip)
		advance(p);
	marker_off = p->at.off;
	marker_len = scan_ident(p);
	if (!marker_len)
		fail(p, p->at, "expected a heredoc marker such as EOF after <<");
	if (marker_len >= sizeof(marker))
		fail(p, open, "heredoc marker is longer than %zu bytes", sizeof(marker) - 1);
	memcpy(marker, p->src + marker_off, marker_len);
	marker[marker_len] = '\0';
	if (peek_at(p, 0) == '\r' && peek_at(p, 1) == '\n')
		advance(p);
	if (peek_at(p, 0) != '\n')
		fail(p, p->at, "expected a newline after the heredoc marker <<%s%s", strip ? "-" : "", marker);
	advance(p);

	body_start = off = p->at.off;
	for (unsigned line = p->at.line;; line++) {
		size_t n = line_length(p, off);

		check_carriage_returns(p, off, n, line);
		if (is_heredoc_end(p, off, marker, marker_len))
			break;
		if (off + n >= p->len)
			fail(p, open, "unterminated heredoc; expected a line holding only %s", marker);
		off += n + 1;
	}
	if (off + line_length(p, off) >= p->len)
		fail(p, open, "the heredoc's closing %s must end with a newline", marker);
	if (strip)
		indent = heredoc_indent(p, body_start, off);

	p->scratch.len = 0;
	sb_add(&p->scratch, "", 0);
	while (p->at.off < off) {
		size_t n = line_length(p, p->at.off);

		if (strip && leading_space(p, p->at.off, n) < n) {
			size_t skip = graphemes_len(p->src + p->at.off, n + 1, indent);

			while (skip--)
				advance(p);
		}
		while (peek_at(p, 0) != '\n') {
			if (lex_template_escape(p))
				continue;
			if (peek_at(p, 0) == '\0')
				fail(p, p->at, "a heredoc cannot contain a NUL byte");
			sb_add(&p->scratch, p->src + p->at.off, 1);
			advance(p);
		}
		sb_add(&p->scratch, "\n", 1);
		advance(p);
	}
	/* Leave the newline that ends the marker line: it ends the attribute. */
	while (p->at.off < off + line_length(p, off))
		advance(p);

	t->type = TOK_STRING;
	t->heredoc = true;
	t->text = arena_strndup(p->arena, p->scratch.s, p->scratch.len);
	t->len = p->scratch.len;
}

static void lex_digits(struct parser *p)
{
	while (is_digit(peek_at(p, 0)))
		advance(p);
}

/* A decimal literal as digits × 10^exp10: no leading or trailing zeros in digits. */
struct decimal {
	char *digits;           /* room for every digit of the literal */
	size_t n;
	long exp10;
	bool negative;
};

static void decimal_parse(const char *text, struct decimal *d)
{
	const char *c = text;
	long e = 0;
	bool e_negative;

	d->n = 0;
	d->exp10 = 0;
	d->negative = *c == '-';
	c += d->negative;
	for (; is_digit(*c); c++)
		if (d->n || *c != '0')
			d->digits[d->n++] = *c;
	if (*c == '.')
		for (c++; is_digit(*c); c++, d->exp10--)
			if (d->n || *c != '0')
				d->digits[d->n++] = *c;
	if (*c == 'e' || *c == 'E') {
		c++;
		e_negative = *c == '-';
		c += *c == '-' || *c == '+';
		for (; is_digit(*c); c++)
			if (e < 1000000) /* far past any double: saturate */
				e = e * 10 + (*c - '0');
		d->exp10 += e_negative ? -e : e;
	}
	while (d->n && d->digits[d->n - 1] == '0') {
		d->n--;
		d->exp10++;
	}
}

/* The whole number d as an int64, if it is one and fits. */
static bool decimal_int64(const struct decimal *d, int64_t *out)
{
	uint64_t mag = 0, limit = d->negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	if (d->n == 0) {
		*out = 0;
		return true;
	}
	if (d->exp10 < 0 || d->n + d->exp10 > 19)
		return false;
	for (long k = 0; k < (long)d->n + d->exp10; k++) {
		unsigned digit = k < (long)d->n ? d->digits[k] - '0' : 0;

		if (mag > (limit - digit) / 10)
			return false;
		mag = mag * 10 + digit;
	}
	*out = d->negative ? (int64_t)(0 - mag) : (int64_t)mag;
	return true;
}

/* Whether the double f is exactly the decimal d to d's written precision. */
static bool decimal_is_double(const struct decimal *d, double f)
{
	char shown[64], *c = shown;
	size_t k = 0;
	long e;

	if (d->n > 17)
		return false;
	snprintf(shown, sizeof(shown), "%.*e", (int)d->n - 1, fabs(f));
	for (; *c && *c != 'e'; c++) {
		if (*c == '.')
			continue;
		if (k >= d->n || *c != d->digits[k++])
			return false;
	}
	e = strtol(c + 1, NULL, 10);
	return k == d->n && e - (long)(d->n - 1) == d->exp10;
}

/*
 * -?digits(.digits)?([eE][+-]?digits)?. HCL keeps numbers exactly (512-bit
 * floats); Flywall keeps whole numbers as int64 and the rest as doubles, so
 * a number either of them would change is refused, never rounded.
 */
static void lex_number(struct parser *p, struct token *t)
{
	size_t start = p->at.off, len;
	bool written_int = true;
	struct decimal d;
	char *buf, shown[8];

	if (peek_at(p, 0) == '-')
		advance(p);
	lex_digits(p);
	if (peek_at(p, 0) == '.') {
		unsigned char e = peek_at(p, 1), sign = peek_at(p, 2) == '+' || peek_at(p, 2) == '-';

		written_int = false;
		advance(p);
		/* HCL reads "1.e3" as 1000: a point without digits before an exponent */
		if (!is_digit(peek_at(p, 0)) && !((e == 'e' || e == 'E') && is_digit(peek_at(p, 1 + sign))))
			fail(p, p->at, "expected a digit after the decimal point");
		lex_digits(p);
	}
	if (peek_at(p, 0) == 'e' || peek_at(p, 0) == 'E') {
		size_t sign = peek_at(p, 1) == '+' || peek_at(p, 1) == '-';

		if (is_digit(peek_at(p, 1 + sign))) {
			written_int = false;
			advance(p);
			if (sign)
				advance(p);
			lex_digits(p);
		}
	}
	/* a '-' right after a number is a subtraction: the parser reports it */
	if ((is_ident_char(peek_at(p, 0)) && peek_at(p, 0) != '-') || peek_at(p, 0) == '.')
		fail(p, t->pos, "unexpected %s after the number %.*s; a value with a unit, such as \"10gbit\", is a string and needs quotes",
		     show_char(peek_at(p, 0), shown), (int)(p->at.off - start), p->src + start);

	len = p->at.off - start;
	buf = arena_strndup(p->arena, p->src + start, len);
	d.digits = arena_alloc(p->arena, len);
	t->type = TOK_NUMBER;
	decimal_parse(buf, &d);
	t->is_int = decimal_int64(&d, &t->i);
	if (t->is_int) {
		t->f = (double)t->i;
		return;
	}
	if (written_int)
		fail(p, t->pos, "%s does not fit in a 64-bit integer (-9223372036854775808 to 9223372036854775807); HCL would keep it exactly, Flywall refuses rather than round it",
		     buf);
	if (d.n > 17) /* before strtod, which would read every digit */
		fail(p, t->pos, "%s has more significant digits than a 64-bit floating-point number keeps (15 to 17); HCL would keep them, Flywall refuses rather than round it",
		     buf);
	t->f = strtod(buf, NULL);
	if (isinf(t->f))
		fail(p, t->pos, "%s is too large for a 64-bit floating-point number", buf);
	if (t->f == 0)
		fail(p, t->pos, "%s is too small for a 64-bit floating-point number: it would become 0", buf);
	if (!decimal_is_double(&d, t->f))
		fail(p, t->pos, "%s has more significant digits than a 64-bit floating-point number keeps (15 to 17); HCL would keep them, Flywall refuses rather than round it",
		     buf);
}

/* HCL's operators, longest first: only to say "expressions are not supported". */
static bool lex_operator(struct parser *p, struct token *t)
{
	static const char *const ops[] = {
		"...", "==", "!=", "<=", ">=", "&&", "||", "=>",
		"+", "-", "*", "/", "%", "<", ">", "!", "?", ".", "(", ")",
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i]);

		if (n <= p->len - p->at.off && memcmp(p->src + p->at.off, ops[i], n) == 0) {
			t->type = TOK_OPERATOR;
			t->text = ops[i];
			t->len = n;
			while (n--)
				advance(p);
			return true;
		}
	}
	return false;
}

static void lex(struct parser *p)
{
	struct token *t = &p->tok;
	unsigned char c;
	char shown[32];

	skip_blanks(p);
	memset(t, 0, sizeof(*t));
	t->pos = p->at;
	if (at_end(p)) {
		t->type = TOK_EOF;
		return;
	}
	c = peek_at(p, 0);
	if (c == '"') {
		lex_string(p, t);
		return;
	}
	if (c == '<' && peek_at(p, 1) == '<') {
		lex_heredoc(p, t);
		return;
	}
	if (is_digit(c) || (c == '-' && is_digit(peek_at(p, 1)))) {
		lex_number(p, t);
		return;
	}
	if (ident_char_len(p, p->at.off, true)) {
		size_t start = p->at.off;

		t->type = TOK_IDENT;
		t->len = scan_ident(p);
		t->text = arena_strndup(p->arena, p->src + start, t->len);
		return;
	}
	if (((c && strchr("+-*/%<>!&|?.()", c)) ||
	     (c == '=' && (peek_at(p, 1) == '=' || peek_at(p, 1) == '>'))) && lex_operator(p, t))
		return;
	switch (c) {
	case '\n': t->type = TOK_NEWLINE; break;
	case '{': t->type = TOK_LBRACE; break;
	case '}': t->type = TOK_RBRACE; break;
	case '[': t->type = TOK_LBRACK; break;
	case ']': t->type = TOK_RBRACK; break;
	case '=': t->type = TOK_EQUALS; break;
	case ':': t->type = TOK_COLON; break;
	case ',': t->type = TOK_COMMA; break;
	default:
		fail(p, p->at, "unexpected character %s", show_char_at(p, p->at.off, shown));
	}
	advance(p);
}

/* ---- parser ---------------------------------------------------------- */

/* The current token, as a message names it: "newline", "\"}\"", ... */
static const char *describe(const struct token *t, char *buf, size_t size)
{
	static const char *const punct[] = {
		[TOK_LBRACE] = "\"{\"", [TOK_RBRACE] = "\"}\"",
		[TOK_LBRACK] = "\"[\"", [TOK_RBRACK] = "\"]\"",
		[TOK_EQUALS] = "\"=\"", [TOK_COLON] = "\":\"", [TOK_COMMA] = "\",\"",
	};

	switch (t->type) {
	case TOK_EOF: return "the end of the file";
	case TOK_NEWLINE: return "a newline";
	case TOK_IDENT: snprintf(buf, size, "%.40s", t->text); return buf;
	case TOK_STRING: return t->heredoc ? "a heredoc" : "a string";
	case TOK_NUMBER: return "a number";
	case TOK_OPERATOR: snprintf(buf, size, "\"%s\"", t->text); return buf;
	default: return punct[t->type];
	}
}

static void fail_expected(struct parser *p, const char *expected)
	__attribute__((noreturn));
static void fail_expected(struct parser *p, const char *expected)
{
	char buf[64];

	fail(p, p->tok.pos, "expected %s, found %s", expected, describe(&p->tok, buf, sizeof(buf)));
}

static void skip_newlines(struct parser *p)
{
	while (p->tok.type == TOK_NEWLINE)
		lex(p);
}

static void check_depth(struct parser *p, unsigned depth)
{
	if (depth > HCL_MAX_DEPTH)
		fail(p, p->tok.pos, "nesting is deeper than %d levels", HCL_MAX_DEPTH);
}

static struct hcl_value *parse_value(struct parser *p, unsigned depth);
static void reject_operator(struct parser *p) __attribute__((noreturn));
static const char *nfc(struct parser *p, const char *s, size_t len, size_t *out_len);

static struct hcl_value *new_value(struct parser *p, enum hcl_type type)
{
	struct hcl_value *v = arena_alloc(p->arena, sizeof(*v));

	v->type = type;
	v->pos = p->tok.pos;
	return v;
}

/* '[' (value (',' value)* ','?)? ']', newlines allowed anywhere inside. */
static struct hcl_value *parse_list(struct parser *p, unsigned depth)
{
	struct hcl_value *list = new_value(p, HCL_LIST), **tail = &list->items;

	lex(p);
	for (;;) {
		skip_newlines(p);
		if (p->tok.type == TOK_RBRACK)
			break;
		*tail = parse_value(p, depth + 1);
		tail = &(*tail)->next;
		skip_newlines(p);
		if (p->tok.type == TOK_COMMA)
			lex(p);
		else if (p->tok.type != TOK_RBRACK)
			fail_expected(p, "\",\" or \"]\" after a list item");
	}
	lex(p);
	return list;
}

/* '{' (key ('='|':') value (','|newline)*)* '}', keys bare or quoted. */
static struct hcl_value *parse_object(struct parser *p, unsigned depth)
{
	struct hcl_value *obj = new_value(p, HCL_OBJECT);
	struct hcl_attr **tail = &obj->attrs;

	lex(p);
	skip_newlines(p);
	/* HCL reads "{ for" as a for expression, whatever follows */
	if (p->tok.type == TOK_IDENT && strcmp(p->tok.text, "for") == 0)
		fail_expression(p, p->tok.pos, "found a for expression; write the list or object itself");
	for (;;) {
		struct hcl_attr *a;

		skip_newlines(p);
		if (p->tok.type == TOK_RBRACE)
			break;
		if (p->tok.type == TOK_OPERATOR)
			reject_operator(p);
		if (p->tok.type != TOK_IDENT && !(p->tok.type == TOK_STRING && !p->tok.heredoc))
			fail_expected(p, "a key (a name or a quoted string) or \"}\"");
		a = arena_alloc(p->arena, sizeof(*a));
		a->key = nfc(p, p->tok.text, p->tok.len, NULL); /* a key is a string value */
		a->pos = p->tok.pos;
		lex(p);
		if (p->tok.type == TOK_OPERATOR)
			reject_operator(p);
		if (p->tok.type != TOK_EQUALS && p->tok.type != TOK_COLON)
			fail_expected(p, "\"=\" after the key");
		lex(p);
		/* HCL: an object's value starts on its key's line. */
		a->value = parse_value(p, depth + 1);
		*tail = a;
		tail = &a->next;
		if (p->tok.type == TOK_COMMA)
			lex(p);
		else if (p->tok.type != TOK_NEWLINE && p->tok.type != TOK_RBRACE)
			fail_expected(p, "\",\", a newline or \"}\" after an object item");
	}
	lex(p);
	return obj;
}

/* The current token is an operator: an expression, reported as one. */
static void reject_operator(struct parser *p)
{
	const char *op = p->tok.text;

	if (strcmp(op, "(") == 0)
		fail_expression(p, p->tok.pos, "found \"(\"; write the value itself, without parentheses");
	if (strcmp(op, "?") == 0)
		fail_expression(p, p->tok.pos, "found \"?\", a conditional; write the value itself");
	if (strcmp(op, ".") == 0 || strcmp(op, "...") == 0)
		fail_expression(p, p->tok.pos, "found \"%s\", an attribute access or splat; write the value itself", op);
	fail_expression(p, p->tok.pos, "found the operator \"%s\"; write the resulting value itself", op);
}

/* After a value, on its line: an operator or "[" (an index) makes it an expression. */
static void reject_expression_after_value(struct parser *p)
{
	if (p->tok.type == TOK_OPERATOR)
		reject_operator(p);
	if (p->tok.type == TOK_LBRACK)
		fail_expression(p, p->tok.pos, "found \"[\" after a value, an index; write the value itself");
	if (p->tok.type == TOK_NUMBER && p->src[p->tok.pos.off] == '-')
		fail_expression(p, p->tok.pos, "found the operator \"-\"; write the resulting value itself");
}

/* A name where a value belongs: a variable, a function call or a for expression. */
static void reject_name_as_value(struct parser *p) __attribute__((noreturn));
static void reject_name_as_value(struct parser *p)
{
	struct token name = p->tok;

	lex(p);
	if (strcmp(name.text, "for") == 0 && p->tok.type == TOK_IDENT)
		fail_expression(p, name.pos, "found a for expression; write the list or object itself");
	if (p->tok.type == TOK_OPERATOR && strcmp(p->tok.text, "(") == 0)
		fail_expression(p, name.pos, "%.40s(...) is a function call; write the value itself",
				name.text);
	fail_expression(p, name.pos, "%.40s is a variable; a string needs quotes: \"%.40s\"",
			name.text, name.text);
}

/*
 * HCL normalises every string value to NFC (cty does), so "e\u0301" is the
 * same string as "\u00e9". Returns the NFC form of s in the arena.
 */
static const char *nfc(struct parser *p, const char *s, size_t len, size_t *out_len)
{
	size_t n = 0, i;
	uint8_t *norm;
	const char *copy;

	for (i = 0; i < len && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == len) { /* ASCII is its own NFC */
		if (out_len)
			*out_len = len;
		return s;
	}
	norm = u8_normalize(UNINORM_NFC, (const uint8_t *)s, len, NULL, &n);
	if (!norm)
		longjmp(*parse_oom, 2);
	copy = arena_strndup(p->arena, (const char *)norm, n);
	free(norm);
	if (out_len)
		*out_len = n;
	return copy;
}

static struct hcl_value *parse_value(struct parser *p, unsigned depth)
{
	struct hcl_value *v;

	check_depth(p, depth);
	switch (p->tok.type) {
	case TOK_LBRACK:
		v = parse_list(p, depth);
		reject_expression_after_value(p);
		return v;
	case TOK_LBRACE:
		v = parse_object(p, depth);
		reject_expression_after_value(p);
		return v;
	case TOK_STRING:
		v = new_value(p, HCL_STRING);
		v->str.s = nfc(p, p->tok.text, p->tok.len, &v->str.len);
		break;
	case TOK_NUMBER:
		v = new_value(p, HCL_NUMBER);
		v->num.f = p->tok.f;
		v->num.i = p->tok.i;
		v->num.is_int = p->tok.is_int;
		break;
	case TOK_IDENT:
		if (strcmp(p->tok.text, "true") == 0 || strcmp(p->tok.text, "false") == 0) {
			v = new_value(p, HCL_BOOL);
			v->b = p->tok.text[0] == 't';
		} else if (strcmp(p->tok.text, "null") == 0) {
			v = new_value(p, HCL_NULL);
		} else {
			reject_name_as_value(p);
		}
		break;
	case TOK_OPERATOR:
		reject_operator(p);
	default:
		fail_expected(p, "a value (a string, number, bool, list or object)");
	}
	lex(p);
	reject_expression_after_value(p);
	return v;
}

static void parse_body(struct parser *p, struct hcl_body *body, unsigned depth);

/* After an attribute or a block: a newline or the end of the file. */
static void expect_item_end(struct parser *p, const char *what)
{
	char expected[128];

	if (p->tok.type == TOK_NEWLINE || p->tok.type == TOK_EOF)
		return;
	if (p->tok.type == TOK_RBRACE)
		snprintf(expected, sizeof(expected), "a newline after %s (\"}\" goes on a line of its own)",
			 what);
	else
		snprintf(expected, sizeof(expected), "a newline after %s", what);
	fail_expected(p, expected);
}

/* name = value, the name already read and the current token "=". */
static struct hcl_attr *parse_attribute(struct parser *p, const struct token *name, unsigned depth)
{
	struct hcl_attr *a = arena_alloc(p->arena, sizeof(*a));

	a->key = name->text;
	a->pos = name->pos;
	lex(p);
	a->value = parse_value(p, depth + 1);
	return a;
}

/*
 * HCL's one-line block, "{" then something on the same line: exactly one
 * attribute, then "}" on that line too.
 */
static void parse_one_line_body(struct parser *p, struct hcl_body *body, unsigned depth)
{
	struct token name = p->tok;

	if (name.type != TOK_IDENT)
		fail_expected(p, "an attribute, a newline or \"}\" after \"{\"");
	lex(p);
	if (p->tok.type != TOK_EQUALS)
		fail(p, name.pos, "a block on one line holds one attribute (name = value); put a nested block on a line of its own");
	body->attrs = parse_attribute(p, &name, depth);
	if (p->tok.type == TOK_COMMA)
		fail(p, p->tok.pos, "a block on one line holds only one attribute; put each attribute on a line of its own");
	if (p->tok.type == TOK_NEWLINE)
		fail(p, p->tok.pos, "a block whose first attribute is on the line of its \"{\" must close on that line: put \"}\" right after the attribute, or the attribute on a new line");
	if (p->tok.type != TOK_RBRACE)
		fail_expected(p, "\"}\" after the one-line block's attribute");
}

static void parse_block(struct parser *p, struct hcl_block *b, unsigned depth)
{
	struct hcl_label **tail = &b->labels;
	struct token first = p->tok;

	while (p->tok.type == TOK_STRING || p->tok.type == TOK_IDENT) {
		struct hcl_label *l = arena_alloc(p->arena, sizeof(*l));

		if (p->tok.heredoc)
			fail(p, p->tok.pos, "a block label cannot be a heredoc");
		l->text = p->tok.text;
		l->pos = p->tok.pos;
		*tail = l;
		tail = &l->next;
		b->n_labels++;
		lex(p);
	}
	if (p->tok.type != TOK_LBRACE && first.type == TOK_IDENT) {
		/* "enabled true": an attribute without its "=" more likely than a block */
		fail(p, first.pos, "expected \"=\" after %.40s, found %.40s", b->type, first.text);
	}
	if (p->tok.type != TOK_LBRACE) {
		char expected[128];

		snprintf(expected, sizeof(expected), "\"=\" or a block (%.40s \"NAME\" { ... })", b->type);
		fail_expected(p, b->n_labels ? "\"{\" to open the block" : expected);
	}
	lex(p);
	check_depth(p, depth + 1);
	if (p->tok.type == TOK_NEWLINE || p->tok.type == TOK_EOF || p->tok.type == TOK_RBRACE)
		parse_body(p, &b->body, depth + 1);
	else
		parse_one_line_body(p, &b->body, depth + 1);
	if (p->tok.type != TOK_RBRACE)
		fail_expected(p, "\"}\" to close the block");
	lex(p);
}

/* Items until "}" (nested) or the end of the file (top level). */
static void parse_body(struct parser *p, struct hcl_body *body, unsigned depth)
{
	struct hcl_attr **attr_tail = &body->attrs;
	struct hcl_block **block_tail = &body->blocks;
	bool nested = depth > 0;

	check_depth(p, depth);
	for (;;) {
		skip_newlines(p);
		if (p->tok.type == TOK_EOF || (nested && p->tok.type == TOK_RBRACE))
			return;
		if (p->tok.type != TOK_IDENT)
			fail_expected(p, nested ? "an attribute name, a block or \"}\""
						: "an attribute name or a block");
		struct token name = p->tok;

		lex(p);
		if (p->tok.type == TOK_EQUALS) {
			*attr_tail = parse_attribute(p, &name, depth);
			attr_tail = &(*attr_tail)->next;
			expect_item_end(p, "the attribute's value");
		} else {
			struct hcl_block *b = arena_alloc(p->arena, sizeof(*b));

			b->type = name.text;
			b->pos = name.pos;
			parse_block(p, b, depth);
			*block_tail = b;
			block_tail = &b->next;
			expect_item_end(p, "the block's closing \"}\"");
		}
	}
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if (!utf8_continuation(s[i]))
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* HCL source is UTF-8; anything else is reported where it starts. */
static void check_utf8(struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->src;
	size_t off = p->at.off;

	while (off < p->len) {
		size_t n = utf8_sequence(s + off, p->len - off);

		if (!n) {
			while (p->at.off < off)
				advance(p);
			fail(p, p->at, "invalid UTF-8 (byte \\x%02x); a configuration file must be UTF-8",
			     s[off]);
		}
		off += n;
	}
}

int hcl_parse(const char *text, size_t len, struct hcl_doc *doc, struct hcl_diags *diags)
{
	struct parser p = {
		.src = text,
		.len = text ? len : 0,
		.at = { .line = 1, .col = 1, .off = 0 },
		.arena = &doc->arena,
		.diags = diags,
	};
	int ret = 0;

	memset(doc, 0, sizeof(*doc));
	parse_oom = &p.fail;
	switch (setjmp(p.fail)) {
	case 0:
		/* A byte order mark is not content. */
		if (p.len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
			p.at.off = 3;
		check_utf8(&p);
		lex(&p);
		parse_body(&p, &doc->body, 0);
		break;
	case 1:         /* a syntax error, in diags */
		ret = -EINVAL;
		break;
	default:        /* out of memory */
		diags->out_of_memory = true;
		ret = -ENOMEM;
	}
	parse_oom = NULL;
	free(p.scratch.s);
	if (ret)
		memset(&doc->body, 0, sizeof(doc->body));
	return ret;
}
