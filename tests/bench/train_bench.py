#!/usr/bin/env python3
"""Training time: `bedside train` against scikit-learn on the same work, side by side in one run.

Run with `./dev.sh bench-train` (it builds the CLI and a venv with scikit-learn from PyPI).
The data are wdbc (569 rows, 30 numeric features) resampled with replacement to 5,000 and
50,000 rows, each value multiplied by (1 + N(0, 0.02)) so no two rows are equal (seeded; the
same file every run). Bedside's time is the whole `bedside train`: cross-validation of its
seven candidates, refit, calibration, fold models, explanation baselines, case library and the
bundle. scikit-learn's is 5-fold stratified cross-validation of the same seven candidates
(logistic regression at three strengths, Gaussian naive Bayes, a random forest of 100 trees of
depth 6 with 3 rows per leaf, k-nearest neighbours with k = 5 and 15) on the same
preprocessing (median imputation, standardisation), plus the refit of the best on log-loss.
Both use every core (`n_jobs=-1` for scikit-learn). Prints a Markdown table; BENCH_SMOKE runs
the 5,000-row size only and judges nothing.
"""
import gzip
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.metrics import log_loss
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "bedside")
SMOKE = bool(os.environ.get("BENCH_SMOKE"))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "5000,50000").split(",")]
if SMOKE:
    SIZES = [min(SIZES)]

CANDIDATES = [
    ("logistic C=10", lambda: LogisticRegression(C=10.0, max_iter=5000)),
    ("logistic C=1", lambda: LogisticRegression(C=1.0, max_iter=5000)),
    ("logistic C=0.1", lambda: LogisticRegression(C=0.1, max_iter=5000)),
    ("naive Bayes", GaussianNB),
    ("forest", lambda: RandomForestClassifier(n_estimators=100, max_depth=6, min_samples_leaf=3, random_state=0, n_jobs=-1)),
    ("knn 5", lambda: KNeighborsClassifier(n_neighbors=5, n_jobs=-1)),
    ("knn 15", lambda: KNeighborsClassifier(n_neighbors=15, n_jobs=-1)),
]


def resample(n, out):
    """wdbc resampled to `n` rows with 2 % multiplicative jitter (seeded)."""
    src = pd.read_csv(os.path.join(ROOT, "data", "wdbc.csv"))
    rng = np.random.default_rng(20261127 + n)
    rows = src.iloc[rng.integers(0, len(src), n)].reset_index(drop=True)
    num = rows.columns.drop("diagnosis")
    rows[num] = rows[num] * (1 + rng.normal(0, 0.02, (n, len(num))))
    rows[num] = rows[num].round(6)
    rows.to_csv(out, index=False)
    return rows


def bedside(data, out):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run([BIN, "train", "--data", data, "--schema", os.path.join(ROOT, "data", "wdbc.schema.toml"),
                    "--out", out], check=True, capture_output=True)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(out, "rb") as f:
        gz = len(gzip.compress(f.read(), 9))
    return seconds, peak if peak > before else None, gz


def scikit(rows):
    X = rows.drop(columns="diagnosis").to_numpy()
    y = (rows["diagnosis"] == "malignant").astype(int).to_numpy()
    t0 = time.perf_counter()
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    best, best_loss = None, np.inf
    for _, make in CANDIDATES:
        pipe = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), make())
        p = cross_val_predict(pipe, X, y, cv=cv, method="predict_proba", n_jobs=1)
        loss = log_loss(y, p)
        if loss < best_loss:
            best, best_loss = make, loss
    make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), best()).fit(X, y)
    return time.perf_counter() - t0


def main():
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}")
    print()
    print("| rows | bedside train | scikit-learn | ratio | bedside peak memory | bundle (gzip) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    tmp = tempfile.mkdtemp(prefix="bedside-train-bench-")
    try:
        for n in SIZES:
            data = os.path.join(tmp, f"wdbc_{n}.csv")
            rows = resample(n, data)
            b, peak, gz = bedside(data, os.path.join(tmp, f"wdbc_{n}.bdsx"))
            s = scikit(rows)
            mem = f"{peak / 1024:.0f} MB" if peak else "n/a"
            print(f"| {n:,} | {b:.1f} s | {s:.1f} s | {b / s:.2f}× | {mem} | {gz / 1e6:.2f} MB |", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
