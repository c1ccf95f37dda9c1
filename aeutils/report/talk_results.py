"""The talk's results: beside the thesis, the best configuration, where it fails, training
length and contamination (see :mod:`aeutils.report.talk`)."""

from __future__ import annotations

from collections import Counter

from .deck import PicturePoints, Pictures, Points, Slide, Table
from .findings import RISING, beyond_noise, rising
from .numbers import EvaluationSet
from .talk import MODEL_WORDS, Source, and_join, capital, config_words, f3, f4


def _verdict(deltas: list[float], n: int) -> str:
    where = "on both datasets" if n == 2 else "on every dataset" if n > 2 else ""
    if all(x >= 0 for x in deltas):
        return f"Above the thesis {where}".strip()
    if all(x < 0 for x in deltas):
        return f"Below the thesis {where}".strip()
    return "Beside the thesis"


def _thesis_rows(src: Source, key: str, d: EvaluationSet) -> list[tuple[str, ...]]:
    name, rows = src.short(key), []
    mine, thesis = d.mean_auc_best_per_class, d.thesis_mean_auc_best_per_class
    if mine is not None and thesis is not None:
        rows.append((name, "best of the configurations per class, picked on test", f4(thesis),
                     f4(mine), f"{mine - thesis:+.4f}"))
    avg = d.thesis_average
    if avg and avg.thesis_auc is not None and d.mean_auc_best_single is not None:
        theirs = f"{avg.thesis_model}/{avg.thesis_loss}"
        rows.append((name, "best single configuration, picked on test",
                     f"{f4(avg.thesis_auc)} {theirs}", f"{f4(d.mean_auc_best_single)} "
                     f"{d.best_single_config}", f"{d.mean_auc_best_single - avg.thesis_auc:+.4f}"))
        here = d.mean_auc_per_config.get(theirs)
        if here is not None:
            rows.append((name, "the thesis's best single configuration, run here",
                         f"{f4(avg.thesis_auc)} {theirs}", f4(here),
                         f"{here - avg.thesis_auc:+.4f}"))
    return rows


def beside_thesis(src: Source) -> Slide:
    """The thesis's two headline rows per dataset beside the same rows measured here."""
    found = [(k, d) for k in src.keys() if (d := src.ev(k)) and d.mean_auc_best_per_class
             is not None and d.thesis_mean_auc_best_per_class is not None]
    if not found:
        return src.missing("the configurations beside the thesis")
    deltas = [d.mean_auc_best_per_class - d.thesis_mean_auc_best_per_class for _, d in found]
    title = (f"{_verdict(deltas, len(found))}: best configuration per class "
             + ", ".join(f"{f3(d.mean_auc_best_per_class)} on {src.short(k)} ({x:+.3f})"
                         for (k, d), x in zip(found, deltas)))
    rows = [r for k, d in found for r in _thesis_rows(src, k, d)]
    noise = [f"{src.short(k)} {len(b)} of {len(m)}" for k, d in found
             for m, b in [beyond_noise(d.thesis_table)] if m]
    note = ("Per-class differences from the thesis beyond twice the seed std: "
            + ", ".join(noise) + ".") if noise else ""
    table = Table(("dataset", "mean AUC over the classes", "thesis", "here", "difference"),
                  tuple(rows), bold=frozenset((i, 3) for i in range(len(rows))), note=note)
    seeds = seed_std(src)
    notes = (f"Both columns pick on the test set, as the thesis does: optimistic, and the "
             f"subject of the slide on choosing without anomaly labels. The thesis's numbers "
             f"are the means of its per-class rows (its defence slides). Here: {src.settings}"
             + (f"; the seed std comes from configurations re-run on {seeds[1]} seeds. "
                if seeds else ". ")
             + " ".join(s for s in _evaluation_findings(src) if "per-class differences" in s))
    return Slide(title, notes, table, "Results")


def seed_std(src: Source) -> tuple[float, int] | None:
    """The largest per-class seed std beside the thesis, and the seeds it was measured on."""
    rows = [r for _, d in src.scored() for r in d.thesis_table
            if r.seed_std is not None and r.is_class]
    if not rows:
        return None
    return max(r.seed_std for r in rows), int(max(r.seeds or 0 for r in rows))


def _evaluation_findings(src: Source) -> list[str]:
    from .findings import evaluation_findings

    return evaluation_findings(src.evaluation) if src.evaluation else []


