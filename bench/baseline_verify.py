#!/usr/bin/python3
"""A straightforward baseline for verify-pattern's self-attention and reachability checks.

Loads an explicit pattern file (export-pattern's output; loading is outside the timed region),
builds one SciPy CSR boolean matrix per pattern (M[k, j] = 1 iff j in A_k), checks self-attention
with a loop, and computes the mixing depth s by sparse boolean products
S^1 = M_1, S^t = M_{L(t)} S^{t-1} until S^t is all ones (SciPy's bool sparse products are (or, and)).
Prints one JSON line: {"s": ..., "self_attention": ..., "seconds": ...}.
Run with Debian's /usr/bin/python3 (python3-scipy, python3-numpy).
"""
import json
import sys
import time

import numpy as np
import scipy.sparse as sp


def load(path):
    doc = json.load(open(path))
    layers = []
    for layer in doc["layers"]:
        rows = layer["attend"]
        n = len(rows)
        indptr = [0]
        indices = []
        for row in rows:
            for item in row:
                if isinstance(item, list):
                    indices.extend(range(item[0], item[1] + 1))
                else:
                    indices.append(item)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=bool)
        layers.append(sp.csr_matrix((data, np.array(indices), np.array(indptr)), shape=(n, n)))
    return layers


def main():
    layers = load(sys.argv[1])
    n = layers[0].shape[0]
    p = len(layers)
    start = time.perf_counter()
    missing = 0
    for m in layers:
        for k in range(n):
            row = m.indices[m.indptr[k]:m.indptr[k + 1]]
            if k not in set(row.tolist()):
                missing += 1
    s = None
    S = layers[0].copy()
    t = 1
    previous_nnz = -1
    unchanged = 0
    while True:
        if S.nnz == n * n:
            s = t
            break
        # With self-attention S only grows: stop after a full cycle without change (a fixpoint).
        unchanged = unchanged + 1 if S.nnz == previous_nnz else 0
        if missing == 0 and unchanged >= p:
            break
        previous_nnz = S.nnz
        S = layers[t % p] @ S
        t += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"n": n, "s": s, "self_attention": missing == 0, "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
