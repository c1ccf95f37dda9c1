"""The "What we see" sentences that close each notebook, generated from its numbers.

Each function reads the dict a notebook writes to its numbers file and returns plain
sentences, so the conclusions are true for whichever profile and datasets ran: nothing
here knows which numbers a published render happens to hold. A part of the numbers that
is missing (a profile without a contamination block, a dataset not measured) yields no
sentence rather than a wrong one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

RISING = 0.001  # AUC gained between the last two checkpoints that counts as "still rising"


def _datasets(numbers: Mapping) -> list[tuple[str, Mapping]]:
    """The per-dataset entries of a numbers dict (those with a ``label``)."""
    return [(k, v) for k, v in numbers.items() if isinstance(v, Mapping) and "label" in v]


def data_findings(numbers: Mapping) -> list[str]:
    """01: size and balance of each dataset, and what the one-class split holds."""
    out = []
    split = numbers.get("split", {})
    c = split.get("normal_class", 0)
    for key, d in _datasets(numbers):
        counts = d["train_per_class"]
        imbalance = max(counts) / min(counts) - 1
        anomalies = 1 - counts[c] / sum(counts)
        out.append(f"{d['label']}: {d['n_train']:,} training and {d['n_test']:,} test images of "
                   f"{'×'.join(map(str, d['shape']))} in {len(d['classes'])} classes; the largest "
                   f"class has {imbalance:.0%} more training images than the smallest, so with "
                   f"class {d['classes'][c]} normal about {anomalies:.0%} of a test set are "
                   f"anomalies (why ROC AUC, not accuracy, is the measure).")
        s = split.get(key)
        if s:
            out.append(f"{d['label']}, class {d['classes'][c]} normal with "
                       f"{split['contamination']:g} % contamination: {s['n_train_normal']:,} "
                       f"normal and {s['n_contamination']:,} unlabelled anomalous training "
                       f"images, {s['n_val']:,} validation and {s['n_test']:,} test images.")
    return out


def models_findings(numbers: Mapping) -> list[str]:
    """02: network sizes per input shape, and which perturbation each loss punishes most."""
    out = []
    params = numbers.get("parameters", {})
    shapes = list(next(iter(params.values()), {}))
    for shape in shapes:
        sizes = sorted((p[shape], m) for m, p in params.items())
        out.append(f"For {shape} images the {sizes[0][1]} autoencoder is the smallest "
                   f"({sizes[0][0]:,} parameters) and the {sizes[-1][1]} the largest "
                   f"({sizes[-1][0]:,}, {sizes[-1][0] / sizes[0][0]:.1f}×).")
    labels = numbers.get("labels", {})
    for key, table in numbers.get("losses", {}).items():
        changed = {p: v for p, v in table.items() if p != "identical"}
        if not changed:
            continue
        losses = list(next(iter(changed.values())))
        worst = {loss: max(changed, key=lambda p, loss=loss: changed[p][loss]) for loss in losses}
        mild = {loss: min(changed, key=lambda p, loss=loss: changed[p][loss]) for loss in losses}
        picks = "; ".join(f"{loss.upper()} by {worst[loss]} (least by {mild[loss]})"
                          for loss in losses if "+" not in loss)
        agree = len({worst[loss] for loss in losses}) == 1
        out.append(f"{labels.get(key, key)}: the test image is hurt most, for {picks}"
                   + (": the losses agree on the worst change." if agree else
                      ": the losses disagree on what a large change is, which is why the "
                      "choice of loss changes which anomalies score high."))
    return out


def training_findings(numbers: Mapping) -> list[str]:
    """03: the configuration chosen on validation, its test AUC, and its error gap."""
    out = []
    c = numbers.get("normal_class", 0)
    for _, d in _datasets(numbers):
        if "shown_config" not in d:
            continue
        gap = d["shown_auc"] - d["shown_val_auc"]
        out.append(f"{d['label']}, normal class {c}: the configuration with the best validation "
                   f"AUC is {d['shown_config']} (validation {d['shown_val_auc']:.3f}, test "
                   f"{d['shown_auc']:.3f}, {gap:+.3f} on test).")
        if d.get("mean_error_normal"):
            ratio = d["mean_error_anomalous"] / d["mean_error_normal"]
            out.append(f"{d['label']}: the anomalous test images shown have {ratio:.1f}× the mean "
                       f"squared reconstruction error of the normal ones"
                       + (" (a clear gap)." if ratio >= 1.5 else
                          " (a narrow gap: the error ranks anomalies less reliably here)."))
    return out


def _epoch_sentence(label: str, curves: Mapping[str, Mapping[str, float]], best: str) -> str:
    rising = []
    for config, curve in curves.items():
        epochs = sorted(curve, key=int)
        if len(epochs) >= 2 and curve[epochs[-1]] - curve[epochs[-2]] > RISING:
            rising.append(config)
    head = f"{label}: {len(rising)} of {len(curves)} configurations still gain more than " \
           f"{RISING:g} mean AUC between their last two checkpoints"
    curve = curves.get(best)
    if not curve or len(curve) < 2:
        return head + "."
    e = sorted(curve, key=int)
    delta = curve[e[-1]] - curve[e[-2]]
    trend = ("still rises" if delta > RISING else "falls" if delta < -RISING else "has levelled off")
    return (f"{head}; the best single configuration, {best}, {trend} from epoch {e[-2]} to "
            f"{e[-1]} ({curve[e[-2]]:.4f} → {curve[e[-1]]:.4f})"
            + (": a longer run would likely score higher." if trend == "still rises" else "."))


def _noise_sentences(label: str, table: list) -> list[str]:
    """How many per-class differences from the thesis exceed twice the seed std."""
    marked = [r for r in table if r.get("beyond_noise") in (True, False)
              and str(r.get("class", "")).split(" ")[0].isdigit()]
    if not marked:
        return []
    beyond = [str(r["class"]) for r in marked if r["beyond_noise"]]
    said = f" ({', '.join(beyond)})" if beyond else ""
    return [f"{label}: {len(beyond)} of the {len(marked)} per-class differences from the thesis "
            f"exceed twice the seed std{said}."]


def evaluation_findings(numbers: Mapping) -> list[str]:
    """04: best per class against the thesis, best single configuration, epochs, contamination."""
    out = []
    for _, d in _datasets(numbers):
        label = d["label"]
        if "mean_auc_best_per_class" in d:
            n = len(d.get("mean_auc_per_config", {}))
            mine, thesis = d["mean_auc_best_per_class"], d.get("thesis_mean_auc_best_per_class")
            vs = ("" if thesis is None else
                  f" against the thesis's {thesis:.4f} ({mine - thesis:+.4f}, "
                  f"{'above' if mine >= thesis else 'below'} it)")
            out.append(f"{label}: the best of {n} configurations per class (chosen on the test "
                       f"set, as in the thesis) averages {mine:.4f} over "
                       f"{d.get('measured_classes', '?')} classes{vs}.")
            out.append(f"{label}: the best single configuration, {d['best_single_config']}, "
                       f"averages {d['mean_auc_best_single']:.4f}, "
                       f"{d['mean_auc_best_single'] - mine:+.4f} against choosing per class.")
        out.extend(_noise_sentences(label, d.get("thesis_table", [])))
        if d.get("auc_vs_epoch"):
            out.append(_epoch_sentence(label, d["auc_vs_epoch"], d.get("best_single_config", "")))
        for config, curve in d.get("auc_vs_contamination", {}).items():
            levels = sorted(curve, key=float)
            if len(levels) < 2:
                continue
            clean, worst = curve[levels[0]], curve[levels[-1]]
            first = curve[levels[1]]
            out.append(f"{label}, {config}: mean AUC {clean:.4f} with {levels[0]} % anomalies in "
                       f"training, {first:.4f} with {levels[1]} % ({first - clean:+.4f}) and "
                       f"{worst:.4f} with {levels[-1]} % ({worst - clean:+.4f}).")
    return out


def _ensemble_sentences(label: str, ensembles: list, label_free: Mapping | None) -> list[str]:
    """The no-choice ensemble against the label-free pick and the best single on test."""
    out = []
    for e in ensembles:
        if e["strategy"] != "ensemble-validation":
            continue  # the transductive rank variant is in the table, not the prose
        vs = ("" if label_free is None else
              f", against the label-free pick's {label_free['test_auc']:.4f} "
              f"({e['auc'] - label_free['test_auc']:+.4f}) and the best configuration and "
              f"epoch on test, {label_free['best_single_on_test']:.4f} "
              f"({e['auc'] - label_free['best_single_on_test']:+.4f})")
        out.append(f"{label}: the ensemble of all {e['members']} configurations at epoch "
                   f"{e['epoch']}, chosen by nothing, averages {e['auc']:.4f} over "
                   f"{e['classes']} classes on the search's seed{vs}.")
    return out


def selection_complete(summary: Mapping) -> bool:
    """Every class ran on every seed (the ``even`` and ``classes`` of
    :func:`aeutils.report.comparison.selection_summary`): a block
    still training averages different classes per seed, so its mean ± std is not yet the
    number to quote."""
    return bool(summary.get("even", True)) and summary.get("classes", 10) >= 10


def comparison_findings(numbers: Mapping) -> list[str]:
    """05: where each selection strategy lands against the best on test, and the baselines."""
    out = []
    for _, d in _datasets(numbers):
        label = d["label"]
        gaps = {g["strategy"]: g for g in d.get("optimism", [])}
        for strategy, s in d.get("selection", {}).items():
            seeds = ", ".join(map(str, s.get("seeds", [])))
            if not selection_complete(s):
                out.append(f"{label}, {strategy} selection: {s['config']} at epoch "
                           f"{s['epoch']}, still training on seeds {seeds} ({s['classes']} "
                           f"classes so far); no mean until every class ran on every seed.")
                continue
            spread = f" ± {s['std_auc']:.4f}" if s.get("std_auc") == s.get("std_auc") else ""
            g = gaps.get(strategy)
            vs = ("" if g is None else
                  f"; on the choosing seed it is {-g['gap_single']:+.4f} against the best "
                  f"configuration and epoch on test ({g['best_single_on_test']:.4f})")
            out.append(f"{label}, {strategy} selection: {s['config']} at epoch {s['epoch']}, "
                       f"{s['mean_auc']:.4f}{spread} on seeds {seeds} that did not "
                       f"choose it{vs}.")
        for strategy, g in gaps.items():
            if strategy in d.get("selection", {}):
                continue  # said above, with its held-out seeds
            out.append(f"{label}, {strategy} selection on the choosing seed: "
                       f"{g['model']}/{g['loss']} at epoch {g['epoch']}, test AUC "
                       f"{g['test_auc']:.4f}, {-g['gap_single']:+.4f} against the best "
                       f"configuration and epoch on test ({g['best_single_on_test']:.4f}); not "
                       f"yet re-run on seeds that did not choose it.")
        out.extend(_ensemble_sentences(label, d.get("ensemble", []), gaps.get("label-free")))
        rows = d.get("mean_auc", {})
        single = next((v for k, v in rows.items() if k.startswith("AE best single")), None)
        best = next((v for k, v in rows.items() if k.startswith("AE best of")), None)
        if best is not None and single is not None:
            out.append(f"{label}: choosing the configuration per class on the test set adds "
                       f"{best - single:+.4f} to the best single configuration ({best:.4f} "
                       f"against {single:.4f}), what test labels buy.")
        base = {k: v for k, v in rows.items() if not k.startswith("AE") and "[one-vs-rest]" in k}
        if base and single is not None:
            name = max(base, key=base.get)
            out.append(f"{label}: the best one-vs-rest baseline, {name.split(' [')[0]}, averages "
                       f"{base[name]:.4f}, {base[name] - single:+.4f} against the best single "
                       f"autoencoder configuration ({single:.4f}).")
    return out


def own_data_findings(numbers: Mapping) -> list[str]:
    """06: what the detector flags in the folder and, where labels are known, its AUC."""
    d = numbers.get("folder")
    if not d:
        return []
    height, width = d["size"]
    out = [f"Trained for {d['epochs']} epochs on {d['n_train']:,} images of {d['source']} "
           f"({d['model']}/{d['loss']}, {height}×{width} {d['mode']}), the detector flags "
           f"{d['n_flagged']:,} of the {d['n_new']:,} images to check "
           f"({d['n_flagged'] / max(d['n_new'], 1):.0%}): those scored above its threshold "
           f"{d['threshold']:.4g}, which {d['contamination']:.0%} of held-out training images "
           f"exceed."]
    if "auc" in d:
        out.append(f"With the labels of new/normal/ and new/anomaly/ ({d['n_anomalies']:,} "
                   f"anomalies) its ROC AUC is {d['auc']:.3f}; the threshold flags "
                   f"{d['flagged_anomalies']:.0%} of the anomalies and "
                   f"{d['flagged_normals']:.0%} of the normal images.")
    return out


FINDINGS: dict[str, Callable[[Mapping], list[str]]] = {
    "01_data": data_findings, "02_models": models_findings, "03_training": training_findings,
    "04_evaluation": evaluation_findings, "05_comparison": comparison_findings,
    "06_your_own_data": own_data_findings,
}


def findings(numbers: Mapping, notebook: str) -> list[str]:
    """The "What we see" sentences of ``notebook`` (e.g. ``04_evaluation``) from its numbers."""
    return FINDINGS[notebook](numbers)
