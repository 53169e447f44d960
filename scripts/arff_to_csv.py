#!/usr/bin/env python3
"""Converts a dense ARFF file (Weka's data format) to a CSV with a header row.

  scripts/arff_to_csv.py IN.arff OUT.csv [--missing STR]

ARFF as Weka writes it: '%' starts a comment line; '@relation NAME';
'@attribute NAME TYPE' where TYPE is numeric/real/integer, string, date or a
nominal set {a, 'b c', ...}; then '@data' and one comma-separated row per
line. Names and values may be quoted with single or double quotes ('<0',
'no checking') and use backslash escapes inside quotes; '?' is a missing
value. The CSV keeps the attribute order and names, writes values unquoted
except where RFC 4180 needs quotes (a comma, a double quote or a line break
in the value; quotes are doubled), and writes a missing value as an empty
cell (or STR with --missing). Nominal values are checked against their
declared set and numeric ones must parse as numbers: an error names the line.
Sparse ARFF ('{index value, ...}' rows) is not supported.

Standard library only. Prints one summary line on stderr.
"""
import argparse
import csv
import os
import sys

NUMERIC_TYPES = ("numeric", "real", "integer")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "%": "%"}


class ArffError(Exception):
    pass


def split_tokens(text, lineno, stop_at=None):
    """Splits `text` at commas into (value, was_quoted) pairs, honouring quotes.

    With stop_at set, stops at that character outside quotes and also returns
    the remaining text (used for '{...}' nominal sets)."""
    tokens, i, n = [], 0, len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] in "'\"":
            quote, i, chars = text[i], i + 1, []
            while True:
                if i >= n:
                    raise ArffError(f"line {lineno}: unterminated quote in {text!r}")
                c = text[i]
                if c == "\\" and i + 1 < n:
                    chars.append(ESCAPES.get(text[i + 1], text[i + 1]))
                    i += 2
                elif c == quote:
                    i += 1
                    break
                else:
                    chars.append(c)
                    i += 1
            tokens.append(("".join(chars), True))
            while i < n and text[i] in " \t":
                i += 1
        else:
            start = i
            while i < n and text[i] != "," and text[i] != stop_at:
                i += 1
            tokens.append((text[start:i].strip(), False))
        if i >= n:
            if stop_at is not None:
                raise ArffError(f"line {lineno}: missing '{stop_at}' in {text!r}")
            return tokens
        if text[i] == stop_at:
            return tokens, text[i + 1:]
        if text[i] != ",":
            raise ArffError(f"line {lineno}: expected ',' after a quoted value at column {i + 1} in {text!r}")
        i += 1


def read_name(text, lineno):
    """Reads an attribute name (bare word or quoted) and returns (name, rest)."""
    text = text.lstrip()
    if text[:1] in ("'", '"'):
        quote, i, chars = text[0], 1, []
        while i < len(text) and text[i] != quote:
            if text[i] == "\\" and i + 1 < len(text):
                chars.append(ESCAPES.get(text[i + 1], text[i + 1]))
                i += 2
            else:
                chars.append(text[i])
                i += 1
        if i >= len(text):
            raise ArffError(f"line {lineno}: unterminated quoted attribute name")
        return "".join(chars), text[i + 1:]
    parts = text.split(None, 1)
    if not parts:
        raise ArffError(f"line {lineno}: @attribute without a name")
    return parts[0], parts[1] if len(parts) > 1 else ""


def parse_attribute(rest, lineno):
    name, rest = read_name(rest, lineno)
    rest = rest.strip()
    if rest.startswith("{"):
        values, tail = split_tokens(rest[1:], lineno, stop_at="}")
        if tail.strip():
            raise ArffError(f"line {lineno}: text after the nominal set of '{name}': {tail.strip()!r}")
        return name, "nominal", [v for v, _ in values]
    kind = rest.split(None, 1)[0].lower() if rest else ""
    if kind in NUMERIC_TYPES:
        return name, "numeric", None
    if kind in ("string", "date"):
        return name, kind, None
    raise ArffError(f"line {lineno}: attribute '{name}' has an unsupported type {rest!r}")


def convert(src, dst, missing=""):
    attributes, rows, in_data = [], [], False
    with open(src, encoding="utf-8", errors="strict") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("%"):
                continue
            if not in_data:
                keyword = line.split(None, 1)[0].lower()
                rest = line.split(None, 1)[1] if " " in line or "\t" in line else ""
                if keyword == "@relation":
                    continue
                if keyword == "@attribute":
                    attributes.append(parse_attribute(rest, lineno))
                elif keyword == "@data":
                    if not attributes:
                        raise ArffError(f"line {lineno}: @data before any @attribute")
                    in_data = True
                else:
                    raise ArffError(f"line {lineno}: unexpected header line {line!r}")
                continue
            if line.startswith("{"):
                raise ArffError(f"line {lineno}: sparse ARFF rows are not supported")
            values = split_tokens(line, lineno)
            if len(values) != len(attributes):
                raise ArffError(f"line {lineno}: {len(values)} values, expected {len(attributes)}")
            row = []
            for column, ((value, quoted), (name, kind, allowed)) in enumerate(zip(values, attributes), 1):
                if value == "?" and not quoted:
                    row.append(missing)
                    continue
                if kind == "nominal" and value not in allowed:
                    raise ArffError(f"line {lineno}: column {column} ({name}): '{value}' is not in its nominal set")
                if kind == "numeric":
                    try:
                        float(value)
                    except ValueError:
                        raise ArffError(f"line {lineno}: column {column} ({name}): '{value}' is not a number") from None
                row.append(value)
            rows.append(row)
    if not in_data:
        raise ArffError(f"{src}: no @data section")

    # Write to a temporary name and rename, so an interrupted run leaves no partial CSV.
    tmp = dst + ".partial"
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow([name for name, _, _ in attributes])
        writer.writerows(rows)
    os.replace(tmp, dst)
    kinds = [kind for _, kind, _ in attributes]
    return len(rows), kinds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--missing", default="", help="text written for a missing value '?' (default: empty cell)")
    a = ap.parse_args()
    try:
        n, kinds = convert(a.input, a.output, a.missing)
    except (ArffError, OSError, UnicodeDecodeError) as e:
        sys.exit(f"arff_to_csv: error: {a.input}: {e}")
    summary = ", ".join(f"{kinds.count(k)} {k}" for k in ("numeric", "nominal", "string", "date") if k in kinds)
    print(f"arff_to_csv: wrote {a.output}: {n} rows, {len(kinds)} columns ({summary})", file=sys.stderr)


if __name__ == "__main__":
    main()
