#!/usr/bin/env python3
"""The scikit-learn → ONNX side of the ONNX Runtime Web benchmark (`./dev.sh bench-onnx`).

For pima and wdbc, on the exact train/test split Bedside uses (`bedside split`), and for the two
families compared (logistic regression, random forest):
  * train the Bedside bundle of that family alone (`bedside train --models FAMILY`);
  * train the same model in scikit-learn with the same preprocessing (median imputation,
    standardisation) and the same size: the forest has Bedside's 100 trees, depth 6, 3 rows per
    leaf; the logistic regression has Bedside's chosen penalty (smartcore's `alpha` is
    scikit-learn's `1 / C`: both minimise the summed log-loss plus alpha/2 · |w|²);
  * export the whole scikit-learn pipeline to ONNX (skl2onnx) and check it in onnxruntime;
  * time single-patient `predict_proba` natively, as a reference.
Writes, under OUT (default target/onnx-bench/site): bedside/*.bdsx, ort/*.onnx and data/DS.json
(features, test patients, labels, and every native prediction the browser results are compared
with). The browser half is tests/bench/onnx_bench.mjs.
"""
import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import onnxruntime
import pandas as pd
import skl2onnx
import sklearn
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "bedside")
DATASETS = [("pima", "data/pima_tr2.csv", "Yes"), ("wdbc", "data/wdbc.csv", "malignant")]
FAMILIES = ["logistic", "forest"]
FOREST = dict(n_estimators=100, max_depth=6, min_samples_leaf=3)  # Bedside's forest (train/candidates.rs)
NATIVE_CALLS = 2000


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def bedside_bundle(ds, data, family, out):
    run(BIN, "train", "--data", os.path.join(ROOT, data), "--schema", os.path.join(ROOT, f"data/{ds}.schema.toml"),
        "--models", family, "--out", out)
    card = json.loads(run(BIN, "inspect", "--json", "--bundle", out))["card"]
    chosen = card["candidates"][card["chosen"]]
    return chosen["params"], card["test"]["auc"]


def sklearn_model(family, params, seed=0):
    if family == "logistic":
        alpha = float(re.search(r"alpha = ([0-9.e+-]+)", params).group(1))
        clf = LogisticRegression(C=1.0 / alpha, max_iter=10000, tol=1e-10)
    else:
        clf = RandomForestClassifier(random_state=seed, **FOREST)
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), clf), clf


def single_row_latency(fn, rows):
    """Median and p99 (µs) of single-patient calls, as an app would make them."""
    times = []
    for i in range(NATIVE_CALLS):
        row = rows[i % len(rows)]
        t0 = time.perf_counter()
        fn(row)
        times.append((time.perf_counter() - t0) * 1e6)
    times.sort()
    return {"p50_us": times[len(times) // 2], "p99_us": times[int(0.99 * len(times))]}


def main():
    out = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "target", "onnx-bench", "site")
    for sub in ("bedside", "ort", "data", "split"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    versions = {"scikit-learn": sklearn.__version__, "skl2onnx": skl2onnx.__version__,
                "onnxruntime": onnxruntime.__version__, "python": sys.version.split()[0]}
    for ds, data, positive in DATASETS:
        split = os.path.join(out, "split", ds)
        run(BIN, "split", "--data", os.path.join(ROOT, data), "--schema", os.path.join(ROOT, f"data/{ds}.schema.toml"), "--out", split)
        tr = pd.read_csv(os.path.join(split, "train.csv"))
        te = pd.read_csv(os.path.join(split, "test.csv"))
        target = tr.columns[-1]
        features = [c for c in tr.columns if c != target]
        Xtr, ytr = tr[features].to_numpy(np.float32), (tr[target] == positive).to_numpy(int)
        Xte, yte = te[features].to_numpy(np.float32), (te[target] == positive).to_numpy(int)
        entry = {"features": features, "positive": positive, "n_train": len(tr),
                 # As entered (float64 text values); the ONNX model gets them as float32.
                 "patients": [{f: (None if np.isnan(v) else float(v)) for f, v in zip(features, row)}
                              for row in te[features].to_numpy(float)],
                 "labels": yte.tolist(), "families": {}}
        for family in FAMILIES:
            params, bedside_auc = bedside_bundle(ds, data, family, os.path.join(out, "bedside", f"{ds}-{family}.bdsx"))
            pipe, clf = sklearn_model(family, params)
            pipe.fit(Xtr, ytr)
            p_sk = pipe.predict_proba(Xte)[:, 1]
            onx = convert_sklearn(pipe, initial_types=[("input", FloatTensorType([None, len(features)]))],
                                  options={id(clf): {"zipmap": False}})
            path = os.path.join(out, "ort", f"{ds}-{family}.onnx")
            with open(path, "wb") as f:
                f.write(onx.SerializeToString())
            sess = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            names = [o.name for o in sess.get_outputs()]
            p_ort = sess.run(None, {"input": Xte})[names.index("probabilities")][:, 1]
            fam = {"bedside_params": params, "bedside_test_auc": bedside_auc,
                   "sklearn_params": {k: v for k, v in clf.get_params().items() if k in ("C", "n_estimators", "max_depth", "min_samples_leaf", "max_features", "random_state")},
                   "sklearn": p_sk.tolist(), "onnxruntime_python": p_ort.tolist(),
                   "onnx_bytes": os.path.getsize(path),
                   "native_latency": {
                       "sklearn": single_row_latency(lambda r: pipe.predict_proba(r.reshape(1, -1)), Xte),
                       "onnxruntime_python": single_row_latency(lambda r: sess.run(None, {"input": r.reshape(1, -1)}), Xte),
                   }}
            if family == "forest":
                # Two scikit-learn forests that differ only in their seed: how far apart any two
                # independently grown forests of this size are, patient by patient.
                other, _ = sklearn_model(family, params, seed=1)
                fam["sklearn_seed1"] = other.fit(Xtr, ytr).predict_proba(Xte)[:, 1].tolist()
            entry["families"][family] = fam
            print(f"{ds} {family}: Bedside {params}; ONNX {fam['onnx_bytes']} bytes", file=sys.stderr)
        with open(os.path.join(out, "data", f"{ds}.json"), "w") as f:
            json.dump({"versions": versions, **entry}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
