// SPDX-License-Identifier: MIT
/* The HCL parser: every construct it accepts, and the syntax errors a user
 * sees (message, line and column, the shown line and its caret). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/hcl.h"

struct parsed {
	struct hcl_doc doc;
	struct hcl_diags diags;
	int ret;
};

static struct parsed *parse(const char *text)
{
	struct parsed *p = calloc(1, sizeof(*p));

	hcl_diags_init(&p->diags, "t.hcl", text, strlen(text));
	p->ret = hcl_parse(text, strlen(text), &p->doc, &p->diags);
	return p;
}

static void done(struct parsed *p)
{
	hcl_doc_release(&p->doc);
	hcl_diags_release(&p->diags);
	free(p);
}

/* Parses text that must be valid and returns its first attribute's value. */
static const struct hcl_value *value_of(struct parsed *p)
{
	if (p->ret) {
		print_error("unexpected error: %s\n", p->diags.items[0].rendered);
		fail();
	}
	assert_non_null(p->doc.body.attrs);
	return p->doc.body.attrs->value;
}

/* Parses text that must fail with exactly this error. */
static void expect_syntax_error(const char *text, unsigned line, unsigned col, const char *msg)
{
	struct parsed *p = parse(text);

	assert_int_equal(p->ret, -22);
	assert_int_equal(p->diags.count, 1);
	assert_string_equal(p->diags.items[0].message, msg);
	assert_int_equal(p->diags.items[0].pos.line, line);
	assert_int_equal(p->diags.items[0].pos.col, col);
	assert_null(p->doc.body.attrs);
	assert_null(p->doc.body.blocks);
	done(p);
}

/* ---- what it accepts -------------------------------------------------- */

static void test_blocks_with_zero_one_two_labels(void **state)
{
	struct parsed *p = parse("a {\n}\nb \"x\" {\n}\nc \"x\" y {\n  d {}\n}\n");
	const struct hcl_block *b;

	assert_int_equal(p->ret, 0);
	b = p->doc.body.blocks;
	assert_string_equal(b->type, "a");
	assert_int_equal(b->n_labels, 0);
	b = b->next;
	assert_string_equal(b->type, "b");
	assert_int_equal(b->n_labels, 1);
	assert_string_equal(b->labels->text, "x");
	assert_int_equal(b->labels->pos.line, 3);
	assert_int_equal(b->labels->pos.col, 3);
	b = b->next;
	assert_int_equal(b->n_labels, 2);
	assert_string_equal(b->labels->next->text, "y");
	assert_string_equal(b->body.blocks->type, "d");
	assert_null(b->next);
	done(p);
}

static void test_attributes_in_order_with_positions(void **state)
{
	struct parsed *p = parse("x {\n  one = 1\n    two = \"2\"\n}\n");
	const struct hcl_attr *a;

	assert_int_equal(p->ret, 0);
	a = p->doc.body.blocks->body.attrs;
	assert_string_equal(a->key, "one");
	assert_int_equal(a->pos.line, 2);
	assert_int_equal(a->pos.col, 3);
	assert_int_equal(a->value->pos.col, 9);
	a = a->next;
	assert_string_equal(a->key, "two");
	assert_int_equal(a->pos.line, 3);
	assert_int_equal(a->pos.col, 5);
	assert_null(a->next);
	done(p);
}

static void test_single_line_block(void **state)
{
	struct parsed *p = parse("b { a = 1 }\n");

	assert_int_equal(p->ret, 0);
	assert_string_equal(p->doc.body.blocks->body.attrs->key, "a");
	done(p);
}

static void test_string_escapes(void **state)
{
	struct parsed *p = parse("s = \"a\\nb\\tc\\\"d\\\\e\\r\\u00e9\\U0001F600 $${x} %%{y}\"\n");
	const struct hcl_value *v = value_of(p);

	assert_int_equal(v->type, HCL_STRING);
	assert_string_equal(v->str.s, "a\nb\tc\"d\\e\r\xc3\xa9\xf0\x9f\x98\x80 ${x} %{y}");
	assert_int_equal(v->str.len, strlen(v->str.s));
	done(p);
}

