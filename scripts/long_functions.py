#!/usr/bin/env python3
"""List Swift functions, initializers, accessors and closures longer than N lines.

Usage: scripts/long_functions.py [--max N] [--all] PATH...

A unit's length counts every line from the one holding its `func`/`init`/`deinit`/`subscript`
keyword (for a closure or an accessor: its opening brace) to the line of its closing brace, both
included, so a declaration whose signature spans lines is charged for them too. A closure nested in
a function is listed on its own and also counts toward the function that holds it.

Prints one line per unit longer than N (default 80), longest first:
    LINES  FILE:LINE  KIND NAME
and exits 1 when it printed any (0 otherwise), so CI can run it as a check. `--all` lists every
unit regardless of N (useful for a before/after table: `--all | head`).

The scanner is a small lexer, not a parser: it skips comments (nested block comments too), string
literals (single-line, multi-line, raw `#"…"#`, with `\\(…)` interpolation) and classifies each `{`
by the words before it on its statement. It is meant for this code base's style; a construct it
misreads shows up as an odd KIND in `--all`.
"""
import argparse
import os
import re
import sys

DECL_WORDS = {"func", "init", "deinit", "subscript"}
TYPE_WORDS = {"struct", "class", "enum", "extension", "protocol", "actor"}
CONTROL_WORDS = {"if", "else", "for", "while", "guard", "switch", "do", "catch", "repeat", "defer"}
ACCESSOR_WORDS = {"get", "set", "willSet", "didSet", "_read", "_modify"}
# A token ending a line that continues the statement on the next line.
CONTINUES_AFTER = {",", "(", "[", "=", "->", ":", "&&", "||", "+", "-", "*", "/", "?", "in", "where", "."}
# A token starting a line that continues the previous line's statement.
CONTINUES_BEFORE = {".", "->", "where", "throws", "rethrows", "async", "&&", "||", "?", ":", "=", "+", "-", "*", "/",
                    ")", "]", "else"}

TOKEN = re.compile(r"""
    (?P<ident>[A-Za-z_][A-Za-z_0-9]*|`[^`]*`)
  | (?P<number>[0-9][0-9_.xXa-fA-FpP]*)
  | (?P<op>->|&&|\|\||[-+*/%<>=!&|^~?.]+)
  | (?P<punct>[{}()\[\],;:@#$\\])
""", re.VERBOSE)


def tokenize(text):
    """Yields (kind, value, line) with comments and string contents removed.

    Each string literal becomes one token ("string", '""', line of its start)."""
    i, n, line = 0, len(text), 1
    # Stack of interpolation paren depths: inside `\(`…`)` we lex code, then return to the string.
    string_stack = []  # entries: (delimiter, hashes, paren_depth_at_interpolation)
    paren_depth = 0

    def lex_string(i, line, quote, hashes):
        """Scans a string body from i; returns (i, line, interpolating)."""
        closing = quote + "#" * hashes
        while i < n:
            if text.startswith(closing, i):
                return i + len(closing), line, False
            c = text[i]
            if c == "\\" and text.startswith("#" * hashes, i + 1):
                j = i + 1 + hashes
                if j < n and text[j] == "(":
                    return j + 1, line, True
                i = j + 1
                continue
            if c == "\n":
                line += 1
            i += 1
        return i, line, False

    while i < n:
        c = text[i]
        if c == "\n":
            yield ("newline", "\n", line)
            line += 1
            i += 1
            continue
        if c in " \t\r":
            i += 1
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        line += 1
                    i += 1
            continue
        m = re.compile(r'(#*)("""|")').match(text, i)
        if m:
            hashes, quote = len(m.group(1)), m.group(2)
            start_line = line
            i, line, interpolating = lex_string(m.end(), line, quote, hashes)
            yield ("string", '""', start_line)
            if interpolating:
                string_stack.append((quote, hashes, paren_depth))
                paren_depth += 1
            continue
        if c == ")" and string_stack and paren_depth - 1 == string_stack[-1][2]:
            quote, hashes, depth = string_stack.pop()
            paren_depth = depth
            i, line, interpolating = lex_string(i + 1, line, quote, hashes)
            if interpolating:
                string_stack.append((quote, hashes, paren_depth))
                paren_depth += 1
            continue
        m = TOKEN.match(text, i)
        if not m:
            i += 1
            continue
        kind = m.lastgroup
        value = m.group(kind)
        if value == "(":
            paren_depth += 1
        elif value == ")":
            paren_depth -= 1
        yield (kind, value, line)
        i = m.end()


class Unit:
    def __init__(self, kind, name, line):
        self.kind, self.name, self.line, self.end = kind, name, line, line


