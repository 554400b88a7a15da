#!/usr/bin/env python3
"""Local validation at scale: `bedside predict` and `bedside evaluate` on 100,000 rows.

The rows are drawn with replacement from a shipped data set (seeded), so they are real
patients' values repeated; each command runs BENCH_RUNS times (default 5) and the median wall
time and the peak resident memory (from the kernel's rusage of that very process, os.wait4)
are printed as a Markdown table for BENCHMARKS.md. `./dev.sh bench-validate` runs it;
BENCH_SMOKE=1 (./dev.sh test) uses 2,000 rows and one run, to prove it still runs.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "bedside")
SMOKE = bool(os.environ.get("BENCH_SMOKE"))
ROWS = 2000 if SMOKE else int(os.environ.get("BENCH_ROWS", "100000"))
RUNS = 1 if SMOKE else int(os.environ.get("BENCH_RUNS", "5"))
# id, labelled CSVs to draw from
DATASETS = [
    ("pima", ["data/pima_tr2.csv", "data/pima_te.csv"]),
    ("wdbc", ["data/wdbc.csv"]),
]


def measure(args):
    """Wall seconds and peak RSS (MB) of one run of `args`."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(args, stdout=null, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        err = proc.stderr.read().decode()
        proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(args)} failed: {err}")
    return elapsed, usage.ru_maxrss / 1024


def main():
    print(f"| bundle | rows | command | median time | peak memory | runs |")
    print(f"|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for ident, sources in DATASETS:
            df = pd.concat([pd.read_csv(os.path.join(ROOT, s), dtype=str, keep_default_na=False) for s in sources])
            rng = np.random.default_rng(20261126)
            big = df.iloc[rng.integers(0, len(df), ROWS)]
            path = os.path.join(tmp, f"{ident}-{ROWS}.csv")
            big.to_csv(path, index=False)
            bundle = os.path.join(ROOT, "static", "bundles", f"{ident}.bdsx")
            for cmd, extra in [("predict", ["--out", os.path.join(tmp, "preds.csv")]), ("evaluate", ["--json"])]:
                runs = [measure([BIN, cmd, "--bundle", bundle, "--data", path, *extra]) for _ in range(RUNS)]
                t = statistics.median(r[0] for r in runs)
                m = statistics.median(r[1] for r in runs)
                print(f"| {ident} | {ROWS:,} | `{cmd}` | {t:.2f} s | {m:.0f} MB | {RUNS} |")


if __name__ == "__main__":
    main()
