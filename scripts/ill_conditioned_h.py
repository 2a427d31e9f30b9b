#!/usr/bin/env python3
"""Ill-conditioned context features for `check --embedding file:H.npy` (QA round 16b's cases).

Usage: ill_conditioned_h.py DATA.npz D KIND X TOP OUT.npy

H is d × m with N(0, 1/d) entries (numpy seed 1). Among the TOP most frequent contexts of DATA (ranks 0-9
and 40-49, so TOP ≥ 50):
  plain  X   H as drawn (X is ignored);
  scaled X   ranks 0-4 multiplied by X, ranks 5-9 divided by X (context norms X² apart);
  near   X   ranks 40-49 are copies of ranks 0-9 plus X times Gaussian noise (near-duplicate contexts).
"""
import sys

import numpy as np

data, d, kind, x, top, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
z = np.load(data)
totals = np.add.reduceat(z["data"], z["indptr"][:-1])
rank = np.argsort(-totals, kind="stable")[:top]   # `--context-choice most-frequent`
rng = np.random.default_rng(1)
H = rng.standard_normal((d, len(totals))) / np.sqrt(d)
if kind == "scaled":
    H[:, rank[:5]] *= x
    H[:, rank[5:10]] /= x
elif kind == "near":
    H[:, rank[40:50]] = H[:, rank[:10]] + x * rng.standard_normal((d, 10))
elif kind != "plain":
    sys.exit(f"ill_conditioned_h.py: unknown KIND {kind!r}: expected plain, scaled or near")
np.save(out, H)
