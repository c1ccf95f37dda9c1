"""The talk's choice and comparison: the choice without anomaly labels, then other
methods, measured on the same images first and quoted from papers after (see
:mod:`aeutils.report.talk`)."""

from __future__ import annotations

from .deck import Pictures, Slide, Table, Tables
from .headlines import signed
from .numbers import ComparisonSet, MeasuredRow
from .talk import Source, and_join, classes_note, f3, f4

ONE_VS_REST = "one-vs-rest"


def spread(mean: float, std: float | None) -> str:
    """"0.9570 ± 0.0004", or the mean alone where there is no spread (one seed)."""
    return f4(mean) + ("" if std is None else f" ± {f4(std)}")


def _strategy(name: str) -> str:
    from ..experiments.selection import STRATEGIES

    return STRATEGIES[name].description if name in STRATEGIES else name


def _label_free(c: ComparisonSet) -> list[tuple[str, float, float]]:
    """(what, its test AUC, the best on test) of the no-label choices, as notebook 05's
    figure shows them: the label-free pick over the seeds that did not choose it (on the
    choosing seed while those are incomplete), the ensemble on seed 0."""
    free, ens, sel = c.pick("label-free"), c.ensemble_of(), c.selection.get("label-free")
    best = next((p.best_single_on_test for p in c.optimism), None)
    out = []
    if free is not None:
        auc = sel.mean_auc if sel and sel.complete else free.test_auc
        out.append(("the label-free pick", auc, free.best_single_on_test))
    if ens is not None and best is not None:
        out.append((f"the ensemble of all {ens.members}", ens.auc, best))
    return out


def _gap(auc: float, best: float) -> str:
    return f"{f3(abs(best - auc))} {'below' if auc <= best else 'above'}"


def _choice_cells(c: ComparisonSet) -> list[str]:
    """One column of the choice table (see :func:`without_labels`)."""
    sel, free, ens = c.selection.get("label-free"), c.pick("label-free"), c.ensemble_of()
    labelled = c.pick("labelled-validation")
    some = free or labelled or (c.optimism[0] if c.optimism else None)
    return [
        f"{spread(sel.mean_auc, sel.std_auc)}\n{sel.config}, epoch {sel.epoch}"
        if sel and sel.complete else "–",
        f"{f4(free.test_auc)}\n{free.config}, epoch {free.epoch}" if free else "–",
        f"{f4(ens.auc)}\nepoch {ens.epoch}" if ens else "–",
        f"{f4(labelled.test_auc)}\n{labelled.config}, epoch {labelled.epoch}" if labelled else "–",
        f4(some.best_single_on_test) if some else "–",
        f4(some.best_per_class_on_test) if some else "–"]


def without_labels(src: Source) -> Slide:
    """The label-free pick and the ensemble against the best the test set could pick."""
    found = [(k, c) for k in src.keys() if (c := src.cmp(k)) and _label_free(c)]
    if not found:
        return src.missing("a choice without anomaly labels")
    clauses = []
    for i, (k, c) in enumerate(found):
        choices = _label_free(c)
        (what, auc, best), rest = choices[0], choices[1:]
        more = "".join(f", {w} {_gap(a, b)}" for w, a, b in rest)
        clauses.append(f"on {src.short(k)} {what} ends {_gap(auc, best)} the best picked on "
                       f"test{more}" if i == 0 else
                       f"on {src.short(k)} {' and '.join(_gap(a, b) for _, a, b in choices)}")
    title = "Without anomaly labels: " + "; ".join(clauses)
    figures = [src.figure(f"05_without_labels_{k}") for k, _ in found]
    if all(figures):
        body = Pictures(tuple(figures), tuple(src.short(k) for k, _ in found))
    else:
        names = ("label-free pick, unseen seeds", "label-free pick, choosing seed",
                 "ensemble of every configuration", "labelled-validation pick",
                 "best on test, one configuration", "best on test, per class")
        used = ("none", "none", "none", "validation anomalies", "test labels", "test labels")
        columns = [_choice_cells(c) for _, c in found]
        rows = tuple((n, u, *cells) for n, u, *cells in zip(names, used, *columns))
        body = Table(("chosen by", "labels used", *(
            src.short(k) for k, _ in found)), rows, bold=frozenset(
            (r, 2 + j) for r in range(3) for j in range(len(found))),
            note="Unseen seeds: mean ± std over seeds that took no part in the choice. Every "
                 "other row on the choosing seed, over the same candidates (every "
                 "configuration at every checkpoint).")
    notes = (f"label-free: {_strategy('label-free')}. labelled-validation: "
             f"{_strategy('labelled-validation')}. The ensemble averages every configuration's "
             f"scores, each normalised on validation normals: nothing is chosen. "
             + " ".join(s for s in _comparison_findings(src)
                        if "selection" in s or "ensemble" in s))
    return Slide(title, notes, body, "Without anomaly labels")


def _comparison_findings(src: Source) -> list[str]:
    from .findings import comparison_findings

    return comparison_findings(src.comparison) if src.comparison else []


