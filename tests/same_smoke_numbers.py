"""Check by hand that a refactoring changed no number: smoke-sized runs of every method.

Runs every registered method (both smoke losses for the autoencoders, plus a contaminated
run) at the smoke profile's settings (2 epochs, checkpoints 1 and 2, 64 training images;
1,000 test images) on MNIST classes 0 and 1 into a fresh store, and writes each record's
key, AUC and test scores to JSON. Run it on two checkouts and compare::

    AEUTILS_DATA=... PYTHONPATH=<old checkout> python tests/same_smoke_numbers.py run old.json
    AEUTILS_DATA=... PYTHONPATH=<new checkout> python tests/same_smoke_numbers.py run new.json
    python tests/same_smoke_numbers.py compare old.json new.json

``run OUT.json METHOD …`` runs only those methods. ``compare`` fails unless every record
of the old file is in the new one with the same key, the same AUC and test scores equal
to float noise (relative 1e-6); records of methods only the new code has are listed.
Not collected by pytest: it needs MNIST.
"""

from __future__ import annotations

import json
import sys
import tempfile

import numpy as np

SMOKE = dict(dataset="mnist", epochs=2, checkpoints=(1, 2), max_train=64, max_test=1000)


def configs(methods=()):
    from aeutils import RunConfig
    from aeutils.registry import AUTOENCODERS, BASELINES

    out = []
    for cls in (0, 1):
        out += [RunConfig(model=m, loss=loss, normal_class=cls, **SMOKE)
                for m in AUTOENCODERS for loss in ("mse", "bce+ssim")]
        out.append(RunConfig(model="basic", loss="bce", normal_class=cls, contamination=50.0,
                             **SMOKE))
        out += [RunConfig(model=m, normal_class=cls, extra={"ndf": 16} if m == "ganomaly" else {},
                          **SMOKE) for m in BASELINES]
    return [c for c in out if not methods or c.model in methods]


def run(path: str, methods=()) -> None:
    from aeutils import ResultsStore, run_configs

    store = ResultsStore(tempfile.mkdtemp() + "/r.jsonl")
    run_configs(configs(methods), store, device="cpu", progress=False)
    out = {}
    for r in store.records():
        name = (f"{r['model']}/{r.get('loss')}/class {r['normal_class']}/"
                f"contamination {r['contamination']}/epoch {r['epoch']}")
        scores = store.load_scores(r["key"], r["epoch"])["scores"]
        out[name] = {"key": r["key"], "auc": r["auc"], "scores": np.asarray(scores, float).tolist()}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f)
    print(f"{len(out)} records in {path}")


def compare(old_path: str, new_path: str) -> int:
    old, new = (json.load(open(p, encoding="utf-8")) for p in (old_path, new_path))
    bad = sorted(set(old) - set(new))
    added = sorted(set(new) - set(old))
    for name in sorted(set(old) & set(new)):
        a, b = old[name], new[name]
        sa, sb = np.array(a["scores"]), np.array(b["scores"])
        if a["key"] != b["key"] or a["auc"] != b["auc"] or not np.allclose(sa, sb, rtol=1e-6,
                                                                            atol=1e-9):
            bad.append(name)
    print(f"{len(old)} and {len(new)} records; {len(bad)} differ" + (f": {bad}" if bad else "")
          + (f"; only in the new file: {added}" if added else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["run"]:
        run(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(compare(sys.argv[2], sys.argv[3]))
