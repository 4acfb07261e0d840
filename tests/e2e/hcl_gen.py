#!/usr/bin/env python3
"""Writes N random HCL files (the literal subset Flywall reads, often mutated
into syntax errors) into DIR, deterministically from SEED, for the
conformance test to compare Flywall's parser with HashiCorp's on.

    hcl_gen.py SEED N DIR

They mix what the two parsers must agree on: Unicode names and NFC-sensitive
strings, escapes, $${ and %%{, heredocs (<<- with tabs, Unicode spaces and
blank lines, markers framed by white space), CRLF, numbers in every notation,
one-line blocks, and byte-level mutations near all of it."""
import os
import random
import sys

seed, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
R = random.Random(seed)

STRING_PIECES = ['a', 'é', 'e\u0301', '\\n', '\\t', '\\"', '\\\\', '\\u00e9', '\\u0065\\u0301',
                 '\\U0001F600', '$${', '%%{', '$', '%', '$$', '%%', ' ', '\u3000', '\u212b',
                 'A\u030a', '\u1e9b\u0323', '\ufb01', '\u0344', '\u1100\u1161\u11a8', '\t']
HEREDOC_LINES = ['x', '  x', '    x', '\tx', '\u3000x', '\u00a0x', ' \u0301x', '', '  ', '\t',
                 '\u3000', '$${y}', '  %%{z}', 'e\u0301', '  \r', '\u2028x', '\u0085x',
                 '\u000bx', '\u000cx', '\\n']
NUMBERS = ['0', '-0', '1', '-1', '007', '1.5', '1e3', '1E-3', '1.5e+3', '0.1', '1024.0',
           '123456789012345678', '1e21', '1e-7', '5e-324', '2.2250738585072014e-308',
           '9007199254740993', '0.000001', '1.0e0', '100e-2', '12.50', '-1.25e-300',
           '9223372036854775807', '-9223372036854775808', '0.30000000000000004', '1.e1',
           '2.E-1', '1e3-2', '007.50']
NAMES = ['a', 'b', 'é', 'e\u0301', 'блок', '_x', 'x-y', 'a1']
KEYS = ['k', 'é', 'e\u0301', '"q"', '"e\u0301"', 'null', 'true', 'k-1', '_k', '"a b"', 'for',
        'in', 'if']
LABELS = ['"l"', 'bare', '"e\u0301"', '"\\n"', '"$${x}"', '"%%{y}"']
MUTATIONS = ['{', '}', '[', ']', '"', '=', ',', ':', '\n', ' ', '\r', '-', '.', '#', '//',
             '/*', '*/', '$', '<<E\n', '\nE\n', '\t', '\u3000', '\u0301', 'e', '1', '\\', '==',
             '?', '(', '+', '*', '!', '.5', '1e', '${', '%{', '\n}\n', 'x {\n']
COMMENTS = ['', '', '', ' # c', ' // c', ' /* c */', ' /* c\n */']


def string():
    return '"' + ''.join(R.choice(STRING_PIECES) for _ in range(R.randint(0, 5))) + '"'


def heredoc():
    marker = R.choice(['EOF', 'E', 'é'])
    body = ''.join(R.choice(HEREDOC_LINES) + '\n' for _ in range(R.randint(0, 4)))
    frame = R.choice(['', '  ', '\t', '\u3000'])
    return '<<%s%s\n%s%s%s%s\n' % (R.choice(['', '-']), marker, body, frame, marker,
                                   R.choice(['', ' ', '\u00a0']))


def value(depth):
    r = R.random()
    if r < 0.25:
        return string()
    if r < 0.4:
        return R.choice(NUMBERS)
    if r < 0.5:
        return R.choice(['true', 'false', 'null'])
    if r < 0.6 and depth < 3:
        items = [value(depth + 1) + ',' for _ in range(R.randint(0, 3))]
        return '[' + R.choice([' ', '\n']) + ' '.join(items) + ']'
    if r < 0.75 and depth < 3:
        sep = R.choice([', ', '\n'])
        items = ['%s %s %s' % (R.choice(KEYS), R.choice(['=', ':']), value(depth + 1))
                 for _ in range(R.randint(0, 3))]
        edge = '\n' if sep == '\n' else ' '
        return '{' + edge + sep.join(items) + edge + '}'
    return string()


def attribute(indent):
    if R.random() < 0.15:
        return '%s%s = %s' % (indent, R.choice(NAMES), heredoc())
    return '%s%s = %s%s\n' % (indent, R.choice(NAMES), value(0), R.choice(COMMENTS))


def block(depth=0):
    head = ' '.join([R.choice(['blk', 'x', 'é'])] +
                    [R.choice(LABELS) for _ in range(R.randint(0, 2))])
    if R.random() < 0.3:
        return '%s { %s = %s }\n' % (head, R.choice(['a', 'b']), value(1))
    items = [attribute('  ') if depth > 1 or R.random() < 0.8 else block(depth + 1)
             for _ in range(R.randint(0, 3))]
    return '%s {%s\n%s}\n' % (head, R.choice(COMMENTS), ''.join(items))


os.makedirs(out, exist_ok=True)
for i in range(count):
    text = ''.join(attribute('') if R.random() < 0.6 else block()
                   for _ in range(R.randint(1, 4)))
    if R.random() < 0.2:
        text = text.replace('\n', '\r\n')
    if R.random() < 0.4:
        for _ in range(R.randint(1, 3)):
            at = R.randint(0, len(text))
            if R.random() < 0.5:
                text = text[:at] + R.choice(MUTATIONS) + text[at:]
            else:
                text = text[:at] + text[at + R.randint(1, 3):]
    with open(os.path.join(out, 'gen-%04d.hcl' % i), 'w', encoding='utf-8', newline='') as f:
        f.write(text)