static void test_numbers(void **state)
{
	static const struct { const char *text; double f; bool is_int; int64_t i; } cases[] = {
		{ "n = 42\n", 42, true, 42 },
		{ "n = -7\n", -7, true, -7 },
		{ "n = 0\n", 0, true, 0 },
		{ "n = 1.5\n", 1.5, false, 0 },
		/* a whole number is an integer however it is written (HCL's numbers are exact) */
		{ "n = 2e3\n", 2000, true, 2000 },
		{ "n = 1024.0\n", 1024, true, 1024 },
		{ "n = 1.e1\n", 10, true, 10 },
		{ "n = 2.E-1\n", 0.2, false, 0 },
		{ "n = 1.5e3\n", 1500, true, 1500 },
		{ "n = 6E+1\n", 60, true, 60 },
		{ "n = 1e6\n", 1000000, true, 1000000 },
		{ "n = -0.0\n", 0, true, 0 },
		{ "n = 1.25E-2\n", 0.0125, false, 0 },
		{ "n = 0.1\n", 0.1, false, 0 },
		{ "n = 1e30\n", 1e30, false, 0 },
		{ "n = 0.30000000000000004\n", 0.30000000000000004, false, 0 },
		{ "n = 9223372036854775807\n", 9223372036854775807.0, true, INT64_MAX },
		{ "n = -9223372036854775808\n", -9223372036854775808.0, true, INT64_MIN },
		{ "n = 92233720368547758.07e2\n", 9223372036854775807.0, true, INT64_MAX },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed *p = parse(cases[i].text);
		const struct hcl_value *v = value_of(p);

		assert_int_equal(v->type, HCL_NUMBER);
		assert_true(v->num.f == cases[i].f);
		assert_int_equal(v->num.is_int, cases[i].is_int);
		if (cases[i].is_int)
			assert_true(v->num.i == cases[i].i);
		done(p);
	}
}

/* Numbers HCL keeps exactly and a 64-bit integer or double cannot: refused, not rounded. */
static void test_numbers_refused_rather_than_rounded(void **state)
{
	expect_syntax_error("n = 9223372036854775808\n", 1, 5,
			    "9223372036854775808 does not fit in a 64-bit integer (-9223372036854775808 to 9223372036854775807); HCL would keep it exactly, Flywall refuses rather than round it");
	expect_syntax_error("n = -123456789012345678901234567890\n", 1, 5,
			    "-123456789012345678901234567890 does not fit in a 64-bit integer (-9223372036854775808 to 9223372036854775807); HCL would keep it exactly, Flywall refuses rather than round it");
	expect_syntax_error("n = 1.00000000000000000001\n", 1, 5,
			    "1.00000000000000000001 has more significant digits than a 64-bit floating-point number keeps (15 to 17); HCL would keep them, Flywall refuses rather than round it");
	expect_syntax_error("n = 0.30000000000000001\n", 1, 5,
			    "0.30000000000000001 has more significant digits than a 64-bit floating-point number keeps (15 to 17); HCL would keep them, Flywall refuses rather than round it");
	expect_syntax_error("n = 1e400\n", 1, 5, "1e400 is too large for a 64-bit floating-point number");
	expect_syntax_error("n = 1e-400\n", 1, 5,
			    "1e-400 is too small for a 64-bit floating-point number: it would become 0");
}

static void test_bools_and_null(void **state)
{
	struct parsed *p = parse("a = true\nb = false\nc = null\n");
	const struct hcl_attr *a;

	assert_int_equal(p->ret, 0);
	a = p->doc.body.attrs;
	assert_int_equal(a->value->type, HCL_BOOL);
	assert_true(a->value->b);
	assert_int_equal(a->next->value->type, HCL_BOOL);
	assert_false(a->next->value->b);
	assert_int_equal(a->next->next->value->type, HCL_NULL);
	done(p);
}

static void test_lists(void **state)
{
	struct parsed *p = parse("l = [\"dns\", 2,\n  [true], [],\n]\n");
	const struct hcl_value *v = value_of(p), *item;

	assert_int_equal(v->type, HCL_LIST);
	item = v->items;
	assert_string_equal(item->str.s, "dns");
	item = item->next;
	assert_true(item->num.i == 2);
	item = item->next;
	assert_int_equal(item->type, HCL_LIST);
	assert_true(item->items->b);
	item = item->next;
	assert_int_equal(item->type, HCL_LIST);
	assert_null(item->items);
	assert_null(item->next);
	done(p);

	p = parse("l = []\n");
	assert_null(value_of(p)->items);
	done(p);
}