def _spread_points(src: Source, key: str, d: EvaluationSet) -> list[str]:
    points = []
    if d.mean_auc_per_config:
        lo, hi = min(d.mean_auc_per_config.values()), max(d.mean_auc_per_config.values())
        points.append(f"The {len(d.mean_auc_per_config)} configurations average {f3(lo)} to "
                      f"{f3(hi)} over the classes")
    if d.best_per_class:
        ranked = sorted(d.best_per_class.items(), key=lambda kv: kv[1].auc)
        (c0, b0), (c1, b1) = ranked[0], ranked[-1]
        points.append(f"Hardest: {src.class_name(key, c0)}, {f3(b0.auc)} at best; "
                      f"easiest: {src.class_name(key, c1)}, {f3(b1.auc)}")
    return points


def best_configuration(src: Source) -> Slide:
    """The dataset where the autoencoders work best: its best single configuration."""
    scored = src.scored()
    if not scored:
        return src.missing("a complete grid of configurations")
    key, d = scored[0]
    avg = d.thesis_average
    vs = ""
    if avg and avg.thesis_auc is not None:
        delta = d.mean_auc_best_single - avg.thesis_auc
        vs = f", {f3(abs(delta))} {'above' if delta >= 0 else 'below'} the thesis's best single"
    title = (f"{capital(config_words(d.best_single_config))} is the best single configuration "
             f"on {src.short(key)}: {f3(d.mean_auc_best_single)}{vs}")
    points = _spread_points(src, key, d)
    if d.best_per_class:
        wins = Counter(b.config.split("/")[0] for b in d.best_per_class.values())
        model, n = wins.most_common(1)[0]
        points.insert(1, f"{capital(MODEL_WORDS.get(model, model))} is the best autoencoder "
                         f"for {n} of {len(d.best_per_class)} classes")
    notes = (f"{d.label}, {src.settings}. Each cell of the heatmap is the test AUC of one "
             f"configuration for one normal class; the best of each class is picked on the "
             f"test set. " + " ".join(s for s in _evaluation_findings(src)
                                            if s.startswith(d.label + ":")))
    png = src.figure(f"04_auc_heatmap_{key}", f"04_roc_{key}")
    body = PicturePoints(png, tuple(points)) if png else Points(tuple(points))
    return Slide(title, notes, body, "Results")


def where_it_fails(src: Source) -> Slide:
    """The dataset where the autoencoders do worst, and its hardest classes."""
    scored = src.scored()
    if not scored:
        return src.missing("a complete grid of configurations")
    key, d = scored[-1]
    ranked = sorted(d.best_per_class.items(), key=lambda kv: kv[1].auc)
    weakest = (f"; {src.class_name(key, ranked[0][0])} reaches only {f3(ranked[0][1].auc)}"
               if ranked else "")
    if len(scored) > 1:
        other, od = scored[0]
        title = (f"{src.short(key)} is where it fails: the best single configuration averages "
                 f"{f3(d.mean_auc_best_single)}, against {f3(od.mean_auc_best_single)} on "
                 f"{src.short(other)}{weakest}")
    else:
        title = (f"The weakest results on {src.short(key)}: the best single configuration "
                 f"averages {f3(d.mean_auc_best_single)}{weakest}")
    points = ["Chance is 0.500: a detector that ranks at random"]
    points += _spread_points(src, key, d)
    if d.mean_auc_best_per_class is not None:
        points.append(f"Picking the configuration per class on the test set lifts the mean to "
                      f"{f3(d.mean_auc_best_per_class)}")
    notes = (f"{d.label}, {src.settings}. The histograms show the test scores of normal and "
             f"anomalous images for {d.best_single_config}, one panel per normal class: where "
             f"they overlap, no threshold separates them. "
             + " ".join(s for s in _evaluation_findings(src) if s.startswith(d.label + ":")))
    png = src.figure(f"04_score_histograms_{key}", f"04_auc_heatmap_{key}")
    body = PicturePoints(png, tuple(points)) if png else Points(tuple(points))
    return Slide(title, notes, body, "Where it fails")


def _epoch_clause(name: str, curves: dict[str, dict[int, float]]) -> str:
    config, epoch = max(((c, e) for c, curve in curves.items() for e in curve),
                        key=lambda ce: curves[ce[0]][ce[1]])
    auc = f3(curves[config][epoch])
    if epoch < max(curves[config]):
        return f"{name} peaks at epoch {epoch} ({auc}, {config}) and declines after"
    return f"{name} is best at the last epoch trained, {epoch} ({auc}, {config})"


