#!/usr/bin/env python3
"""FHIR R4 output checked against a real FHIR model (fhir.resources, R4B package; see
requirements.txt for why R4B checks R4 here).

Run by ./dev.sh test in its own venv (target/fhir-venv). Without arguments it:
  * parses the two real Synthea example Bundles in data/fhir/ as FHIR Bundles (the model works
    and reads real data);
  * imports one of them with `bedside fhir-import`, completes the fields FHIR cannot give,
    and validates the RiskAssessment `bedside risk-assessment` prints, with the patient and
    the observations used as subject and basis, and without them;
  * does the same for a wdbc patient from the data;
  * checks that the validator refuses broken RiskAssessments (so a pass means something).
With file arguments it validates each as a RiskAssessment (the e2e test passes the one the
browser downloaded). Exits non-zero on any failure.
"""
import json
import os
import subprocess
import sys
import tempfile

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.riskassessment import RiskAssessment

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "bedside")
BUNDLES = os.path.join(ROOT, "static", "bundles")


def cli(*args, stdin=None):
    return json.loads(subprocess.run([BIN, *args], input=stdin, check=True, capture_output=True, text=True).stdout)


def valid(obj, what):
    ra = RiskAssessment.model_validate(obj)
    assert ra.status == "final", what
    assert ra.basis and ra.basis[0].identifier.value, f"{what}: the bundle's hash is the first basis"
    assert abs(sum(p.probabilityDecimal for p in ra.prediction) - 1) < 1e-9, what
    print(f"ok  {what}")


def main(paths):
    if paths:
        for p in paths:
            with open(p) as f:
                valid(json.load(f), p)
        return 0
    for name in sorted(os.listdir(os.path.join(ROOT, "data", "fhir"))):
        if name.endswith(".json"):
            with open(os.path.join(ROOT, "data", "fhir", name)) as f:
                b = Bundle.model_validate(json.load(f))
            print(f"ok  data/fhir/{name} is a FHIR Bundle of {len(b.entry)} entries")

    pima = os.path.join(BUNDLES, "pima.bdsx")
    imported = cli("fhir-import", "--bundle", pima, "--fhir", os.path.join(ROOT, "data", "fhir", "fhiry_afhir_bundle.json"), "--today", "2026-11-22")
    patient = {"npreg": 1, "glu": 120, "skin": 25, "ped": 0.4, **imported["patient"]}
    assert set(imported["patient"]) == {"bp", "bmi", "age"}, imported["patient"]
    args = ["risk-assessment", "--bundle", pima, "--patient", "-", "--subject", imported["subject"], "--when", "2026-11-22T10:00:00Z"]
    for ref in imported["basis"]:
        args += ["--basis", ref]
    ra = cli(*args, stdin=json.dumps(patient))
    valid(ra, "pima RiskAssessment from a Synthea bundle (subject and observations as basis)")
    assert ra["subject"]["reference"].startswith("Patient/") and len(ra["basis"]) == 1 + len(imported["basis"])
    valid(cli("risk-assessment", "--bundle", pima, "--patient", "-", stdin=json.dumps(patient)), "pima RiskAssessment, subject not identified")

    with open(os.path.join(ROOT, "data", "wdbc.csv")) as f:
        header, row = f.readline().strip().split(","), f.readline().strip().split(",")
    wdbc = {k: float(v) for k, v in zip(header, row) if k != "diagnosis"}
    valid(cli("risk-assessment", "--bundle", os.path.join(BUNDLES, "wdbc.bdsx"), "--patient", "-", stdin=json.dumps(wdbc)), "wdbc RiskAssessment")

    # The validator must be able to fail: broken copies are refused.
    for what, broken in [
        ("no status", {k: v for k, v in ra.items() if k != "status"}),
        ("a probability that is not a number", {**ra, "prediction": [{"probabilityDecimal": "high"}]}),
        ("an unknown element", {**ra, "riskScore": 3}),
    ]:
        try:
            RiskAssessment.model_validate(broken)
        except Exception:
            print(f"ok  refused: {what}")
        else:
            raise AssertionError(f"the FHIR model accepted a RiskAssessment with {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