static void test_objects_comma_and_newline_separated(void **state)
{
	struct parsed *p = parse("o = { \"k\" = 1, k2 = \"v\", k3: true }\n"
				 "m = {\n  \"blocklist\" = {\n    type = \"hash\"\n    size = 10\n  }\n\n  x = {}\n}\n");
	const struct hcl_value *v = value_of(p);
	const struct hcl_attr *a = v->attrs, *inner;

	assert_int_equal(v->type, HCL_OBJECT);
	assert_string_equal(a->key, "k");
	assert_true(a->value->num.i == 1);
	assert_string_equal(a->next->key, "k2");
	assert_string_equal(a->next->value->str.s, "v");
	assert_string_equal(a->next->next->key, "k3");
	assert_null(a->next->next->next);

	v = p->doc.body.attrs->next->value;
	a = v->attrs;
	assert_string_equal(a->key, "blocklist");
	assert_int_equal(a->pos.line, 3);
	assert_int_equal(a->pos.col, 3);
	inner = a->value->attrs;
	assert_string_equal(inner->key, "type");
	assert_string_equal(inner->next->key, "size");
	assert_string_equal(a->next->key, "x");
	assert_null(a->next->value->attrs);
	done(p);
}

static void test_comments(void **state)
{
	struct parsed *p = parse("# hash comment\n// slash comment\n/* block\n comment */ a = 1 # trailing\n"
				 "b = /* inline */ 2 // trailing\nc = [1, /* x */ 2]\n");
	const struct hcl_attr *a;

	assert_int_equal(p->ret, 0);
	a = p->doc.body.attrs;
	assert_string_equal(a->key, "a");
	assert_int_equal(a->pos.line, 4);
	assert_int_equal(a->pos.col, 13);
	assert_true(a->next->value->num.i == 2);
	assert_true(a->next->next->value->items->next->num.i == 2);
	done(p);
}

static void test_heredoc(void **state)
{
	struct parsed *p = parse("a = <<EOF\n  line one\n\tline \"two\" $${x} %%{y} $$ %% \\n\nEOF\nb = 1\n");
	const struct hcl_value *v = value_of(p);

	assert_int_equal(v->type, HCL_STRING);
	/* no backslash escapes; $${ and %%{ are a literal ${ and %{, as in HCL */
	assert_string_equal(v->str.s, "  line one\n\tline \"two\" ${x} %{y} $$ %% \\n\n");
	assert_string_equal(p->doc.body.attrs->next->key, "b");
	assert_int_equal(p->doc.body.attrs->next->pos.line, 5);
	done(p);
}

static void test_indented_heredoc(void **state)
{
	struct parsed *p = parse("x {\n  a = <<-END\n      one\n\n        two\n    END\n}\n");
	const struct hcl_value *v;

	assert_int_equal(p->ret, 0);
	v = p->doc.body.blocks->body.attrs->value;
	assert_string_equal(v->str.s, "one\n\n  two\n");
	done(p);

	p = parse("a = <<EOT\nEOT\n");
	assert_string_equal(value_of(p)->str.s, "");
	done(p);
}

/* <<- as HCL: all-white-space lines are left alone and do not count; Unicode
 * spaces and tabs count as one character each. */
