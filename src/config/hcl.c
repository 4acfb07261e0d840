// SPDX-License-Identifier: MIT
/*
 * HCL lexer and recursive-descent parser. Every read of the source goes
 * through peek_at(), which returns 0 past the end, so no input can make the
 * parser read out of bounds; nesting is capped at HCL_MAX_DEPTH so no input
 * can exhaust the stack. The first syntax error longjmps out of the parse:
 * the tree is in an arena, so nothing leaks.
 */
#include "config/hcl.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory ---------------------------------------------------------- */

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p) {
		fputs("flywall: out of memory\n", stderr);
		abort();
	}
	return p;
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

		c = xrealloc(NULL, sizeof(*c) + cap);
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
};

static void sb_add(struct strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
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
	return d->count > HCL_MAX_DIAGS;
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
		d->cap = d->cap ? d->cap * 2 : 8;
		d->items = xrealloc(d->items, d->cap * sizeof(*d->items));
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

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_char(unsigned char c)
{
	return is_ident_start(c) || is_digit(c) || c == '-';
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
		if (c == ' ' || c == '\t' || c == '\r') {
			advance(p);
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
		if (c == '"')
			break;
		if (c == '\\') {
			lex_escape(p);
			continue;
		}
		if ((c == '$' || c == '%') && peek_at(p, 1) == c && peek_at(p, 2) == '{') {
			/* $${ and %%{ are the escapes for a literal ${ and %{ */
			sb_add(&p->scratch, (const char *)&p->src[p->at.off], 1);
			sb_add(&p->scratch, "{", 1);
			advance(p);
			advance(p);
			advance(p);
			continue;
		}
		if ((c == '$' || c == '%') && peek_at(p, 1) == '{')
			fail(p, p->at, "template sequences (%c{...}) are not supported; write %c%c{ for a literal %c{",
			     c, c, c, c);
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

/* Whether the line at off is, apart from blanks, exactly the marker. */
static bool is_heredoc_end(const struct parser *p, size_t off, const char *marker,
			   size_t marker_len)
{
	size_t n = line_length(p, off), i = 0;

	while (i < n && (p->src[off + i] == ' ' || p->src[off + i] == '\t'))
		i++;
	while (n > i && (p->src[off + n - 1] == '\r' || p->src[off + n - 1] == ' ' ||
			 p->src[off + n - 1] == '\t'))
		n--;
	return n - i == marker_len && memcmp(p->src + off + i, marker, marker_len) == 0;
}

static size_t leading_blanks(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/*
 * <<MARKER or <<-MARKER, then lines up to one holding only MARKER. The
 * content is literal: no escapes, no templates. <<- removes the indentation
 * the non-blank lines share.
 */
static void lex_heredoc(struct parser *p, struct token *t)
{
	struct hcl_pos open = p->at;
	size_t marker_off, marker_len, body_start, off, indent = SIZE_MAX;
	bool strip;
	char marker[128];

	advance(p);
	advance(p);
	strip = peek_at(p, 0) == '-';
	if (strip)
		advance(p);
	marker_off = p->at.off;
	if (!is_ident_start(peek_at(p, 0)))
		fail(p, p->at, "expected a heredoc marker such as EOF after <<");
	while (is_ident_char(peek_at(p, 0)))
		advance(p);
	marker_len = p->at.off - marker_off;
	if (marker_len >= sizeof(marker))
		fail(p, open, "heredoc marker is longer than %zu characters", sizeof(marker) - 1);
	memcpy(marker, p->src + marker_off, marker_len);
	marker[marker_len] = '\0';
	if (peek_at(p, 0) == '\r')
		advance(p);
	if (peek_at(p, 0) != '\n')
		fail(p, p->at, "expected a newline after the heredoc marker <<%s%s", strip ? "-" : "", marker);
	advance(p);

	body_start = off = p->at.off;
	while (!is_heredoc_end(p, off, marker, marker_len)) {
		size_t n = line_length(p, off), blanks, content = n;

		if (off + n >= p->len)
			fail(p, open, "unterminated heredoc; expected a line holding only %s", marker);
		if (content > 0 && p->src[off + content - 1] == '\r')
			content--;
		blanks = leading_blanks(p->src + off, content);
		if (blanks < content && blanks < indent)
			indent = blanks; /* blank lines do not count */
		off += n + 1;
	}

	p->scratch.len = 0;
	sb_add(&p->scratch, "", 0);
	for (size_t l = body_start; l < off;) {
		size_t n = line_length(p, l), skip = 0;

		if (strip) {
			skip = leading_blanks(p->src + l, n);
			if (skip > indent)
				skip = indent;
		}
		for (size_t i = l + skip; i < l + n; i++)
			if (p->src[i] == '\0')
				fail(p, open, "a heredoc cannot contain a NUL byte");
		sb_add(&p->scratch, p->src + l + skip, n - skip);
		sb_add(&p->scratch, "\n", 1);
		l += n + 1;
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

/* -?digits(.digits)?([eE][+-]?digits)? */
static void lex_number(struct parser *p, struct token *t)
{
	size_t start = p->at.off, len;
	bool integral = true, negative = peek_at(p, 0) == '-';
	uint64_t mag = 0;
	char buf[64], shown[8];

	if (negative)
		advance(p);
	lex_digits(p);
	if (peek_at(p, 0) == '.') {
		integral = false;
		advance(p);
		if (!is_digit(peek_at(p, 0)))
			fail(p, p->at, "expected a digit after the decimal point");
		lex_digits(p);
	}
	if (peek_at(p, 0) == 'e' || peek_at(p, 0) == 'E') {
		size_t sign = peek_at(p, 1) == '+' || peek_at(p, 1) == '-';

		if (is_digit(peek_at(p, 1 + sign))) {
			integral = false;
			advance(p);
			if (sign)
				advance(p);
			lex_digits(p);
		}
	}
	if (is_ident_char(peek_at(p, 0)) || peek_at(p, 0) == '.')
		fail(p, t->pos, "unexpected %s after the number %.*s; a value with a unit, such as \"10gbit\", is a string and needs quotes",
		     show_char(peek_at(p, 0), shown), (int)(p->at.off - start), p->src + start);

	len = p->at.off - start;
	if (len >= sizeof(buf))
		fail(p, t->pos, "number is longer than %zu characters", sizeof(buf) - 1);
	memcpy(buf, p->src + start, len);
	buf[len] = '\0';
	t->type = TOK_NUMBER;
	t->f = strtod(buf, NULL);
	t->is_int = integral;
	for (size_t i = negative; integral && i < len; i++) {
		unsigned d = buf[i] - '0';

		if (mag > (UINT64_MAX - d) / 10) {
			t->is_int = false;
			break;
		}
		mag = mag * 10 + d;
	}
	if (t->is_int && mag > (negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
		t->is_int = false;
	if (t->is_int)
		t->i = negative ? (int64_t)(0 - mag) : (int64_t)mag;
}

static void lex(struct parser *p)
{
	struct token *t = &p->tok;
	unsigned char c;
	char shown[8];

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
	if (is_ident_start(c)) {
		size_t start = p->at.off;

		while (is_ident_char(peek_at(p, 0)))
			advance(p);
		t->type = TOK_IDENT;
		t->len = p->at.off - start;
		t->text = arena_strndup(p->arena, p->src + start, t->len);
		return;
	}
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
		fail(p, p->at, "unexpected character %s", show_char(c, shown));
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
	for (;;) {
		struct hcl_attr *a;

		skip_newlines(p);
		if (p->tok.type == TOK_RBRACE)
			break;
		if (p->tok.type != TOK_IDENT && !(p->tok.type == TOK_STRING && !p->tok.heredoc))
			fail_expected(p, "a key (a name or a quoted string) or \"}\"");
		a = arena_alloc(p->arena, sizeof(*a));
		a->key = p->tok.text;
		a->pos = p->tok.pos;
		lex(p);
		if (p->tok.type != TOK_EQUALS && p->tok.type != TOK_COLON)
			fail_expected(p, "\"=\" after the key");
		lex(p);
		skip_newlines(p);
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

static struct hcl_value *parse_value(struct parser *p, unsigned depth)
{
	struct hcl_value *v;

	check_depth(p, depth);
	switch (p->tok.type) {
	case TOK_LBRACK:
		return parse_list(p, depth);
	case TOK_LBRACE:
		return parse_object(p, depth);
	case TOK_STRING:
		v = new_value(p, HCL_STRING);
		v->str.s = p->tok.text;
		v->str.len = p->tok.len;
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
			fail(p, p->tok.pos, "expected a value, found %.40s; a string needs quotes: \"%.40s\"",
			     p->tok.text, p->tok.text);
		}
		break;
	default:
		fail_expected(p, "a value (a string, number, bool, list or object)");
	}
	lex(p);
	return v;
}

static void parse_body(struct parser *p, struct hcl_body *body, unsigned depth);

/* After an attribute or a block: a newline, the end, or a closing brace. */
static void expect_item_end(struct parser *p, bool nested, const char *what)
{
	char expected[96];

	if (p->tok.type == TOK_NEWLINE || p->tok.type == TOK_EOF ||
	    (nested && p->tok.type == TOK_RBRACE))
		return;
	snprintf(expected, sizeof(expected), "a newline after %s", what);
	fail_expected(p, expected);
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
	parse_body(p, &b->body, depth + 1);
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
			struct hcl_attr *a = arena_alloc(p->arena, sizeof(*a));

			a->key = name.text;
			a->pos = name.pos;
			lex(p);
			a->value = parse_value(p, depth + 1);
			*attr_tail = a;
			attr_tail = &a->next;
			expect_item_end(p, nested, "the attribute's value");
		} else {
			struct hcl_block *b = arena_alloc(p->arena, sizeof(*b));

			b->type = name.text;
			b->pos = name.pos;
			parse_block(p, b, depth);
			*block_tail = b;
			block_tail = &b->next;
			expect_item_end(p, nested, "the block's closing \"}\"");
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
	if (setjmp(p.fail)) {
		ret = -EINVAL;
	} else {
		/* A byte order mark is not content. */
		if (p.len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
			p.at.off = 3;
		check_utf8(&p);
		lex(&p);
		parse_body(&p, &doc->body, 0);
	}
	free(p.scratch.s);
	if (ret)
		memset(&doc->body, 0, sizeof(doc->body));
	return ret;
}
