"""How a user's results compare with the shipped ones: identical, float noise, or different.

The same code on another machine (or the same machine with another thread layout) sums
floats in another order, so AUCs of conv, VAE and Deep SVDD runs move by a few 1e-3
while nothing is wrong. The tolerance for "within float noise" is therefore measured,
not chosen: the largest AUC difference between the same runs trained twice on different
hardware (GPU against CPU, and one CPU host against another; see
:func:`float_noise_tolerance`), which bounds what float arithmetic alone moves. Only
differences beyond it are named.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..provenance import ROOT

AGREEMENT = ROOT / "benchmarks" / "results"


def float_noise_tolerance(path: str | Path | None = None, reruns: bool = True) -> float:
    """Largest |AUC difference| measured between the same runs on two machines: in one
    numbers file of ``studies/device_agreement.py`` (GPU against CPU) or of
    ``studies/rerun_scores.py`` (a stored search against its re-run on another CPU host),
    or, by default, over all of them (``benchmarks/results/device_agreement*.json``, and
    ``results/*/rerun_scores.json`` unless ``reruns`` is false); 0.0 when none is there:
    then only identical numbers agree."""
    if path is not None:
        files = [Path(path)]
    else:
        files = sorted(AGREEMENT.glob("device_agreement*.json"))
        files += sorted((ROOT / "results").glob("*/rerun_scores.json")) if reruns else []
    return max((_largest(f) for f in files), default=0.0)


def _largest(path: Path) -> float:
    """A check's largest difference: of each group (device agreement) or of the whole."""
    try:
        check = json.loads(path.read_text())
        return max([g["max_abs_diff"] for g in check.get("groups", {}).values()]
                   or [check["max_abs_diff"]])
    except (OSError, KeyError, ValueError, TypeError):
        return 0.0


def classify(diffs: list[float], tolerance: float) -> str:
    """``identical``, ``float noise`` (every |difference| ≤ tolerance), ``different``
    (some beyond it) or ``nothing compared``."""
    if not diffs:
        return "nothing compared"
    largest = max(abs(d) for d in diffs)
    if largest == 0:
        return "identical"
    return "float noise" if largest <= tolerance else "different"


def verdict(mine, shipped, tolerance: float | None = None, metric: str = "auc",
            show: int = 20) -> list[str]:
    """Lines that state what was measured between two :class:`~aeutils.results.ResultsStore`
    objects, configuration and epoch by configuration and epoch."""
    import numpy as np

    tolerance = float_noise_tolerance() if tolerance is None else tolerance
    theirs = {(r["key"], int(r["epoch"])): r for r in shipped.records()}
    ours = {(r["key"], int(r["epoch"])): r for r in mine.records()}
    both = sorted(set(theirs) & set(ours))
    diffs = [float(ours[k][metric]) - float(theirs[k][metric]) for k in both]
    kind = classify(diffs, tolerance)
    head = f"against the shipped results ({shipped.path}): {len(both)} (configuration, epoch) pairs"
    if kind == "nothing compared":
        return [f"{head}: nothing to compare (no run in common)"]
    d = np.asarray(diffs)
    spread = (f"{int((d == 0).sum())} identical, mean difference {d.mean():+.5f} "
              f"(sd {d.std():.5f}), largest {np.abs(d).max():.4f}")
    if kind == "identical":
        return [f"{head}: identical to the shipped results: reproduction confirmed"]
    beyond = [k for k, x in zip(both, diffs) if abs(x) > tolerance]
    lines = [f"{head}: {spread}; float noise reaches {tolerance:.4f} AUC (same runs on two "
             f"devices): " + ("reproduction confirmed, within float noise" if kind == "float noise"
                              else f"{len(beyond)} pairs differ beyond float noise")]
    for k in beyond[:show]:
        r = ours[k]
        lines.append(f"  differs: {r['model']}/{r.get('loss')} class {r['normal_class']} "
                     f"epoch {k[1]}: mine {float(r[metric]):.4f}, shipped "
                     f"{float(theirs[k][metric]):.4f}")
    return lines
