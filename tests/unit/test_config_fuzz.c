// SPDX-License-Identifier: MIT
/*
 * The parser and the schema on hostile input, deterministically (the same
 * inputs every run; tests/fuzz/fuzz_hcl.c explores further with libFuzzer):
 * every truncation of examples/flywall.hcl, thousands of mutations of it, and
 * random token soup. Each input sits in a buffer of exactly its length, so
 * AddressSanitizer catches any read past the end; UBSan catches the rest.
 * Beyond not crashing, every outcome must be coherent: errors are counted,
 * positioned inside the input, and rendered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ebpf_config.h"
#include "config/hcl.h"

#define MUTATIONS 4000
#define SOUPS 2000

static char *example;
static size_t example_len;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t below(size_t n)
{
	return n ? rng() % n : 0;
}

/* What the inputs reached, reported so a reader can see the test has teeth. */
static struct {
	unsigned inputs, valid;
	char *messages[512];    /* distinct message shapes (text up to the first '"') */
	unsigned n_messages;
} seen;

static void note_message(const char *msg)
{
	size_t n = strcspn(msg, "\"0123456789");

	for (unsigned i = 0; i < seen.n_messages; i++)
		if (strlen(seen.messages[i]) == n && strncmp(seen.messages[i], msg, n) == 0)
			return;
	if (seen.n_messages < 512)
		seen.messages[seen.n_messages++] = strndup(msg, n);
}

static unsigned count_lines(const char *text, size_t len)
{
	unsigned lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	return lines;
}

/* Loads len bytes from an exact-size copy and checks what came back. */
static void load_and_check(const char *text, size_t len)
{
	char *exact = malloc(len ? len : 1);
	struct hcl_diags diags;
	struct fw_config cfg;
	unsigned lines = count_lines(text, len);
	int count;

	memcpy(exact, text, len);
	hcl_diags_init(&diags, "fuzz.hcl", exact, len);
	count = fw_config_load_diags("/etc/flywall/fuzz.hcl", exact, len, &cfg, &diags);
	assert_true(count >= 0);
	assert_int_equal((size_t)count, diags.count);
	seen.inputs++;
	seen.valid += count == 0;
	for (size_t i = 0; i < diags.count; i++) {
		const struct hcl_diag *d = &diags.items[i];

		assert_true(d->pos.line >= 1 && d->pos.line <= lines);
		assert_true(d->pos.col >= 1);
		assert_true(d->pos.off <= len);
		assert_true(d->message[0] != '\0');
		assert_true(strncmp(d->rendered, "fuzz.hcl:", 9) == 0);
		note_message(d->message);
	}
	if (count == 0) {
		for (size_t i = 0; i < cfg.ebpf.n_progs; i++) {
			assert_int_equal(fw_prog_name_valid(cfg.ebpf.progs[i].name, &(struct fw_error){ 0 }), 0);
			assert_true(cfg.ebpf.progs[i].object[0] == '/');
		}
		json_decref(fw_config_to_json(&cfg));
		fw_config_release(&cfg);
	}
	hcl_diags_release(&diags);
	free(exact);
}

static void test_example_is_valid(void **state)
{
	struct hcl_diags diags;
	struct fw_config cfg;

	hcl_diags_init(&diags, "x", example, example_len);
	assert_int_equal(fw_config_load_diags("x", example, example_len, &cfg, &diags), 0);
	assert_int_equal(cfg.ebpf.n_progs, 6);
	fw_config_release(&cfg);
	hcl_diags_release(&diags);
}

static void test_every_truncation(void **state)
{
	for (size_t len = 0; len <= example_len; len++)
		load_and_check(example, len);
}

/* Pieces of syntax that reach the parser's corners when spliced in. */
static const char *const fragments[] = {
	"{", "}", "[", "]", "\"", "=", ",", ":", "\n", "\\", "\\u", "\\U0010FFFF", "${", "$${",
	"%{", "<<EOF\n", "<<-EOF\n", "\nEOF\n", "/*", "*/", "//", "#", "-", "1e", "1.5",
	"99999999999999999999", "-9223372036854775808", "true", "null", "xdp \"x\" {", "maps = {",
	"\xff", "\xc3", "\xe2\x82", "\0", "\r", "\t", "é", "ebpf {", "api {", "}}}}", "[[[[",
	/* what HCL reads differently: Unicode, expressions, exact numbers */
	"\r\n", "e\xcc\x81", "\xcc\x81", "\xe3\x80\x80", "\xc2\xa0", "\xd0\xb1\xd0\xbb", "\xe2\x82\xac",
	"+", "(", ")", "==", "?", "!", ".", "%%{", "1e3", "1024.0", "1e400", "1e-400",
	"1.00000000000000000001", "0.30000000000000004", "<<-E\n\xe3\x80\x80x\n \n\tE\n",
	"a { b = 1 }", "upper(", "for",
};