static void test_indented_heredoc_as_hcl(void **state)
{
	static const struct { const char *text, *value; } cases[] = {
		{ "a = <<-E\n    x\n  \n      y\nE\n", "x\n  \n  y\n" },
		{ "a = <<-E\n  \n\nE\n", "  \n\n" },
		{ "a = <<-E\n\t\tx\n\ty\nE\n", "\tx\ny\n" },
		{ "a = <<-E\n\t x\n \ty\nE\n", "x\ny\n" },
		{ "a = <<-E\n\u3000\u3000x\n\u3000y\nE\n", "\u3000x\ny\n" },
		{ "a = <<-E\n  \u00a0x\n   y\nE\n", "x\ny\n" },
		{ "a = <<-E\n x\n\u3000\nE\n", "x\n\u3000\n" },
		{ "a = <<-E\r\n    x\r\n  \r\n      y\r\n    E\r\n", "x\r\n  \r\n  y\r\n" },
		{ "a = <<-E\n    $${x}\n  %%{y}\n  E\n", "  ${x}\n%{y}\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed *p = parse(cases[i].text);

		assert_string_equal(value_of(p)->str.s, cases[i].value);
		done(p);
	}
}

static void test_heredoc_templates_refused(void **state)
{
	expect_syntax_error("a = <<EOF\nhello ${name}\nEOF\n", 2, 7,
			    "expressions are not supported in Flywall's HCL: ${...} is a template interpolation; write $${ for a literal ${");
	expect_syntax_error("a = <<-EOF\n  %{ if x }y%{ endif }\n  EOF\n", 2, 3,
			    "expressions are not supported in Flywall's HCL: %{...} is a template directive; write %%{ for a literal %{");
}

/* HCL trims Unicode white space around the closing marker (bytes.TrimSpace). */
static void test_heredoc_closing_marker_among_unicode_spaces(void **state)
{
	struct parsed *p = parse("a = <<EOF\nx\n\xe3\x80\x80" "EOF\xc2\xa0\t\nb = <<-E\n  y\n\u2003E\r\n");

	assert_string_equal(value_of(p)->str.s, "x\n");
	assert_string_equal(p->doc.body.attrs->next->value->str.s, "y\n");
	done(p);
	expect_syntax_error("a = <<EOF\nx\n\rEOF\n", 3, 1,
			    "a carriage return (\\r) is only allowed before a newline");
	expect_syntax_error("a = <<EOF\nx\ry\nEOF\n", 2, 2,
			    "a carriage return (\\r) is only allowed before a newline");
}

static void test_heredoc_closing_marker_needs_newline(void **state)
{
	expect_syntax_error("a = <<EOF\nx\nEOF", 1, 5, "the heredoc's closing EOF must end with a newline");
	expect_syntax_error("a = <<EOF\nx\n  EOF  ", 1, 5, "the heredoc's closing EOF must end with a newline");
}

/* HCL normalises every string value (and object key) to NFC; names and labels stay as written. */
static void test_strings_are_nfc(void **state)
{
	struct parsed *p = parse("a = \"e\xcc\x81\"\nb = <<E\ne\xcc\x81\nE\nc = \"\\u0065\\u0301\"\n"
				 "d = { \"e\xcc\x81\" = 1, e\xcc\x81x = 2 }\n"
				 "e\xcc\x81 = 1\nblk \"e\xcc\x81\" {}\n");
	const struct hcl_attr *a = p->doc.body.attrs;

	assert_int_equal(p->ret, 0);
	assert_string_equal(a->value->str.s, "\xc3\xa9");
	assert_int_equal(a->value->str.len, 2);
	assert_string_equal(a->next->value->str.s, "\xc3\xa9\n");
	assert_string_equal(a->next->next->value->str.s, "\xc3\xa9");
	assert_string_equal(a->next->next->next->value->attrs->key, "\xc3\xa9");
	assert_string_equal(a->next->next->next->value->attrs->next->key, "\xc3\xa9x");
	assert_string_equal(a->next->next->next->next->key, "e\xcc\x81");
	assert_string_equal(p->doc.body.blocks->labels->text, "e\xcc\x81");
	done(p);
}

static void test_unicode_identifiers(void **state)
{
	struct parsed *p = parse("\xc3\xa9t\xc3\xa9 = 1\n\xd0\xb1\xd0\xbb\xd0\xbe\xd0\xba \"x\" {\n  _a-1 = { \xce\xbb = 2 }\n}\n");

	assert_int_equal(p->ret, 0);
	assert_string_equal(p->doc.body.attrs->key, "\xc3\xa9t\xc3\xa9");
	assert_string_equal(p->doc.body.blocks->type, "\xd0\xb1\xd0\xbb\xd0\xbe\xd0\xba");
	assert_string_equal(p->doc.body.blocks->body.attrs->key, "_a-1");
	assert_string_equal(p->doc.body.blocks->body.attrs->value->attrs->key, "\xce\xbb");
	done(p);
	/* not a letter: named by its code point */
	expect_syntax_error("\xe2\x82\xac = 1\n", 1, 1, "unexpected character U+20AC '\xe2\x82\xac'");
	expect_syntax_error("a = 1\n\xc2\xa0" "b = 2\n", 2, 1, "unexpected character U+00A0");
}

static void test_raw_carriage_return_refused(void **state)
{
	expect_syntax_error("a = \"x\ry\"\n", 1, 7,
			    "a quoted string cannot contain a carriage return; write \\r for one");
	expect_syntax_error("a = 1\rb = 2\n", 1, 6, "a carriage return (\\r) is only allowed before a newline");
}

/* HCL's block forms: "{" then a newline (any number of items), or one
 * attribute and "}" on the same line; items end with a newline. */
static void test_one_line_blocks_as_hcl(void **state)
{
	struct parsed *p = parse("a { b = \"foo\" }\nc {}\nd { }\ne {\n}\nf { g = {\n  h = 1\n} }\n");

	assert_int_equal(p->ret, 0);
	assert_string_equal(p->doc.body.blocks->body.attrs->value->str.s, "foo");
	assert_null(p->doc.body.blocks->next->body.attrs);
	assert_true(p->doc.body.blocks->next->next->next->next->body.attrs->value->attrs->value->num.i == 1);
	done(p);

	expect_syntax_error("a { b = \"foo\"\n}\n", 1, 14,
			    "a block whose first attribute is on the line of its \"{\" must close on that line: put \"}\" right after the attribute, or the attribute on a new line");
	expect_syntax_error("a { b = 1, c = 2 }\n", 1, 10,
			    "a block on one line holds only one attribute; put each attribute on a line of its own");
	expect_syntax_error("a { b { } }\n", 1, 5,
			    "a block on one line holds one attribute (name = value); put a nested block on a line of its own");
	expect_syntax_error("a { b =\n 1 }\n", 1, 8,
			    "expected a value (a string, number, bool, list or object), found a newline");
	expect_syntax_error("a {\n  b = 1 }\n", 2, 9,
			    "expected a newline after the attribute's value (\"}\" goes on a line of its own), found \"}\"");
	expect_syntax_error("a {\n  b {\n  }}\n", 3, 4,
			    "expected a newline after the block's closing \"}\" (\"}\" goes on a line of its own), found \"}\"");
}

static void test_object_value_starts_on_key_line(void **state)
{
	struct parsed *p = parse("a = {\n  b = 1,\n  c = [\n    2]\n}\n");

	assert_int_equal(p->ret, 0);
	done(p);
	expect_syntax_error("a = { b =\n 1 }\n", 1, 10,
			    "expected a value (a string, number, bool, list or object), found a newline");
}

static void test_expressions_refused_as_such(void **state)
{
#define EXPR "expressions are not supported in Flywall's HCL: "
	static const struct { const char *text; unsigned col; const char *msg; } cases[] = {
		{ "a = 1 + 2\n", 7, EXPR "found the operator \"+\"; write the resulting value itself" },
		{ "a = 1 -2\n", 7, EXPR "found the operator \"-\"; write the resulting value itself" },
		{ "a = 1E1-3\n", 8, EXPR "found the operator \"-\"; write the resulting value itself" },
		{ "a = 5-x\n", 6, EXPR "found the operator \"-\"; write the resulting value itself" },
		{ "a = -x\n", 5, EXPR "found the operator \"-\"; write the resulting value itself" },
		{ "a = !true\n", 5, EXPR "found the operator \"!\"; write the resulting value itself" },
		{ "a = \"a\" == \"b\"\n", 9, EXPR "found the operator \"==\"; write the resulting value itself" },
		{ "a = (1)\n", 5, EXPR "found \"(\"; write the value itself, without parentheses" },
		{ "a = true ? 1 : 2\n", 10, EXPR "found \"?\", a conditional; write the value itself" },
		{ "a = [1][0]\n", 8, EXPR "found \"[\" after a value, an index; write the value itself" },
		{ "a = {b = 1}.b\n", 12, EXPR "found \".\", an attribute access or splat; write the value itself" },
		{ "a = upper(\"x\")\n", 5, EXPR "upper(...) is a function call; write the value itself" },
		{ "a = var.x\n", 5, EXPR "var is a variable; a string needs quotes: \"var\"" },
		{ "a = [for x in y: x]\n", 6, EXPR "found a for expression; write the list or object itself" },
		{ "a = { for = 1 }\n", 7, EXPR "found a for expression; write the list or object itself" },
		{ "a = { (k) = 1 }\n", 7, EXPR "found \"(\"; write the value itself, without parentheses" },
		{ "a = \"${1}\"\n", 6, EXPR "${...} is a template interpolation; write $${ for a literal ${" },
	};
#undef EXPR

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_syntax_error(cases[i].text, 1, cases[i].col, cases[i].msg);
}

static void test_crlf_bom_and_no_final_newline(void **state)
{
	struct parsed *p = parse("\xef\xbb\xbf" "a = 1\r\nb {\r\n  c = \"d\"\r\n}");

	assert_int_equal(p->ret, 0);
	assert_int_equal(p->doc.body.attrs->pos.col, 1);
	assert_string_equal(p->doc.body.blocks->body.attrs->value->str.s, "d");
	done(p);
}

static void test_columns_count_characters(void **state)
{
	/* "é" is two bytes; the error column counts it once. */
	expect_syntax_error("a = \"é\" @\n", 1, 9, "unexpected character '@'");
}

static void test_empty_input(void **state)
{
	struct parsed *p = parse("");

	assert_int_equal(p->ret, 0);
	assert_null(p->doc.body.attrs);
	done(p);
	p = parse("\n# nothing\n\n");
	assert_int_equal(p->ret, 0);
	done(p);
}

/* ---- syntax errors -------------------------------------------------- */

static void test_error_unterminated_string(void **state)
{
	expect_syntax_error("a = \"abc\nb = 1\n", 1, 5,
			    "unterminated string; expected a closing \" on the same line");
}

static void test_error_bad_escape(void **state)
{
	expect_syntax_error("a = \"x\\qy\"\n", 1, 7,
			    "invalid escape \\q in a string; expected one of \\n \\r \\t \\\" \\\\ \\uNNNN \\UNNNNNNNN");
}

static void test_error_escape_at_end_of_line(void **state)
{
	expect_syntax_error("a = \"x\\\nb = 1\n", 1, 7,
			    "unterminated escape at the end of the line; expected a character after \\");
	expect_syntax_error("a = \"\\\x01\"\n", 1, 6,
			    "invalid escape in a string: \\ followed by \\x01; expected one of \\n \\r \\t \\\" \\\\ \\uNNNN \\UNNNNNNNN");
}

static void test_error_bad_unicode_escape(void **state)
{
	expect_syntax_error("a = \"\\u12G4\"\n", 1, 6,
			    "invalid unicode escape; expected \\u followed by 4 hex digits");
	expect_syntax_error("a = \"\\u0000\"\n", 1, 6,
			    "a string cannot contain a NUL character (\\u0000)");
	expect_syntax_error("a = \"\\uD800\"\n", 1, 6,
			    "invalid unicode escape: U+D800 is not a character");
	expect_syntax_error("a = \"\\U00110000\"\n", 1, 6,
			    "invalid unicode escape: U+110000 is not a character");
	expect_syntax_error("a = \"\\U0001F6\"\n", 1, 6,
			    "invalid unicode escape; expected \\U followed by 8 hex digits");
}

static void test_error_interpolation(void **state)
{
	expect_syntax_error("a = \"x${var.y}\"\n", 1, 7,
			    "expressions are not supported in Flywall's HCL: ${...} is a template interpolation; write $${ for a literal ${");
}

static void test_error_missing_equals(void **state)
{
	expect_syntax_error("ebpf {\n  enabled true\n}\n", 2, 11,
			    "expected \"=\" after enabled, found true");
	expect_syntax_error("xdp \"x\"\n{\n}\n", 1, 8,
			    "expected \"{\" to open the block, found a newline");
	expect_syntax_error("a 5\n", 1, 3,
			    "expected \"=\" or a block (a \"NAME\" { ... }), found a number");
}

static void test_error_missing_close_brace(void **state)
{
	expect_syntax_error("ebpf {\n  enabled = true\n", 3, 1,
			    "expected \"}\" to close the block, found the end of the file");
}

static void test_error_unexpected_close_brace(void **state)
{
	expect_syntax_error("a = 1\n}\n", 2, 1,
			    "expected an attribute name or a block, found \"}\"");
}

static void test_error_two_attributes_on_a_line(void **state)
{
	expect_syntax_error("a = 1 b = 2\n", 1, 7,
			    "expected a newline after the attribute's value, found b");
}

static void test_error_unquoted_unit(void **state)
{
	expect_syntax_error("x {\n  rate = 1gbit\n}\n", 2, 10,
			    "unexpected 'g' after the number 1; a value with a unit, such as \"10gbit\", is a string and needs quotes");
}

static void test_error_bare_word_value(void **state)
{
	expect_syntax_error("direction = ingress\n", 1, 13,
			    "expressions are not supported in Flywall's HCL: ingress is a variable; a string needs quotes: \"ingress\"");
}

static void test_error_list_missing_comma(void **state)
{
	expect_syntax_error("s = [\"dns\" \"dhcp\"]\n", 1, 12,
			    "expected \",\" or \"]\" after a list item, found a string");
	expect_syntax_error("s = [1, 2\n", 2, 1,
			    "expected \",\" or \"]\" after a list item, found the end of the file");
}

static void test_error_object_missing_equals(void **state)
{
	expect_syntax_error("m = {\n  a 1\n}\n", 2, 5, "expected \"=\" after the key, found a number");
	expect_syntax_error("m = { a = 1 b = 2 }\n", 1, 13,
			    "expected \",\", a newline or \"}\" after an object item, found b");
	expect_syntax_error("m = { [1] = 2 }\n", 1, 7,
			    "expected a key (a name or a quoted string) or \"}\", found \"[\"");
}

static void test_error_missing_value(void **state)
{
	expect_syntax_error("a =\nb = 1\n", 1, 4,
			    "expected a value (a string, number, bool, list or object), found a newline");
}

static void test_error_unterminated_comment(void **state)
{
	expect_syntax_error("a = 1\n/* never\nclosed\n", 2, 1,
			    "unterminated /* comment; expected */ before the end of the file");
}

static void test_error_unterminated_heredoc(void **state)
{
	expect_syntax_error("a = <<EOF\nline\n", 1, 5,
			    "unterminated heredoc; expected a line holding only EOF");
	expect_syntax_error("a = <<EOF trailing\nEOF\n", 1, 10,
			    "expected a newline after the heredoc marker <<EOF");
	expect_syntax_error("a = << EOF\nEOF\n", 1, 7,
			    "expected a heredoc marker such as EOF after <<");
}

static void test_error_unexpected_character(void **state)
{
	expect_syntax_error("a = 1\n@b = 2\n", 2, 1, "unexpected character '@'");
	expect_syntax_error("a = \x01\n", 1, 5, "unexpected character \\x01");
	expect_syntax_error("a = 1.\n", 1, 7, "expected a digit after the decimal point");
}

static void test_error_nul_byte(void **state)
{
	static const char text[] = "a = \"x\0y\"\n";
	struct hcl_diags d;
	struct hcl_doc doc;

	hcl_diags_init(&d, "t.hcl", text, sizeof(text) - 1);
	assert_int_equal(hcl_parse(text, sizeof(text) - 1, &doc, &d), -22);
	assert_string_equal(d.items[0].message, "a string cannot contain a NUL byte");
	assert_int_equal(d.items[0].pos.col, 7);
	hcl_doc_release(&doc);
	hcl_diags_release(&d);
}

static void test_error_invalid_utf8(void **state)
{
	expect_syntax_error("a = 1\nb = \"\xff\"\n", 2, 6,
			    "invalid UTF-8 (byte \\xff); a configuration file must be UTF-8");
}

static void test_error_nesting_too_deep(void **state)
{
	char text[256];
	size_t n = 0;

	n += snprintf(text, sizeof(text), "a = ");
	for (int i = 0; i < HCL_MAX_DEPTH + 2; i++)
		text[n++] = '[';
	text[n] = '\0';
	expect_syntax_error(text, 1, 5 + HCL_MAX_DEPTH, "nesting is deeper than 64 levels");
}

static void test_error_heredoc_label(void **state)
{
	expect_syntax_error("b <<EOF\nx\nEOF\n{\n}\n", 1, 3, "a block label cannot be a heredoc");
}

/* ---- rendering ------------------------------------------------------ */

static void test_render_shows_line_and_caret(void **state)
{
	struct parsed *p = parse("ebpf {\n\tmap_size = 1kb\n}\n");
	char *text;

	assert_int_equal(p->ret, -22);
	text = hcl_diags_render(&p->diags);
	assert_string_equal(text,
		"t.hcl:2:13: error: unexpected 'k' after the number 1; a value with a unit, such as \"10gbit\", is a string and needs quotes\n"
		"     2 | \tmap_size = 1kb\n"
		"       | \t           ^\n");
	free(text);
	done(p);
}

static void test_render_hides_control_characters(void **state)
{
	struct parsed *p = parse("a = \"\x1b[31m\n");
	char *text = hcl_diags_render(&p->diags);

	assert_non_null(strstr(text, "     1 | a = \"?[31m\n       |     ^\n"));
	free(text);
	done(p);
}

static void test_render_without_position(void **state)
{
	struct hcl_diags d;
	char *text;

	hcl_diags_init(&d, "missing.hcl", "", 0);
	hcl_diag_add(&d, (struct hcl_pos){ 0 }, "cannot read missing.hcl: %s", "No such file or directory");
	text = hcl_diags_render(&d);
	assert_string_equal(text, "missing.hcl: error: cannot read missing.hcl: No such file or directory\n");
	free(text);
	hcl_diags_release(&d);
}

static void test_sort_orders_by_position(void **state)
{
	struct hcl_diags d;

	hcl_diags_init(&d, "t", "a\nb\nc\n", 6);
	hcl_diag_add(&d, (struct hcl_pos){ 3, 1, 4 }, "third");
	hcl_diag_add(&d, (struct hcl_pos){ 1, 1, 0 }, "first");
	hcl_diag_add(&d, (struct hcl_pos){ 3, 1, 4 }, "fourth");
	hcl_diag_add(&d, (struct hcl_pos){ 2, 1, 2 }, "second");
	hcl_diags_sort(&d);
	assert_string_equal(d.items[0].message, "first");
	assert_string_equal(d.items[1].message, "second");
	assert_string_equal(d.items[2].message, "third");
	assert_string_equal(d.items[3].message, "fourth");
	hcl_diags_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_with_zero_one_two_labels),
		cmocka_unit_test(test_attributes_in_order_with_positions),
		cmocka_unit_test(test_single_line_block),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_bools_and_null),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_objects_comma_and_newline_separated),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_heredoc),
		cmocka_unit_test(test_indented_heredoc),
		cmocka_unit_test(test_crlf_bom_and_no_final_newline),
		cmocka_unit_test(test_numbers_refused_rather_than_rounded),
		cmocka_unit_test(test_indented_heredoc_as_hcl),
		cmocka_unit_test(test_heredoc_templates_refused),
		cmocka_unit_test(test_heredoc_closing_marker_among_unicode_spaces),
		cmocka_unit_test(test_heredoc_closing_marker_needs_newline),
		cmocka_unit_test(test_strings_are_nfc),
		cmocka_unit_test(test_unicode_identifiers),
		cmocka_unit_test(test_raw_carriage_return_refused),
		cmocka_unit_test(test_one_line_blocks_as_hcl),
		cmocka_unit_test(test_object_value_starts_on_key_line),
		cmocka_unit_test(test_expressions_refused_as_such),
		cmocka_unit_test(test_columns_count_characters),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_error_unterminated_string),
		cmocka_unit_test(test_error_bad_escape),
		cmocka_unit_test(test_error_escape_at_end_of_line),
		cmocka_unit_test(test_error_bad_unicode_escape),
		cmocka_unit_test(test_error_interpolation),
		cmocka_unit_test(test_error_missing_equals),
		cmocka_unit_test(test_error_missing_close_brace),
		cmocka_unit_test(test_error_unexpected_close_brace),
		cmocka_unit_test(test_error_two_attributes_on_a_line),
		cmocka_unit_test(test_error_unquoted_unit),
		cmocka_unit_test(test_error_bare_word_value),
		cmocka_unit_test(test_error_list_missing_comma),
		cmocka_unit_test(test_error_object_missing_equals),
		cmocka_unit_test(test_error_missing_value),
		cmocka_unit_test(test_error_unterminated_comment),
		cmocka_unit_test(test_error_unterminated_heredoc),
		cmocka_unit_test(test_error_unexpected_character),
		cmocka_unit_test(test_error_nul_byte),
		cmocka_unit_test(test_error_invalid_utf8),
		cmocka_unit_test(test_error_nesting_too_deep),
		cmocka_unit_test(test_error_heredoc_label),
		cmocka_unit_test(test_render_shows_line_and_caret),
		cmocka_unit_test(test_render_hides_control_characters),
		cmocka_unit_test(test_render_without_position),
		cmocka_unit_test(test_sort_orders_by_position),
	};

	return cmocka_run_group_tests_name("hcl", tests, NULL, NULL);
}