def best_single(c: ComparisonSet) -> MeasuredRow | None:
    return next((r for r in c.rows() if r.method.startswith("AE best single")), None)


def baselines(c: ComparisonSet) -> list[MeasuredRow]:
    return [r for r in c.rows() if not r.autoencoder and r.protocol == ONE_VS_REST]


def _versus(name: str, base: MeasuredRow, single: MeasuredRow, it: bool) -> str:
    verb = ("matches" if f3(base.mean_auc) == f3(single.mean_auc) else
            "beats" if base.mean_auc > single.mean_auc else "trails")
    return (f"{verb} {'it' if it else 'the best autoencoder'} on {name} "
            f"({f3(base.mean_auc)} against {f3(single.mean_auc)})")


def _measured_title(src: Source, found: list[tuple[str, ComparisonSet]]) -> str:
    """The best measured baseline against the best single autoencoder, per dataset; one
    subject when the same baseline is best everywhere (where it wins first)."""
    pairs = [(src.short(k), max(baselines(c), key=lambda r: r.mean_auc), best_single(c))
             for k, c in found]
    pairs.sort(key=lambda t: t[2].mean_auc - t[1].mean_auc)
    names = {b.method.split(" (")[0] for _, b, _ in pairs}
    if len(names) == 1:
        return (f"Measured on the same images, {names.pop()} " + and_join(
            [_versus(n, b, s, i > 0) for i, (n, b, s) in enumerate(pairs)]))
    return "Measured on the same images: " + "; ".join(
        f"{b.method.split(' (')[0]} {_versus(n, b, s, False)}" for n, b, s in pairs)


def _ae_cells(src: Source, found: list[tuple[str, ComparisonSet]]) -> list[tuple[str, ...]]:
    """The autoencoder rows of the measured table: the best single configuration (picked on
    test) and the label-free pick (seeds that did not choose it)."""
    single, free = [], []
    for key, c in found:
        d, sel = src.ev(key), c.selection.get("label-free")
        row = best_single(c)
        single.append(f"{f4(row.mean_auc)}\n{d.best_single_config}" if d and
                      d.best_single_config else f4(row.mean_auc))
        free.append(f"{spread(sel.mean_auc, sel.std_auc)}\n{sel.config}, epoch {sel.epoch}"
                    if sel and sel.complete else "–")
    rows = [("autoencoder, best single configuration, picked on test", *single)]
    if any(f != "–" for f in free):
        rows.append(("autoencoder, label-free pick, seeds that did not choose it", *free))
    return rows


def _measured_table(src: Source, found: list[tuple[str, ComparisonSet]]) -> Table:
    """The autoencoder rows, then every one-vs-rest baseline; the best of each column bold."""
    rows = _ae_cells(src, found)
    methods = list(dict.fromkeys(r.method for _, c in found for r in baselines(c)))
    for method in methods:
        rows.append((method, *(next((f4(r.mean_auc) for r in baselines(c) if r.method == method),
                                    "–") for _, c in found)))
    bold = set()
    for j in range(1, 1 + len(found)):
        values = [float(r[j].split()[0]) if r[j] != "–" else -1.0 for r in rows]
        bold.add((values.index(max(values)), j))
    return Table(("measured here, one-vs-rest, same images", *(src.short(k) for k, _ in found)),
                 tuple(rows), bold=frozenset(bold))


def measured(src: Source) -> Slide:
    """Every measured one-vs-rest row, autoencoders first, on the same images."""
    found = [(k, c) for k in src.keys() if (c := src.cmp(k)) and baselines(c) and best_single(c)]
    if not found:
        return src.missing("baselines on the same images")
    title = _measured_title(src, found)
    figures = [src.figure(f"05_measured_{k}") for k, _ in found]
    body = (Pictures(tuple(figures), tuple(src.short(k) for k, _ in found)) if all(figures)
            else _measured_table(src, found))
    settings = [f"{src.short(k)}, {r.method}: {r.settings}" for k, c in found for r in c.rows()
                if r.settings and r.protocol == ONE_VS_REST and (
                    not r.autoencoder or r.kind in ("AE best single config",
                                                    "AE, label-free selection"))]
    external = any("external data" in r.method for _, c in found for r in baselines(c))
    notes = ("Measured here, on the training and test images of the autoencoders, under the "
             "one-vs-rest protocol. "
             + ("The row marked external data uses features learnt on ImageNet, which a "
                "one-class detector does not have. " if external else "")
             + "Settings: " + "; ".join(settings) + ". "
             + " ".join(s for s in _comparison_findings(src) if "baseline" in s))
    return Slide(title, notes, body, "Against other methods")