static void mutate(char *buf, size_t *len, size_t cap)
{
	size_t at = below(*len + 1), n;
	const char *frag;

	switch (rng() % 5) {
	case 0: /* flip a byte */
		if (*len)
			buf[below(*len)] ^= 1u << below(8);
		break;
	case 1: /* delete a run */
		n = below(16);
		if (at + n > *len)
			n = *len - at;
		memmove(buf + at, buf + at + n, *len - at - n);
		*len -= n;
		break;
	case 2: /* duplicate a run */
		n = below(64);
		if (at + n > *len)
			n = *len - at;
		if (*len + n > cap)
			break;
		memmove(buf + at + n, buf + at, *len - at);
		*len += n;
		break;
	default: /* splice in a fragment (its NUL too, for "\0") */
		frag = fragments[below(sizeof(fragments) / sizeof(fragments[0]))];
		n = frag[0] ? strlen(frag) : 1;
		if (*len + n > cap)
			break;
		memmove(buf + at + n, buf + at, *len - at);
		memcpy(buf + at, frag, n);
		*len += n;
		break;
	}
}

static void test_mutations_of_the_example(void **state)
{
	size_t cap = example_len * 2 + 1024;
	char *buf = malloc(cap);

	for (int i = 0; i < MUTATIONS; i++) {
		size_t len = example_len;
		int rounds = 1 + below(8);

		memcpy(buf, example, len);
		while (rounds--)
			mutate(buf, &len, cap);
		load_and_check(buf, len);
	}
	free(buf);
}

static void test_random_token_soup(void **state)
{
	char buf[512];

	for (int i = 0; i < SOUPS; i++) {
		size_t len = 0, pieces = below(40);

		while (pieces--) {
			const char *frag = fragments[below(sizeof(fragments) / sizeof(fragments[0]))];
			size_t n = frag[0] ? strlen(frag) : 1;

			if (rng() % 3 == 0) { /* a random byte or word instead */
				static const char *const words[] = { "a", "ebpf", "xdp", "\"s\"", "1", " ", "0x1" };

				if (rng() % 2) {
					frag = words[below(sizeof(words) / sizeof(words[0]))];
					n = strlen(frag);
				} else {
					buf[len < sizeof(buf) ? len : 0] = (char)rng();
					len += len < sizeof(buf);
					continue;
				}
			}
			if (len + n > sizeof(buf))
				break;
			memcpy(buf + len, frag, n);
			len += n;
		}
		load_and_check(buf, len);
	}
}

static void test_extreme_inputs(void **state)
{
	size_t big = 1 << 20;
	char *buf = malloc(big);

	memset(buf, '[', big);                          /* far deeper than the limit */
	memcpy(buf, "a = ", 4);
	load_and_check(buf, big);
	memset(buf, '{', big);
	load_and_check(buf, big);
	memset(buf, 'a', big);                          /* one enormous identifier */
	load_and_check(buf, big);
	buf[0] = '"';                                   /* one enormous unterminated string */
	load_and_check(buf, big);
	memset(buf, '\n', big);                         /* a million empty lines */
	load_and_check(buf, big);
	memcpy(buf, "a = <<EOF\n", 10);                 /* a heredoc that never ends */
	load_and_check(buf, big);
	memset(buf, '7', big);                          /* one enormous number, */
	memcpy(buf, "a = 0.", 6);                       /* a decimal */
	load_and_check(buf, big);
	memcpy(buf, "a = 1", 5);                        /* and an integer */
	load_and_check(buf, big);
	memcpy(buf, "a = <<-EOF\n", 11);               /* a flush heredoc of Unicode spaces */
	for (size_t i = 11; i + 8 <= big - 5; i += 8)
		memcpy(buf + i, "\xe3\x80\x80 \xcc\x81x\n", 8);
	memset(buf + big - 13, ' ', 8);
	memcpy(buf + big - 5, "\nEOF\n", 5);
	load_and_check(buf, big);
	memset(buf, '#', big);                          /* one long comment, no newline */
	load_and_check(buf, big);
	for (size_t i = 0; i + 4 <= big; i += 4)        /* 262144 top-level attributes */
		memcpy(buf + i, "a=1\n", 4);
	load_and_check(buf, big);
	memcpy(buf, "ebpf {\n", 7);                    /* ... each an unknown field */
	memcpy(buf + big - 4, "}\n\n\n", 4);
	load_and_check(buf, big);
	free(buf);
	load_and_check("", 0);
}

static void test_null_text(void **state)
{
	struct hcl_diags diags;
	struct hcl_doc doc;

	hcl_diags_init(&diags, "null", NULL, 0);
	assert_int_equal(hcl_parse(NULL, 0, &doc, &diags), 0);
	assert_int_equal(diags.count, 0);
	hcl_doc_release(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_is_valid),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_mutations_of_the_example),
		cmocka_unit_test(test_random_token_soup),
		cmocka_unit_test(test_extreme_inputs),
		cmocka_unit_test(test_null_text),
	};
	struct fw_error err = { 0 };
	int failed;

	if (fw_config_read_file("examples/flywall.hcl", &example, &example_len, &err)) {
		fprintf(stderr, "%s (run from the repository root)\n", err.msg);
		return 1;
	}
	failed = cmocka_run_group_tests_name("config_fuzz", tests, NULL, NULL);
	printf("# %u inputs: %u valid, the rest rejected with %u distinct kinds of message\n",
	       seen.inputs, seen.valid, seen.n_messages);
	for (unsigned i = 0; i < seen.n_messages; i++)
		free(seen.messages[i]);
	free(example);
	return failed;
}
