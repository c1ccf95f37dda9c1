"""The "What we see" sentences that close each notebook, generated from its numbers.

Each function reads the numbers a notebook writes (its dict, or the typed record of
:mod:`aeutils.report.numbers` that checks it) and returns plain sentences, so the
conclusions are true for whichever profile and datasets ran: nothing here knows which
numbers a published render happens to hold. A part of the numbers that is missing (a
profile without a contamination block, a dataset not measured) yields no sentence rather
than a wrong one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .numbers import (
    ComparisonNumbers,
    ComparisonSet,
    DataNumbers,
    EvaluationNumbers,
    ModelNumbers,
    OwnDataNumbers,
    Pick,
    Record,
    Selection,
    ThesisRow,
    TrainingNumbers,
)

RISING = 0.001  # AUC gained between the last two checkpoints that counts as "still rising"


def _as(cls: type[Record], numbers: Mapping | Record) -> Record:
    """``numbers`` as the record ``cls`` (a dict is checked on the way)."""
    return numbers if isinstance(numbers, cls) else cls.parse(numbers)


def data_findings(numbers: Mapping | DataNumbers) -> list[str]:
    """01: size and balance of each dataset, and what the one-class split holds."""
    nb = _as(DataNumbers, numbers)
    out = []
    c = nb.split.normal_class if nb.split else 0
    for key, d in nb.datasets.items():
        counts = d.train_per_class
        imbalance = max(counts) / min(counts) - 1
        anomalies = 1 - counts[c] / sum(counts)
        out.append(f"{d.label}: {d.n_train:,} training and {d.n_test:,} test images of "
                   f"{'×'.join(map(str, d.shape))} in {len(d.classes)} classes; the largest "
                   f"class has {imbalance:.0%} more training images than the smallest, so with "
                   f"class {d.classes[c]} normal about {anomalies:.0%} of a test set are "
                   f"anomalies (why ROC AUC, not accuracy, is the measure).")
        s = nb.split.datasets.get(key) if nb.split else None
        if s:
            out.append(f"{d.label}, class {d.classes[c]} normal with "
                       f"{nb.split.contamination:g} % contamination: {s.n_train_normal:,} "
                       f"normal and {s.n_contamination:,} unlabelled anomalous training "
                       f"images, {s.n_val:,} validation and {s.n_test:,} test images.")
    return out


def worst_perturbations(table: Mapping[str, Mapping[str, float]]) -> dict[str, tuple[str, str]]:
    """Per loss, the perturbation it punishes most and least (the unchanged copy left out)."""
    changed = {p: v for p, v in table.items() if p != "identical"}
    if not changed:
        return {}
    losses = list(next(iter(changed.values())))
    return {loss: (max(changed, key=lambda p, loss=loss: changed[p][loss]),
                   min(changed, key=lambda p, loss=loss: changed[p][loss])) for loss in losses}


def models_findings(numbers: Mapping | ModelNumbers) -> list[str]:
    """02: network sizes per input shape, and which perturbation each loss punishes most."""
    nb = _as(ModelNumbers, numbers)
    out = []
    shapes = list(next(iter(nb.parameters.values()), {}))
    for shape in shapes:
        sizes = sorted((p[shape], m) for m, p in nb.parameters.items())
        out.append(f"For {shape} images the {sizes[0][1]} autoencoder is the smallest "
                   f"({sizes[0][0]:,} parameters) and the {sizes[-1][1]} the largest "
                   f"({sizes[-1][0]:,}, {sizes[-1][0] / sizes[0][0]:.1f}×).")
    for key, table in nb.losses.items():
        worst = worst_perturbations(table)
        if not worst:
            continue
        picks = "; ".join(f"{loss.upper()} by {most} (least by {least})"
                          for loss, (most, least) in worst.items() if "+" not in loss)
        agree = len({most for most, _ in worst.values()}) == 1
        out.append(f"{nb.labels.get(key, key)}: the test image is hurt most, for {picks}"
                   + (": the losses agree on the worst change." if agree else
                      ": the losses disagree on what a large change is, which is why the "
                      "choice of loss changes which anomalies score high."))
    return out


def training_findings(numbers: Mapping | TrainingNumbers) -> list[str]:
    """03: the configuration chosen on validation, its test AUC, and its error gap."""
    nb = _as(TrainingNumbers, numbers)
    out = []
    for d in nb.datasets.values():
        if d.shown_config is None or d.shown_auc is None or d.shown_val_auc is None:
            continue
        gap = d.shown_auc - d.shown_val_auc
        out.append(f"{d.label}, normal class {nb.normal_class}: the configuration with the best "
                   f"validation AUC is {d.shown_config} (validation {d.shown_val_auc:.3f}, test "
                   f"{d.shown_auc:.3f}, {gap:+.3f} on test).")
        if d.mean_error_normal and d.mean_error_anomalous is not None:
            ratio = d.mean_error_anomalous / d.mean_error_normal
            out.append(f"{d.label}: the anomalous test images shown have {ratio:.1f}× the mean "
                       f"squared reconstruction error of the normal ones"
                       + (" (a clear gap)." if ratio >= 1.5 else
                          " (a narrow gap: the error ranks anomalies less reliably here)."))
    return out


def rising(curves: Mapping[str, Mapping[int, float]]) -> list[str]:
    """The configurations that still gain more than :data:`RISING` between their last two
    checkpoints."""
    out = []
    for config, curve in curves.items():
        epochs = sorted(curve)
        if len(epochs) >= 2 and curve[epochs[-1]] - curve[epochs[-2]] > RISING:
            out.append(config)
    return out


def _epoch_sentence(label: str, curves: Mapping[str, Mapping[int, float]], best: str) -> str:
    head = f"{label}: {len(rising(curves))} of {len(curves)} configurations still gain more " \
           f"than {RISING:g} mean AUC between their last two checkpoints"
    curve = curves.get(best)
    if not curve or len(curve) < 2:
        return head + "."
    e = sorted(curve)
    delta = curve[e[-1]] - curve[e[-2]]
    trend = ("still rises" if delta > RISING else "falls" if delta < -RISING else "has levelled off")
    return (f"{head}; the best single configuration, {best}, {trend} from epoch {e[-2]} to "
            f"{e[-1]} ({curve[e[-2]]:.4f} → {curve[e[-1]]:.4f})"
            + (": a longer run would likely score higher." if trend == "still rises" else "."))


def beyond_noise(table: tuple[ThesisRow, ...]) -> tuple[list[ThesisRow], list[str]]:
    """The per-class rows marked against the seed noise, and the classes whose difference
    from the thesis exceeds twice the seed std."""
    marked = [r for r in table if r.beyond_noise is not None and r.is_class]
    return marked, [r.class_ for r in marked if r.beyond_noise]


def _noise_sentences(label: str, table: tuple[ThesisRow, ...]) -> list[str]:
    """How many per-class differences from the thesis exceed twice the seed std."""
    marked, beyond = beyond_noise(table)
    if not marked:
        return []
    said = f" ({', '.join(beyond)})" if beyond else ""
    return [f"{label}: {len(beyond)} of the {len(marked)} per-class differences from the thesis "
            f"exceed twice the seed std{said}."]


def evaluation_findings(numbers: Mapping | EvaluationNumbers) -> list[str]:
    """04: best per class against the thesis, best single configuration, epochs, contamination."""
    out = []
    for d in _as(EvaluationNumbers, numbers).datasets.values():
        label, mine = d.label, d.mean_auc_best_per_class
        if mine is not None and d.mean_auc_best_single is not None:
            thesis = d.thesis_mean_auc_best_per_class
            vs = ("" if thesis is None else
                  f" against the thesis's {thesis:.4f} ({mine - thesis:+.4f}, "
                  f"{'above' if mine >= thesis else 'below'} it)")
            out.append(f"{label}: the best of {len(d.mean_auc_per_config)} configurations per "
                       f"class (chosen on the test set, as in the thesis) averages {mine:.4f} "
                       f"over {'?' if d.measured_classes is None else d.measured_classes} classes{vs}.")
            out.append(f"{label}: the best single configuration, {d.best_single_config}, "
                       f"averages {d.mean_auc_best_single:.4f}, "
                       f"{d.mean_auc_best_single - mine:+.4f} against choosing per class.")
        out.extend(_noise_sentences(label, d.thesis_table))
        if d.auc_vs_epoch:
            out.append(_epoch_sentence(label, d.auc_vs_epoch, d.best_single_config or ""))
        for config, curve in d.auc_vs_contamination.items():
            levels = sorted(curve)
            if len(levels) < 2:
                continue
            clean, first, worst = curve[levels[0]], curve[levels[1]], curve[levels[-1]]
            out.append(f"{label}, {config}: mean AUC {clean:.4f} with {levels[0]:g} % anomalies "
                       f"in training, {first:.4f} with {levels[1]:g} % ({first - clean:+.4f}) "
                       f"and {worst:.4f} with {levels[-1]:g} % ({worst - clean:+.4f}).")
    return out


def _ensemble_sentences(d: ComparisonSet) -> list[str]:
    """The no-choice ensemble against the label-free pick and the best single on test."""
    out, free = [], d.pick("label-free")
    for e in d.ensemble:
        if e.strategy != "ensemble-validation":
            continue  # the transductive rank variant is in the table, not the prose
        vs = ("" if free is None else
              f", against the label-free pick's {free.test_auc:.4f} "
              f"({e.auc - free.test_auc:+.4f}) and the best configuration and "
              f"epoch on test, {free.best_single_on_test:.4f} "
              f"({e.auc - free.best_single_on_test:+.4f})")
        out.append(f"{d.label}: the ensemble of all {e.members} configurations at epoch "
                   f"{e.epoch}, chosen by nothing, averages {e.auc:.4f} over "
                   f"{e.classes} classes on the search's seed{vs}.")
    return out


def selection_complete(summary: Mapping | Selection) -> bool:
    """Every class ran on every seed (the ``even`` and ``classes`` of
    :func:`aeutils.report.comparison.selection_summary`): a block
    still training averages different classes per seed, so its mean ± std is not yet the
    number to quote."""
    if isinstance(summary, Selection):
        return summary.complete
    return bool(summary.get("even", True)) and summary.get("classes", 10) >= 10


def _selection_sentence(label: str, strategy: str, s: Selection, g: Pick | None) -> str:
    seeds = ", ".join(map(str, s.seeds))
    if not s.complete:
        return (f"{label}, {strategy} selection: {s.config} at epoch {s.epoch}, still "
                f"training on seeds {seeds} ({s.classes} classes so far); no mean until every "
                f"class ran on every seed.")
    spread = f" ± {s.std_auc:.4f}" if s.std_auc is not None else ""
    vs = ("" if g is None else
          f"; on the choosing seed it is {-g.gap_single:+.4f} against the best "
          f"configuration and epoch on test ({g.best_single_on_test:.4f})")
    return (f"{label}, {strategy} selection: {s.config} at epoch {s.epoch}, "
            f"{s.mean_auc:.4f}{spread} on seeds {seeds} that did not choose it{vs}.")


def _baseline_sentences(d: ComparisonSet) -> list[str]:
    """What test labels buy, and the best one-vs-rest baseline against the best single AE."""
    out, rows = [], d.rows()
    single = next((r.mean_auc for r in rows if r.method.startswith("AE best single")), None)
    best = next((r.mean_auc for r in rows if r.method.startswith("AE best of")), None)
    if best is not None and single is not None:
        out.append(f"{d.label}: choosing the configuration per class on the test set adds "
                   f"{best - single:+.4f} to the best single configuration ({best:.4f} "
                   f"against {single:.4f}), what test labels buy.")
    base = [r for r in rows if not r.autoencoder and r.protocol == "one-vs-rest"]
    if base and single is not None:
        top = max(base, key=lambda r: r.mean_auc)
        out.append(f"{d.label}: the best one-vs-rest baseline, {top.method}, averages "
                   f"{top.mean_auc:.4f}, {top.mean_auc - single:+.4f} against the best single "
                   f"autoencoder configuration ({single:.4f}).")
    return out


def comparison_findings(numbers: Mapping | ComparisonNumbers) -> list[str]:
    """05: where each selection strategy lands against the best on test, and the baselines."""
    out = []
    for d in _as(ComparisonNumbers, numbers).datasets.values():
        gaps = {g.strategy: g for g in d.optimism}
        for strategy, s in d.selection.items():
            out.append(_selection_sentence(d.label, strategy, s, gaps.get(strategy)))
        for strategy, g in gaps.items():
            if strategy in d.selection:
                continue  # said above, with its held-out seeds
            out.append(f"{d.label}, {strategy} selection on the choosing seed: "
                       f"{g.config} at epoch {g.epoch}, test AUC "
                       f"{g.test_auc:.4f}, {-g.gap_single:+.4f} against the best "
                       f"configuration and epoch on test ({g.best_single_on_test:.4f}); not "
                       f"yet re-run on seeds that did not choose it.")
        out.extend(_ensemble_sentences(d))
        out.extend(_baseline_sentences(d))
    return out


def own_data_findings(numbers: Mapping | OwnDataNumbers) -> list[str]:
    """06: what the detector flags in the folder and, where labels are known, its AUC."""
    d = _as(OwnDataNumbers, numbers).folder
    if d is None:
        return []
    height, width = d.size
    out = [f"Trained for {d.epochs} epochs on {d.n_train:,} images of {d.source} "
           f"({d.model}/{d.loss}, {height}×{width} {d.mode}), the detector flags "
           f"{d.n_flagged:,} of the {d.n_new:,} images to check "
           f"({d.n_flagged / max(d.n_new, 1):.0%}): those scored above its threshold "
           f"{d.threshold:.4g}, which {d.contamination:.0%} of held-out training images "
           f"exceed."]
    if d.auc is not None:
        out.append(f"With the labels of new/normal/ and new/anomaly/ ({d.n_anomalies:,} "
                   f"anomalies) its ROC AUC is {d.auc:.3f}; the threshold flags "
                   f"{d.flagged_anomalies:.0%} of the anomalies and "
                   f"{d.flagged_normals:.0%} of the normal images.")
    return out


FINDINGS: dict[str, Callable[[Mapping], list[str]]] = {
    "01_data": data_findings, "02_models": models_findings, "03_training": training_findings,
    "04_evaluation": evaluation_findings, "05_comparison": comparison_findings,
    "06_your_own_data": own_data_findings,
}


def findings(numbers: Mapping | Record, notebook: str) -> list[str]:
    """The "What we see" sentences of ``notebook`` (e.g. ``04_evaluation``) from its numbers."""
    return FINDINGS[notebook](numbers)
