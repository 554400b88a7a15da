"""Local validation, checked independently: `bedside evaluate`'s figures against scikit-learn
and numpy computed from the same predictions (`bedside predict`), and `bedside recalibrate`
checked by refitting the calibration line on the recalibrated bundle's predictions.

For each data set a development/local split is drawn here (seeded, stratified by outcome),
so the model is trained on one part by `bedside train` and validated on patients it never saw.
Run by `./dev.sh test` (scikit-learn from PyPI in target/parity-venv).

Tolerances (the issue's): AUC 0.001, calibration intercept and slope 0.02, net benefit 0.002;
after recalibration the calibration line is intercept 0 and slope 1 to 0.05.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEDSIDE = os.path.join(ROOT, "target", "release", "bedside")
CLIP = 1e-9  # the same clip as bedside's (model::validation::CLIP)
THRESHOLDS = [0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50]

# (id, csv, share kept for development; the rest is the "local" data the model never sees)
CASES = [
    ("wdbc", "data/wdbc.csv", 0.6),
    ("biopsy", "data/biopsy.csv", 0.5),
]

failures = []


def check(name, got, want, tol):
    ok = abs(got - want) <= tol
    print(f"  {'ok ' if ok else 'BAD'} {name}: {got:.6f} against {want:.6f} (tolerance {tol})")
    if not ok:
        failures.append(name)


def bedside(*args):
    return subprocess.run([BEDSIDE, *args], check=True, capture_output=True, text=True).stdout


def target_field(schema_path, key):
    """The schema's `[target]` value of `key` (read as text: tomllib is Python 3.11+)."""
    in_target = False
    for line in open(schema_path, encoding="utf-8"):
        s = line.strip()
        if s.startswith("["):
            in_target = s == "[target]"
        elif in_target and s.split("=", 1)[0].strip() == key:
            return s.split("=", 1)[1].strip().strip('"')
    raise SystemExit(f"{schema_path}: no target {key}")


def independent(preds, y):
    p = preds.to_numpy()
    auc = roc_auc_score(y, p)
    z = np.log(np.clip(p, CLIP, 1 - CLIP) / (1 - np.clip(p, CLIP, 1 - CLIP))).reshape(-1, 1)
    # No penalty: `C=inf` from scikit-learn 1.8 on (where `penalty=None` is deprecated).
    major, minor = (int(v) for v in sklearn.__version__.split(".")[:2])
    unpenalised = {"C": np.inf} if (major, minor) >= (1, 8) else {"penalty": None}
    lr = LogisticRegression(solver="lbfgs", tol=1e-12, max_iter=100000, **unpenalised).fit(z, y)
    n = len(y)
    prevalence = y.mean()
    nb = []
    for t in THRESHOLDS:
        treat = p >= t
        tp = np.sum(treat & (y == 1))
        fp = np.sum(treat & (y == 0))
        nb.append((tp / n - fp / n * t / (1 - t), prevalence - (1 - prevalence) * t / (1 - t)))
    return auc, lr.intercept_[0], lr.coef_[0][0], nb, brier_score_loss(y, p)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for ident, csv, keep in CASES:
            schema = os.path.join(ROOT, f"data/{ident}.schema.toml")
            target = target_field(schema, "column")
            pos = target_field(schema, "positive")
            df = pd.read_csv(os.path.join(ROOT, csv), dtype=str, keep_default_na=False)
            rng = np.random.default_rng(20261126)
            dev_idx = []
            for _, g in df.groupby(target):
                idx = g.index.to_numpy().copy()
                rng.shuffle(idx)
                dev_idx.extend(idx[: int(round(len(idx) * keep))])
            dev = df.loc[sorted(dev_idx)]
            local = df.drop(index=dev_idx)
            dev_csv, local_csv = os.path.join(tmp, f"{ident}-dev.csv"), os.path.join(tmp, f"{ident}-local.csv")
            dev.to_csv(dev_csv, index=False)
            local.to_csv(local_csv, index=False)
            bundle = os.path.join(tmp, f"{ident}.bdsx")
            bedside("train", "--data", dev_csv, "--schema", schema, "--out", bundle)
            print(f"{ident}: trained on {len(dev)} rows, validating on {len(local)} it never saw")

            def figures(b, label):
                rep = json.loads(bedside("evaluate", "--bundle", b, "--data", local_csv, "--json"))
                out = os.path.join(tmp, f"{ident}-{label}-preds.csv")
                bedside("predict", "--bundle", b, "--data", local_csv, "--out", out)
                preds = pd.read_csv(out, keep_default_na=False)
                scored = preds[preds.status == "scored"]
                y = (local.reset_index(drop=True).loc[scored.row.to_numpy() - 1, target] == pos).astype(int).to_numpy()
                if len(scored) != rep["n"]:
                    failures.append(f"{ident} {label}: predict scored {len(scored)}, evaluate used {rep['n']}")
                return rep, independent(scored[f"p_{pos}"].astype(float), y)

            rep, (auc, a, b, nb, brier) = figures(bundle, "before")
            check(f"{ident} AUC", rep["auc"], auc, 0.001)
            check(f"{ident} calibration intercept", rep["calibration"]["intercept"], a, 0.02)
            check(f"{ident} calibration slope", rep["calibration"]["slope"], b, 0.02)
            check(f"{ident} Brier", rep["brier"], brier, 1e-9)
            for got, (model, all_) in zip(rep["net_benefit"], nb):
                check(f"{ident} net benefit at {got['threshold']:.2f}", got["model"], model, 0.002)
                check(f"{ident} treat-all at {got['threshold']:.2f}", got["treat_all"], all_, 0.002)

            recal = os.path.join(tmp, f"{ident}-recalibrated.bdsx")
            bedside("recalibrate", "--bundle", bundle, "--data", local_csv, "--out", recal, "--site", "agreement test")
            rep2, (auc2, a2, b2, _, _) = figures(recal, "after")
            check(f"{ident} recalibrated: intercept (independent refit)", a2, 0.0, 0.05)
            check(f"{ident} recalibrated: slope (independent refit)", b2, 1.0, 0.05)
            check(f"{ident} recalibrated: intercept (bedside)", rep2["calibration"]["intercept"], 0.0, 0.05)
            check(f"{ident} recalibrated: slope (bedside)", rep2["calibration"]["slope"], 1.0, 0.05)
            check(f"{ident} recalibrated: AUC unchanged", auc2, auc, 1e-9)
            card = json.loads(bedside("inspect", "--bundle", recal, "--json"))
            if len(card["local"]) != 1 or card["local"][0]["n"] != rep["n"]:
                failures.append(f"{ident}: the recalibrated bundle's card does not carry the validation")
    if failures:
        print(f"FAILED: {len(failures)} checks: {', '.join(failures)}")
        sys.exit(1)
    print("local validation agrees with scikit-learn and numpy")


if __name__ == "__main__":
    main()