def _quoted_rows(keys: list[str]) -> dict[tuple[str, str], dict[str, float]]:
    """(method, protocol) → dataset → mean AUC quoted by the thesis or a paper."""
    from . import reference

    out: dict[tuple[str, str], dict[str, float]] = {}
    for key in keys:
        means = reference.literature_means(key)
        for r in means.to_dict("records"):
            out.setdefault((r["method"], r["protocol"]), {})[key] = r["mean_auc"]
        if key in reference.THESIS_BEST_MEAN_AUC:
            t = reference.thesis_comparison(key)
            for (method, proto), auc in t.groupby(["method", "protocol"], sort=False)["auc"].mean(
                    ).items():
                out.setdefault((method, proto), {})[key] = auc
    return out


def quoted(src: Source) -> Slide:
    """Numbers from papers, each with its protocol (the next slide re-measures those whose
    method runs here); the best single
    autoencoder measured here first, for scale."""
    keys = [k for k in src.keys() if k in ("mnist", "cifar10")]
    rows = _quoted_rows(keys)
    if not rows:
        return src.missing("datasets with published results")
    spans = []
    for k in keys:
        vals = [v[k] for (_, p), v in rows.items() if p == ONE_VS_REST and k in v]
        if vals:
            spans.append(f"{f3(min(vals))}–{f3(max(vals))} on {src.short(k)}")
    title = ("Quoted from papers: one-vs-rest methods report "
             + and_join(spans) + "; the thesis's GAN rows use another protocol")
    singles = [(best_single(c) if (c := src.cmp(k)) else None) for k in keys]
    figures = [src.figure(f"05_literature_{k}") for k in keys]
    body = (Pictures(tuple(figures), tuple(src.short(k) for k in keys)) if all(figures) else
            _quoted_tables(src, keys, rows, singles))
    notes = ("one-vs-rest: the class is normal, the other nine anomalies (this project, the "
             "thesis). leave-one-out: the class is the anomaly, the other nine normal "
             "(GANomaly's papers): not comparable. anomaly-as-class: ImageNet classifiers "
             "fine-tuned with the anomaly as a labelled class: supervised. The thesis's GAN "
             "and classifier rows are quoted by it, their origin partly unverified; the others "
             "come from the papers each row of the comparison tables names.")
    return Slide(title, notes, body, "Against other methods")


def _quoted_tables(src: Source, keys: list[str], rows: dict, singles: list) -> Tables:
    """The one-vs-rest rows (the best single autoencoder measured here first, in bold)
    beside the rows of other protocols, which do not compare."""
    names = [src.short(k) for k in keys]
    same = [("best single autoencoder, measured here",
             *(f4(s.mean_auc) if s else "–" for s in singles))]
    same += [(m, *(f4(v[k]) if k in v else "–" for k in keys))
             for (m, p), v in rows.items() if p == ONE_VS_REST]
    other = [(m, p.split(" (")[0], *(f4(v[k]) if k in v else "–" for k in keys))
             for (m, p), v in rows.items() if p != ONE_VS_REST]
    left = Table(("one-vs-rest, quoted but the first", *names), tuple(same),
                 muted=frozenset(range(1, len(same))),
                 bold=frozenset((0, 1 + j) for j in range(len(keys))))
    if not other:
        return Tables((left,))
    right = Table(("other protocols, quoted", "protocol", *names), tuple(other),
                  muted=frozenset(range(len(other))))
    return Tables((left, right))


def replicated(src: Source) -> Slide:
    """Each method measured here at the protocol of a quoted row, beside that row."""
    found = [(k, c) for k in src.keys() if (c := src.cmp(k)) and c.replication]
    if not found:
        return src.missing("a method at the protocol of a quoted row")
    by_method: dict[str, dict[str, str]] = {}  # method → dataset key → signed difference
    for k, c in found:
        for r in c.replication:
            by_method.setdefault(r.method, {})[k] = signed(r.difference) + classes_note(r.classes)
    keys = [k for k, _ in found]
    title = (f"Measured here minus quoted mean AUC, {' / '.join(src.short(k) for k in keys)}: "
             + "; ".join(f"{m} {' / '.join(v.get(k, '–') for k in keys)}"
                         for m, v in by_method.items()))
    figures = [src.figure(f"05_replication_{k}") for k, _ in found]
    rows = tuple((src.short(k), r.method, r.protocol, str(r.classes), f4(r.measured_mean),
                  f4(r.quoted_mean), f"{r.difference:+.4f}") for k, c in found
                 for r in c.replication)
    body = (Pictures(tuple(figures), tuple(src.short(k) for k, _ in found)) if all(figures)
            else Table(("data", "method", "protocol", "classes", "measured here", "quoted",
                        "difference"), rows))
    largest = "; ".join(f"{src.short(k)}, {r.method}: {f3(r.largest_difference)}"
                        for k, c in found for r in c.replication)
    notes = ("Each method this project runs under the protocol of a row that the thesis or a "
             "paper quotes, class by class: filled, measured here; hollow, quoted. The "
             "differences are over the classes both rows have; the largest on one class: "
             + largest + ". The measured runs use this project's budgets and images (the "
             "figure's key), CIFAR-10 in its JPEG copy; a quoted row's origin is as its "
             "source says.")
    return Slide(title, notes, body, "Against other methods")


MAIN_CHOICE = (without_labels, measured, quoted, replicated)