def epochs(src: Source) -> Slide:
    """Mean AUC against training epochs: where it peaks, whether it still rises."""
    found = [(k, d) for k in src.keys() if (d := src.ev(k)) and d.auc_vs_epoch]
    if not found:
        return src.missing("AUC over training epochs")
    title = "How long to train: " + "; ".join(_epoch_clause(src.short(k), d.auc_vs_epoch)
                                              for k, d in found)
    figures, captions = [], []
    for key, d in found:
        png = src.figure(f"04_auc_vs_epoch_{key}")
        if png:
            prev, last = sorted({e for c in d.auc_vs_epoch.values() for e in c})[-2:]
            figures.append(png)
            captions.append(f"{src.short(key)}: {len(rising(d.auc_vs_epoch))} of "
                            f"{len(d.auc_vs_epoch)} configurations gain over {RISING:g} "
                            f"from epoch {prev} to {last}")
    notes = ("Mean test AUC over the classes at each checkpoint epoch. Reading the best epoch "
             "off these curves is itself a choice made on the test set; the label-free "
             "choice picks configuration and epoch without anomaly labels. "
             + " ".join(s for s in _evaluation_findings(src) if "checkpoints" in s))
    body = Pictures(tuple(figures), tuple(captions)) if figures else Points(tuple(
        _epoch_clause(src.short(k), d.auc_vs_epoch) for k, d in found))
    return Slide(title, notes, body, "Training length")


def _contamination_clause(name: str, config: str, curve: dict[float, float]) -> str:
    levels = sorted(curve)
    change = curve[levels[0]] - curve[levels[1]]
    verb = "cost" if change >= 0 else "add"
    return f"{levels[1]:g} % {verb} {f3(abs(change))} AUC on {name} ({config})"


def _contamination_title(src: Source, found: list) -> str:
    """"… adding 10 % of the normal count lowers mean AUC by 0.108 on MNIST and 0.021 on
    CIFAR-10" where one level is first on every dataset, else a clause per dataset."""
    firsts = {sorted(curve)[1] for _, _, curve in found}
    changes = [curve[sorted(curve)[1]] - curve[sorted(curve)[0]] for _, _, curve in found]
    if len(firsts) > 1:
        return "Anomalies among the training images: " + and_join(
            [_contamination_clause(src.short(k), c, v) for k, c, v in found])
    level = firsts.pop()
    if all(x < 0 for x in changes):
        return (f"Anomalies among the training images hurt: adding {level:g} % of the normal "
                f"count lowers mean AUC by " + and_join(
                    [f"{f3(-x)} on {src.short(k)}" for (k, _, _), x in zip(found, changes)]))
    return (f"Adding anomalies to the training images, {level:g} % of the normal count, moves "
            f"mean AUC by " + and_join([f"{x:+.3f} on {src.short(k)}"
                                        for (k, _, _), x in zip(found, changes)]))


def contamination(src: Source) -> Slide:
    """Test AUC as unlabelled anomalies join the training images."""
    found = [(k, c, curve) for k in src.keys() if (d := src.ev(k))
             for c, curve in list(d.auc_vs_contamination.items())[:1] if len(curve) > 1]
    if not found:
        return src.missing("contamination")
    title = _contamination_title(src, found)
    figures, captions = [], []
    for key, config, curve in found:
        png = src.figure(f"04_auc_vs_contamination_{key}")
        if png:
            lo, hi = min(curve), max(curve)
            figures.append(png)
            captions.append(f"{src.short(key)}, {config}: {f3(curve[lo])} with {lo:g} %, "
                            f"{f3(curve[hi])} with {hi:g} %")
    notes = ("Contamination: unlabelled anomalies (the other classes) added to the training "
             "images, as a share of the normal count (10 % = one anomaly per ten normal "
             "images); the test set is unchanged. " + " ".join(s for s in _evaluation_findings(src) if "% anomalies" in s))
    body = Pictures(tuple(figures), tuple(captions)) if figures else Points(tuple(
        _contamination_clause(src.short(k), c, v) for k, c, v in found))
    return Slide(title, notes, body, "Contamination")


MAIN_RESULTS = (beside_thesis, best_configuration, where_it_fails, epochs, contamination)