def units_in(text):
    """Returns the Units (functions, accessors, closures) of one Swift file."""
    tokens = [t for t in tokenize(text)]
    found = []
    # Each scope: (Unit or None, the enclosing type/function names for naming).
    scopes = []
    names = []
    head = []          # significant tokens of the current statement, at bracket depth 0 of the scope
    depth = 0          # () and [] depth inside the current statement
    depth_stack = []   # saved `depth` of enclosing statements when a `{` opens
    head_stack = []
    last = None        # previous significant token value

    def head_is_continued(k):
        """Is the newline at tokens[k] inside the statement (not ending it)?"""
        if depth > 0 or not head:
            return True
        if last in CONTINUES_AFTER:
            return True
        for kind, value, _ in tokens[k + 1:]:
            if kind == "newline":
                continue
            return value in CONTINUES_BEFORE
        return False

    for k, (kind, value, line) in enumerate(tokens):
        if kind == "newline":
            if not head_is_continued(k):
                head = []
            continue
        if value in "([":
            depth += 1
        elif value in ")]":
            depth = max(0, depth - 1)
        if value == "{":
            unit, label = classify(head, last, depth, names)
            if unit is not None:
                unit.line = line if unit.kind in ("closure", "accessor") else head_line(head, line)
                found.append(unit)
            scopes.append(unit)
            names.append(label)
            depth_stack.append(depth)
            head_stack.append(head)
            head, depth, last = [], 0, "{"
            continue
        if value == "}":
            if scopes:
                unit = scopes.pop()
                names.pop()
                if unit is not None:
                    unit.end = line
                depth = depth_stack.pop()
                head = head_stack.pop()
                # After a closing brace the enclosing statement may go on (`}.map {`, `} else {`),
                # or a closure argument list may continue; keep the head, mark it.
                if depth == 0:
                    head = head + [("punct", "}", line)]
            last = "}"
            continue
        if value == ";" and depth == 0:
            head, last = [], ";"
            continue
        head.append((kind, value, line))
        last = value
    return found


def head_line(head, line):
    for kind, value, l in head:
        if value in DECL_WORDS:
            return l
    return head[0][2] if head else line


def classify(head, last, depth, names):
    """Decides what a `{` opens, from the statement words before it.

    Returns (Unit or None, label for naming nested units)."""
    words = [v for _, v, _ in head]
    if depth > 0 or last in ("(", "[", ",", "=", ":", "return", "in", "??", "&&", "||", "->"):
        return Unit("closure", closure_name(words, names), 0), None
    # The statement's own words: what follows the last `}` (for `} else {`, `}.map {`).
    own = words[len(words) - words[::-1].index("}"):] if "}" in words else words
    if own and own[0] in CONTROL_WORDS:
        return None, None
    if "case" in own[:1] or "default" in own[:1]:
        return None, None
    for i, w in enumerate(own):
        if w in TYPE_WORDS and (i == 0 or own[i - 1] not in (".",)):
            type_name = own[i + 1] if i + 1 < len(own) else "?"
            return None, type_name
        if w in DECL_WORDS and (i == 0 or own[i - 1] != "."):
            name = w
            if w == "func" and i + 1 < len(own):
                name = own[i + 1]
            elif w == "init":
                name = "init" + signature_labels(own[i + 1:])
            return Unit(w if w != "func" else "func", qualified(names, name), 0), name
        if w in ("var", "let") and (i == 0 or own[i - 1] != "."):
            if "=" not in own[i:]:
                name = own[i + 1] if i + 1 < len(own) else "?"
                return Unit("property", qualified(names, name), 0), name
            break
        if w in ACCESSOR_WORDS and len(own) <= 2:
            return None, w
    if own and own[0] in ACCESSOR_WORDS:
        return None, own[0]
    if not own:
        # A bare `{` after a finished statement (e.g. `}` `{`) or a trailing closure on its own line.
        return Unit("closure", closure_name(words, names), 0), None
    return Unit("closure", closure_name(words, names), 0), None


def signature_labels(words):
    """`init(contentsOfNPZ path: String)` → `(contentsOfNPZ:)`."""
    if not words or words[0] not in ("(", "?", "!"):
        return ""
    labels, depth, expect_label = [], 0, True
    for w in words[words.index("("):]:
        if w in "([":
            depth += 1
            if depth == 1:
                expect_label = True
            continue
        if w in ")]":
            depth -= 1
            if depth == 0:
                break
            continue
        if depth == 1 and w == ",":
            expect_label = True
            continue
        if depth == 1 and expect_label and re.match(r"[A-Za-z_`]", w):
            labels.append(w + ":")
            expect_label = False
    return "(" + "".join(labels) + ")"


def qualified(names, name):
    outer = [n for n in names if n]
    return ".".join(outer + [name])


def closure_name(words, names):
    callee = ""
    for w in reversed(words):
        if re.match(r"[A-Za-z_]", w) and w not in CONTROL_WORDS:
            callee = w
            break
    return qualified(names, "{" + callee + "}") if callee else qualified(names, "{closure}")


def swift_files(paths):
    for path in paths:
        if os.path.isfile(path):
            yield path
            continue
        for root, _, files in os.walk(path):
            for f in sorted(files):
                if f.endswith(".swift"):
                    yield os.path.join(root, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=80, help="list units longer than this many lines (80)")
    parser.add_argument("--all", action="store_true", help="list every unit, longest first")
    parser.add_argument("paths", nargs="+", help="Swift files or folders")
    args = parser.parse_args()
    rows = []
    for path in sorted(set(swift_files(args.paths))):
        with open(path, encoding="utf-8") as f:
            for unit in units_in(f.read()):
                length = unit.end - unit.line + 1
                if args.all or length > args.max:
                    rows.append((length, path, unit.line, unit.kind, unit.name))
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    for length, path, line, kind, name in rows:
        print(f"{length:5d}  {path}:{line}  {kind} {name}")
    return 1 if rows and not args.all else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `| head`
        sys.exit(0)
