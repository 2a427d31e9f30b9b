#!/usr/bin/env python3
"""Straightforward pure-Python n-gram context counter (the baseline for `ntpsep ingest`).

    python3 bench/ingest_baseline.py FILE [--order N]      (FILE may be '-' for stdin)

What a researcher would write: read the file line by line in binary mode, `line.split()` on
bytes (ASCII whitespace, exactly what `ntpsep --tokenizer whitespace` splits on; str.split()
would also split on U+00A0 and U+3000), skip lines without
tokens, pad each remaining line with N-1 `<s>` in front and one `</s>` at the end (KenLM
convention: every real token and the final `</s>` is a predicted event; `<s>` never is), and
count next tokens per context (the N-1 preceding tokens) in a dict of collections.Counter.

Prints one JSON object:
  events      n = number of (context, next-token) pairs = tokens + non-empty lines
  contexts    m = number of distinct contexts
  vocabulary  V = distinct token strings in the text plus `<s>` and `</s>` (both always
              counted, even for --order 1; a literal "<s>" or "</s>" in the text is the same
              string as the boundary marker and is NOT counted twice)
  entropy     H = -sum_j pi_j sum_z p_jz log p_jz in nats (pi_j = c_j/n, p_jz = c_jz/c_j),
              computed as fsum_j fsum_z c_jz*log(c_j/c_jz) / n (no cancellation, exactly
              rounded sums), so it is reproducible to ~1e-15 relative.
"""
import argparse
import collections
import json
import math
import sys
import time


def count(path, order):
    pad = [b"<s>"] * (order - 1)
    counts = collections.defaultdict(collections.Counter)
    vocab = {b"<s>", b"</s>"}
    events = 0
    f = sys.stdin.buffer if path == "-" else open(path, "rb")
    with f:
        for line in f:
            toks = line.split()
            if not toks:
                continue
            vocab.update(toks)
            seq = pad + toks + [b"</s>"]
            for i in range(order - 1, len(seq)):
                counts[tuple(seq[i - order + 1:i])][seq[i]] += 1
            events += len(toks) + 1
    return counts, vocab, events


def entropy(counts, events):
    if events == 0:
        return 0.0
    terms = []
    for nxt in counts.values():
        cj = sum(nxt.values())
        if len(nxt) > 1:
            terms.append(math.fsum(c * math.log(cj / c) for c in nxt.values()))
    return math.fsum(terms) / events


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--order", "-n", type=int, default=3, help="n-gram order N >= 1 (default 3)")
    ap.add_argument("--time", action="store_true", help="print timings to stderr")
    a = ap.parse_args()
    if a.order < 1:
        ap.error("--order must be >= 1")
    t0 = time.perf_counter()
    counts, vocab, events = count(a.file, a.order)
    t1 = time.perf_counter()
    h = entropy(counts, events)
    t2 = time.perf_counter()
    if a.time:
        print(f"count {t1 - t0:.2f}s  entropy {t2 - t1:.2f}s", file=sys.stderr)
    print(json.dumps({"events": events, "contexts": len(counts), "vocabulary": len(vocab),
                      "entropy": h}))


if __name__ == "__main__":
    main()
