"""The documents' generated blocks: tables and sentences rewritten from numbers files.

A generated block sits between ``<!-- generated: NAME ARG … -->`` and
``<!-- end generated -->`` in ``README.md`` or any ``docs/*.md``; NAME is one of
:data:`RENDERERS`, and ARG are its arguments (a profile, a dataset). So no result table
of the documents is typed by hand: after ``make figures PROFILE=thesis``

    python -m aeutils tables           # rewrite every generated block in place
    python -m aeutils tables --check   # change nothing; exit 1 naming each stale block

Every table begins with the ``numbers-from`` marker that ``tests/test_readme_numbers.py``
checks: each decimal number in it must be in the files the marker names. The prose around
the blocks is checked by ``tests/test_doc_numbers.py``: each of its decimals must be in a
numbers file or among the thesis's and the literature's numbers (``report.reference``).

The notebooks' numbers files are read through their typed records
(:mod:`aeutils.report.numbers`), so a renamed or missing field fails in one line naming the
file and the field rather than as a ``KeyError`` in a table; the studies' and checks'
outputs (``results/<study>/``, ``benchmarks/results/``) are read as the dicts they are.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..config import ConfigError
from ..experiments.verdict import float_noise_tolerance, mean_noise
from .exports import markdown_table
from .numbers import (
    BlockRuns,
    ComparisonNumbers,
    ComparisonSet,
    EvaluationNumbers,
    NumbersError,
    Runs,
    ThesisRow,
    load_comparison,
    load_evaluation,
)
from .records import config_name

BLOCK = re.compile(r"(<!-- generated: (?P<spec>[^>]*?) -->\n)(?P<body>.*?)(<!-- end generated -->)",
                   re.S)
DATASETS = {"mnist": "MNIST", "cifar10": "CIFAR-10 (JPEG copy)"}
PROTOCOLS = ("one-vs-rest", "leave-one-out")
EVALUATION = "figures/{profile}/numbers/04_evaluation_numbers.json"
COMPARISON = "figures/{profile}/numbers/05_comparison_numbers.json"


# --- formatting --------------------------------------------------------------------------
def _fmt(x, places: int = 4) -> str:
    return "" if x is None else f"{x:.{places}f}"


def _auc_by_epoch(curve: Mapping) -> str:
    """``{10: 0.93, 100: 0.91}`` (or JSON's ``"10"``) as "10: 0.9300 · 100: 0.9100", in
    epoch order."""
    return " · ".join(f"{e}: {_fmt(v)}" for e, v in sorted(curve.items(), key=lambda i: int(i[0])))


def _tail_drop(drop: float | None, epochs: int) -> str:
    """A :func:`aeutils.report.loss_flatness` summary's fall over its last epochs."""
    return f"{_fmt(drop, 3)} (last {epochs} epochs)"


def _config(model: str | None, loss: str | None) -> str:
    return config_name(model, loss) if model else "–"


def _table(source: str, header: list[str], rows: list[list[str]]) -> str:
    """A generated table: its ``numbers-from`` marker, then the rows (one renderer:
    :func:`aeutils.report.exports.markdown_table`)."""
    body = markdown_table(pd.DataFrame(rows, columns=header), compact=True)
    return f"<!-- numbers-from: {source} -->\n{body}\n"


def _load(root: Path, path: str) -> dict:
    """A study's or a check's output (not a notebook's numbers: those have records)."""
    return json.loads((root / path).read_text())


def _evaluation(root: Path, profile: str) -> EvaluationNumbers:
    """``profile``'s notebook 04 numbers (:data:`EVALUATION`), checked by their record."""
    return load_evaluation(root / "figures" / profile)


def _comparison(root: Path, profile: str) -> ComparisonNumbers:
    """``profile``'s notebook 05 numbers (:data:`COMPARISON`), checked by their record."""
    return load_comparison(root / "figures" / profile)


def _dataset(numbers: ComparisonNumbers, ds: str) -> ComparisonSet:
    """A dataset's comparison, empty where the profile did not measure it."""
    return numbers.datasets.get(ds) or ComparisonSet(label=DATASETS[ds])


# --- the thesis's protocol -------------------------------------------------------------------
def _thesis_rows(numbers: EvaluationNumbers, ds: str) -> tuple[ThesisRow, ...]:
    """The table beside the thesis for ``ds``; empty where the profile did not measure it."""
    found = numbers.datasets.get(ds)
    return found.thesis_table if found else ()


HEADLINE_HEADER = ["mean test AUC over the 10 classes", "MNIST: thesis", "MNIST: here",
                   "CIFAR-10: thesis", "CIFAR-10 (JPEG copy): here"]


def _protocol_rows(evaluation: EvaluationNumbers) -> list[list[str]]:
    """The thesis's three numbers per dataset beside ours, at its protocol: best of 15 per
    class and best single configuration (both picked on test), and the thesis's AVG-row
    configuration as it runs here."""
    cells: dict[str, list[str]] = {"best": [], "single": [], "avg": []}
    for ds in DATASETS:
        if not _thesis_rows(evaluation, ds):
            for label in cells:
                cells[label] += ["–", "–"]
            continue
        found = evaluation.datasets[ds]
        mean, avg = found.thesis_mean, found.thesis_average
        thesis_config = config_name(avg.thesis_model, avg.thesis_loss)
        ours_avg = found.mean_auc_per_config.get(thesis_config)
        cells["best"] += [_fmt(mean.thesis_auc), _fmt(mean.our_auc)]
        ours_single = _config(avg.our_model, avg.our_loss)
        cells["single"] += [f"{_fmt(avg.thesis_auc)} ({thesis_config})",
                            f"{_fmt(avg.our_auc)} ({ours_single})"]
        cells["avg"] += [f"{_fmt(avg.thesis_auc)} ({thesis_config})",
                         f"{_fmt(ours_avg) or '–'} ({thesis_config})"]
    return [["best of the 15 configurations per class at epoch 200, picked on test (thesis: the "
             "mean of its per-class rows)", *cells["best"]],
            ["best single configuration at epoch 200, picked on test (the thesis's AVG row)",
             *cells["single"]],
            ["the thesis's AVG-row configuration, run here", *cells["avg"]]]


def _label_free_row(root: Path, profile: str) -> tuple[list[str], str] | None:
    """Label-free selection's mean ± std over the seeds that did not choose, and the numbers
    file it comes from; None until ``profile``'s numbers hold it."""
    source = COMPARISON.format(profile=profile)
    if not (root / source).exists():
        return None
    numbers = _comparison(root, profile)
    picks = [_dataset(numbers, ds).selection.get("label-free") for ds in DATASETS]
    picks = [p if p and p.complete else None for p in picks]
    if not any(picks):
        return None
    seeds = next(p.seeds for p in picks if p)
    row = [f"chosen without anomaly labels, mean ± std over seeds {_seeds(seeds)} "
           f"(`{profile}` profile)"]
    for pick in picks:
        row += ["–", f"{_fmt(pick.mean_auc)} ± {_fmt(pick.std_auc)} ({pick.config}, "
                     f"epoch {pick.epoch})" if pick else "–"]
    return row, source


# Rows after the thesis's three, tried for each profile the block names, in order: each
# returns (cells, numbers file) or None while the profile's numbers lack it. A new headline
# row is one more function here.
HEADLINE_ROWS: list[Callable[[Path, str], tuple[list[str], str] | None]] = [_label_free_row]


def headline(root: Path, protocol_profile: str = "thesis", *profiles: str) -> str:
    """The first table of the README: the thesis's numbers beside ours at its protocol
    (``protocol_profile``'s notebook 04), then each of :data:`HEADLINE_ROWS` for
    ``protocol_profile`` and each of ``profiles`` whose numbers hold it: a row appears by
    itself once a profile's numbers file has it."""
    source = EVALUATION.format(profile=protocol_profile)
    rows, sources = _protocol_rows(_evaluation(root, protocol_profile)), [source]
    for profile in (protocol_profile, *profiles):
        for make in HEADLINE_ROWS:
            found = make(root, profile)
            if found:
                rows.append(found[0])
                sources.append(found[1])
    return _table(" ".join(dict.fromkeys(sources)), HEADLINE_HEADER, rows)


def _seeds(seeds: Sequence[int]) -> str:
    return f"{seeds[0]}–{seeds[-1]}" if list(seeds) == list(range(seeds[0], seeds[-1] + 1)) \
        and len(seeds) > 2 else ", ".join(map(str, seeds))


def thesis_table(root: Path, dataset: str) -> str:
    """The thesis's best-per-class table beside the ``thesis`` profile's (notebook 04)."""
    path = EVALUATION.format(profile="thesis")
    rows = _thesis_rows(_evaluation(root, "thesis"), dataset)
    if not rows:
        return f"*No run of the `thesis` profile on this dataset is stored yet* (`{path}`).\n"
    header = ["class", "thesis: config", "thesis AUC", "thesis acc.", "here: config", "AUC",
              "Δ AUC", "seed std", "acc.", "Δ acc.", "balanced acc.", "status"]
    body = [[r.class_, _config(r.thesis_model, r.thesis_loss), _fmt(r.thesis_auc),
             _fmt(r.thesis_accuracy), _config(r.our_model, r.our_loss), _fmt(r.our_auc),
             _delta_mark(r), _seed_std(r), _fmt(r.our_accuracy), _fmt(r.delta_accuracy),
             _fmt(r.our_balanced_accuracy), r.status] for r in rows]
    return _table(path, header, body)


def _delta_mark(row: ThesisRow) -> str:
    """Δ AUC, with ``*`` where it exceeds twice the seed std (report.mark_seed_noise)."""
    return _fmt(row.delta_auc) + (" *" if row.beyond_noise is True else "")


def _seed_std(row: ThesisRow) -> str:
    """The seed std behind a cell: its own configuration's over seeds, or (p) the class's
    std pooled over the configurations run on several seeds."""
    if row.seed_std is None:
        return "–"
    return _fmt(row.seed_std) + (" (p)" if row.noise_from == "pooled" else "")


def thesis_quoted(root: Path, dataset: str) -> str:
    """The thesis's own best-per-class table, as it reports it (``aeutils.reference``, by
    way of notebook 04's numbers): the normal class, its best configuration, accuracy, AUC."""
    path = EVALUATION.format(profile="thesis")
    rows = _thesis_rows(_evaluation(root, "thesis"), dataset)
    if not rows:
        return f"*The `thesis` profile's numbers hold no table for this dataset* (`{path}`).\n"
    header = ["normal class", "autoencoder/loss", "accuracy", "AUC"]
    body = [["mean of the rows above (computed here)" if r.is_mean else r.class_,
             _config(r.thesis_model, r.thesis_loss), _fmt(r.thesis_accuracy),
             _fmt(r.thesis_auc)] for r in rows]
    return _table(path, header, body)


# --- runs and their cost ---------------------------------------------------------------------
def progress(root: Path, profile: str) -> str:
    """How many runs of ``profile`` its shipped store holds, in all and per block (notebook 04)."""
    runs = _runs(root, profile)
    blocks = ", ".join(f"`{name}` {b.stored}/{b.runs}" for name, b in runs.blocks.items())
    text = (f"{runs.stored} of the {runs.runs} runs are stored, every one with all its "
            f"checkpoints ({blocks}).")
    spent = runs.compute
    if spent and spent.cpu_hours > 0:
        text += (f" Training and scoring them took {spent.cpu_hours:.1f} CPU-hours (core-hours: "
                 f"the process CPU time that the records carry")
        if spent.runs_estimated:
            text += (f"; {spent.runs_estimated} runs whose records lack it count their "
                     f"training wall time × threads, {spent.estimated_cpu_hours:.1f} of "
                     f"those hours")
        text += ")."
    if spent and spent.accelerator_runs:
        text += (f" {spent.accelerator_runs} runs were trained on a GPU instead: their training "
                 f"took {spent.accelerator_train_hours:.2f} GPU-hours of wall time (summed over "
                 f"groups that shared one GPU, several at once).")
    return textwrap.fill(text, 90, break_on_hyphens=False) + "\n"


def _runs(root: Path, profile: str) -> Runs:
    """``profile``'s runs in all and per block (notebook 04's ``runs``); an error naming the
    file where its numbers lack them."""
    runs = _evaluation(root, profile).runs
    if runs is None:
        path = EVALUATION.format(profile=profile)
        raise NumbersError(f"{root / path}: missing field 'runs'")
    return runs


def _block_cells(name: str, b: BlockRuns, gpu: bool) -> list[str]:
    """A block's row: runs stored, CPU-hours and (``gpu``) GPU-hours; ``?`` without a cost."""
    spent = b.compute
    cells = [f"`{name}`", f"{b.stored}/{b.runs}", _fmt(spent.cpu_hours, 2) if spent else "?"]
    if gpu:
        cells.append(_fmt(spent.accelerator_train_hours, 2) if spent else "?")
    return cells


def block_hours(root: Path, profile: str) -> str:
    """Per block of ``profile``: runs stored and what training and scoring them cost
    (notebook 04's ``runs``; a run shared by two blocks counts in both)."""
    path = EVALUATION.format(profile=profile)
    blocks = _runs(root, profile).blocks
    gpu = any(b.compute and b.compute.accelerator_runs for b in blocks.values())
    header = ["block", "runs stored", "CPU-hours"] + (
        ["GPU-hours (wall, summed over groups)"] if gpu else [])
    # a selection block before its search is stored has no runs: no row
    rows = [_block_cells(name, b, gpu) for name, b in blocks.items() if b.runs]
    return _table(path, header, rows)


# --- the comparison (notebook 05) ----------------------------------------------------------
# Selection strategies of the comparison table, in order: (row label, how it chose).
STRATEGY_ROWS = {
    "label-free": ("AE, label-free selection", "one config and epoch per dataset on seed 0, by "
                   "validation normals against synthetic anomalies (**no anomaly label**); "
                   "mean ± std over the other seeds"),
    "label-free-flip": ("AE, label-free selection, flips only", "the same, against upside-down "
                        "copies only: the criterion that won on Fashion-MNIST by a rule fixed "
                        "in advance (**no anomaly label** of this dataset)"),
    "labelled-validation": ("AE, labelled-validation selection", "the same, by validation "
                            "normals against labelled images of the other classes "
                            "(semi-supervised)"),
}


class _Comparison:
    """A profile's comparison numbers, read cell by cell: one column per (dataset, protocol)
    that holds a measured number."""

    def __init__(self, numbers: ComparisonNumbers):
        self.sets = {ds: _dataset(numbers, ds) for ds in DATASETS}
        self.columns = [(ds, p) for ds in DATASETS for p in PROTOCOLS if any(
            k.endswith(f"[{p}]") for k in self.sets[ds].mean_auc)]

    def find(self, ds: str, proto: str, prefix: str) -> str | None:
        return next((k for k in self.sets[ds].mean_auc
                     if k.startswith(prefix) and k.endswith(f"[{proto}]")), None)

    def value(self, ds: str, proto: str, prefix: str, show_config: bool = False) -> str:
        k = self.find(ds, proto, prefix)
        if k is None:
            return "–"
        config = k[len(prefix):].split("[")[0].strip(" ()") if show_config else ""
        return f"{self.sets[ds].mean_auc[k]:.4f}" + (f" ({config})" if config else "")

    def strategy(self, ds: str, proto: str, name: str) -> str:
        sel = self.sets[ds].selection.get(name)
        if not sel or proto != "one-vs-rest":
            return "–"
        if not sel.complete:
            return f"– (still training: {sel.classes} classes so far)"
        return f"**{sel.mean_auc:.4f}** ± {sel.std_auc:.4f} ({sel.config}, epoch {sel.epoch})"

    def baseline(self, ds: str, proto: str, name: str) -> str:
        """Mean, and ± std over seeds of the class-mean where every class ran on the same
        several seeds."""
        spread = self.sets[ds].baselines.get(f"{name} [{proto}]")
        if spread and len(spread.seeds) > 1 and spread.even and self.find(ds, proto, f"{name} "):
            return f"{spread.mean_auc:.4f} ± {spread.std_auc:.4f}"
        return self.value(ds, proto, f"{name} ")

    def runs(self, prefix: str) -> str:
        """The settings of the runs behind a row, once if every column shares them."""
        found: dict[str, list[str]] = {}
        for ds, proto in self.columns:
            k = self.find(ds, proto, prefix)
            if k and self.sets[ds].settings.get(k):
                found.setdefault(self.sets[ds].settings[k], []).append(DATASETS[ds].split()[0])
        if len(found) <= 1:
            return next(iter(found), "")
        return "; ".join(f"{'/'.join(dict.fromkeys(names))}: {how}" for how, names in found.items())

    def rows(self) -> Iterator[tuple[str, str, str, Callable[[str, str], str]]]:
        """(method, how it was chosen, key prefix, cell of a column) of every row, in order."""
        for name, (method, how) in STRATEGY_ROWS.items():
            if any(name in self.sets[ds].selection for ds in DATASETS):
                yield method, how, f"AE, {name} selection", \
                    lambda ds, p, n=name: self.strategy(ds, p, n)
        prefix = "AE best per class on labelled validation"
        yield ("AE, best per class on labelled validation", "per class, reported on the seed "
               "that chose it", prefix, lambda ds, p: self.value(ds, p, prefix))
        yield ("AE, best single config on **test**, last epoch", "reads test labels (optimistic)",
               "AE best single config",
               lambda ds, p: self.value(ds, p, "AE best single config", True))
        yield ("AE, best per class on **test** (the thesis's pick)", "reads test labels "
               "(optimistic)", "AE best of", lambda ds, p: self.value(ds, p, "AE best of"))
        baselines = sorted({k.rsplit(" [", 1)[0] for ds in DATASETS for k in
                            self.sets[ds].mean_auc if not k.startswith("AE")})
        for b in baselines:
            yield b, "fixed settings (mean, ± std over its seeds)", f"{b} ", \
                lambda ds, p, b=b: self.baseline(ds, p, b)


def comparison(root: Path, profile: str) -> str:
    """Mean test AUC over the ten classes: autoencoder selections and baselines, each row
    with how it was chosen and the runs behind it (notebook 05)."""
    path = COMPARISON.format(profile=profile)
    numbers = _Comparison(_comparison(root, profile))
    if not numbers.columns:
        return f"*No comparison of the `{profile}` profile is stored yet* (`{path}`).\n"
    header = ["method", "how it was chosen", "runs behind it",
              *(f"{DATASETS[ds]} {proto}" for ds, proto in numbers.columns)]
    rows = [[method, how, numbers.runs(prefix), *(cell(ds, p) for ds, p in numbers.columns)]
            for method, how, prefix, cell in numbers.rows()]
    return _table(path, header, rows)


# The best a search holds on test, over every configuration × checkpoint epoch: not the
# thesis's epoch-200 numbers of the headline and the thesis tables.
BEST_ON_TEST = ["best config and epoch on test", "best config and epoch per class on test"]


def optimism(root: Path, profile: str) -> str:
    """Each strategy's pick against the best on test, same candidates and seed (notebook 05)."""
    path = COMPARISON.format(profile=profile)
    numbers = _comparison(root, profile)
    found = [(ds, o) for ds in DATASETS for o in _dataset(numbers, ds).optimism]
    if not found:
        return f"*No complete search of the `{profile}` profile is stored yet* (`{path}`).\n"
    header = ["dataset", "strategy", "its pick", "its test AUC", *BEST_ON_TEST[:1], "optimism",
              *BEST_ON_TEST[1:], "optimism", "candidates"]
    rows = [[DATASETS[ds], o.strategy, f"{o.config}, epoch {o.epoch}", _fmt(o.test_auc),
             _fmt(o.best_single_on_test), _fmt(o.gap_single), _fmt(o.best_per_class_on_test),
             _fmt(o.gap_per_class), str(o.candidates)] for ds, o in found]
    return _table(path, header, rows)


def ensemble(root: Path, profile: str) -> str:
    """The label-free ensemble of the whole search beside the selections and the best on
    test, same seed and candidates (notebook 05: ``aeutils.ensemble``)."""
    path = COMPARISON.format(profile=profile)
    numbers = _comparison(root, profile)
    header = ["dataset", "scorer", "epoch", "members", "classes", "mean test AUC",
              "label-free pick", *BEST_ON_TEST]
    rows = []
    for ds in DATASETS:
        found = _dataset(numbers, ds)
        free = found.pick("label-free")
        best = [free.test_auc, free.best_single_on_test, free.best_per_class_on_test] \
            if free else [None] * 3
        rows += [[DATASETS[ds], e.strategy, str(e.epoch), str(e.members), str(e.classes),
                  _fmt(e.auc), *map(_fmt, best)] for e in found.ensemble]
    if not rows:
        return (f"*No ensemble of the `{profile}` profile: its search kept no score files at "
                f"one epoch for every configuration* (`{path}`).\n")
    return _table(path, header, rows) + _rerun_note(root, profile)


def _rerun_note(root: Path, profile: str) -> str:
    """Where the members' score files came from a re-run (studies/rerun_scores.py), say so."""
    path = root / "results" / profile / "rerun_scores.json"
    if not path.exists():
        return ""
    r = json.loads(path.read_text())
    beyond = r.get("beyond_float_noise", 0)
    device = (f"none further apart than GPU- and CPU-trained runs ({r['float_noise']:.4f})"
              if not beyond else f"{beyond} further apart than GPU- and CPU-trained runs "
              f"({r['float_noise']:.4f}), the most {r['worst']}")
    return (f"\nThe members' score files come from a re-run of the search on another CPU host "
            f"(commit {r['commit']}; `studies/rerun_scores.py`), since the search kept none: at "
            f"the epochs above its test AUCs differ from the stored records by "
            f"{r['mean_abs_diff']:.4f} on average and {r['max_abs_diff']:.4f} at most "
            f"({r['pairs']} (run, epoch) pairs, {r['identical']} identical; {device}). That "
            f"largest difference is one of the measurements behind the float-noise tolerance "
            f"([store.md](store.md#float-noise)). The other columns are the stored runs'.\n")


def convergence(root: Path, profile: str) -> str:
    """The neural baselines' mean test AUC at each checkpoint and how much their training
    loss still fell at the end, per column (notebook 05's convergence figures, as numbers)."""
    path = COMPARISON.format(profile=profile)
    numbers = _comparison(root, profile)
    found = [(ds, name, curve) for ds in DATASETS for proto in PROTOCOLS
             for name, curve in sorted(_dataset(numbers, ds).baseline_auc_by_epoch.items())
             if name.endswith(f"[{proto}]")]
    if not found:
        return f"*No neural baseline of the `{profile}` profile is stored yet* (`{path}`).\n"
    header = ["method", "column", "mean test AUC at each checkpoint (epoch: AUC)",
              "mean training loss, first → last epoch", "fraction it fell over the last tenth"]
    rows = []
    for ds, name, curve in found:
        method, proto = name.rsplit(" [", 1)
        classes = numbers.datasets[ds].baseline_classes.get(name, 10)
        method += f" (classes: {classes} of 10 so far)" if classes < 10 else ""
        loss = numbers.datasets[ds].baseline_loss.get(name)
        fell = (f"{loss.first:.4f} → {loss.last:.4f} ({loss.epochs} epochs)",
                _tail_drop(loss.tail_drop, loss.tail_epochs)) if loss else ("–", "–")
        rows.append([method, f"{DATASETS[ds]} {proto.rstrip(']')}", _auc_by_epoch(curve), *fell])
    return _table(path, header, rows)


def replication(root: Path, profile: str) -> str:
    """Each method measured here at the protocol of a quoted row, beside that row, over the
    classes both have (notebook 05's re-measured figures, as numbers)."""
    path = COMPARISON.format(profile=profile)
    numbers = _comparison(root, profile)
    found = [(ds, r) for ds in DATASETS for r in _dataset(numbers, ds).replication]
    if not found:
        return (f"*No method of the `{profile}` profile is stored at the protocol of a quoted "
                f"row yet* (`{path}`).\n")
    header = ["method", "column", "classes", "measured here", "quoted", "measured − quoted",
              "largest on one class"]
    rows = [[r.method, f"{DATASETS[ds]} {r.protocol}", f"{r.classes} of 10",
             _fmt(r.measured_mean), _fmt(r.quoted_mean), f"{r.difference:+.4f}",
             _fmt(r.largest_difference)] for ds, r in found]
    return _table(path, header, rows)


# --- studies and checks --------------------------------------------------------------------
def proxy_study(root: Path, path: str = "results/proxy-study/proxy_study.json") -> str:
    """Each label-free criterion on a held-out dataset (the proxy study)."""
    if not (root / path).exists():
        return f"*The proxy study has not been run yet* (`{path}`).\n"
    header = ["criterion", "Spearman with test AUC", "its pick", "pick's test AUC",
              "best single config on test", "gap"]
    rows = [[r["strategy"], _fmt(r["spearman"], 3), f"{r['model']}/{r['loss']}, epoch "
             f"{int(r['epoch'])}", _fmt(r["test_auc"]), _fmt(r["best_single_on_test"]),
             _fmt(r["gap_single"])] for r in _load(root, path)["rows"]]
    return _table(path, header, rows)


def svdd_budget(root: Path, path: str = "results/svdd-budget/svdd_budget.json") -> str:
    """Deep SVDD at the ``compare`` profile's budget and at the authors' (the budget check)."""
    if not (root / path).exists():
        return f"*The Deep SVDD budget check has not been run yet* (`{path}`).\n"
    check = _load(root, path)
    classes = check["classes"]
    header = ["budget", "how it was trained", "mean test AUC at each checkpoint (epoch: AUC)",
              "fraction the loss fell over the last tenth", *(f"class {c}" for c in classes),
              "mean, last epoch", "CPU-hours"]
    rows = []
    for name, label in {"grid": "`compare` profile", "longer": "authors' code"}.items():
        b = check.get(name)
        if b is None:
            continue
        (curve,) = b["baseline_auc_by_epoch"].values()
        (loss,) = b["baseline_loss"].values()
        rows.append([label, b["settings"], _auc_by_epoch(curve),
                     _tail_drop(loss["tail_drop"], loss["tail_epochs"]),
                     *(_fmt(b["auc_last"].get(str(c))) or "–" for c in classes),
                     _fmt(b["mean_auc_last"]), _fmt(b.get("compute", {}).get("cpu_hours"), 2)])
    paper = check.get("paper")
    if paper:
        rows.append(["Ruff et al. (quoted)", f"{paper['source']}; their preprocessing",
                     "–", "–",
                     *(_fmt(paper["auc"].get(str(c))) or "–" for c in classes),
                     _fmt(paper["mean_auc"]), "–"])
    return _table(path, header, rows)


def device_agreement(root: Path, path: str = "benchmarks/results/device_agreement.json") -> str:
    """GPU-trained runs against the same epochs retrained on the CPU (the agreement check)."""
    if not (root / path).exists():
        return f"*The CPU/GPU agreement check has not been run yet* (`{path}`).\n"
    check = _load(root, path)
    last = str(check["epochs_retrained"])
    header = ["group (dataset/model/loss/contamination %)", "runs", "(class, epoch) pairs",
              f"mean AUC at epoch {last}, GPU", "the same, CPU",
              "mean difference GPU − CPU, all pairs", "largest difference"]
    rows = [[name, str(g["runs"]), str(g["pairs"]), _fmt(g["per_epoch"][last]["mean_auc_gpu"]),
             _fmt(g["per_epoch"][last]["mean_auc_cpu"]), _fmt(g["mean_diff"]),
             _fmt(g["max_abs_diff"])] for name, g in check["groups"].items()]
    return _table(path, header, rows)


def float_noise(root: Path) -> str:
    """How far the same runs trained on two machines moved, single runs and configuration
    means, and the tolerance of a mean that ``make reproduce`` judges by
    (:mod:`aeutils.experiments.verdict`)."""
    checks = {"GPU against CPU": sorted((root / "benchmarks/results").glob("device_agreement*.json")),
              "one CPU host against another": sorted((root / "results").glob("*/rerun_scores.json"))}
    rows = [[kind, f"`{f.relative_to(root)}`", _fmt(float_noise_tolerance(f))]
            for kind, files in checks.items() for f in files]
    if not rows:
        return "*No agreement check is stored: only identical numbers count as agreeing.*\n"
    single = max(float(r[2]) for r in rows)
    means = mean_noise([f for files in checks.values() for f in files])
    tolerance = max(means.values(), default=0.0)
    text = textwrap.fill(
        f"Single runs of the same configuration moved by up to {single:.4f} AUC between two "
        f"machines, their means over the classes by at most {tolerance:.4f}. `make reproduce` "
        f"therefore reports single runs (share identical, median, 95th percentile, largest "
        f"difference) and judges each configuration's mean at each epoch: within "
        f"{tolerance:.4f}, or twice the standard deviation of that mean across seeds where "
        f"the shipped store holds several, it is noise; beyond, the configuration is named. "
        f"Then it checks that the choices (best single configuration, best per class, the "
        f"label-free picks) come out the same. The checks, with their largest single-run "
        f"difference:", 90, break_on_hyphens=False)
    source = " ".join(r[1].strip("`") for r in rows)
    header = ["same runs, trained", "check", "largest AUC difference, one run"]
    return text + "\n\n" + _table(source, header, rows)


def pretrained_weights(root: Path,
                       path: str = "results/pretrained-weights/pretrained_weights.json") -> str:
    """The pretrained baseline's weights check: the strict load, then how often CIFAR-10's
    vehicles land in the matching ImageNet classes (studies/pretrained_weights.py)."""
    if not (root / path).exists():
        return f"*Not measured yet* (`python studies/pretrained_weights.py --json {path}`).\n"
    check = _load(root, path)
    w = check["weights"]
    header = ["CIFAR-10 class", "ImageNet classes counted", "test images",
              "top-1 in them", "top-5 in them", "animal images: top-1 in them",
              "animal images: top-5 in them", "uniform chance, top-1"]
    rows = [[cls, ", ".join(r["imagenet_classes"]), str(r["images"]), f"{r['top1']:.1%}",
             f"{r['top5']:.1%}", f"{r['top1_animals']:.1%}", f"{r['top5_animals']:.1%}",
             f"{r['chance_top1']:.1%}"] for cls, r in check["classes"].items()]
    load = (f"`{w['file']}`: SHA-256 `{w['sha256'][:16]}…` "
            f"({'the keyed digest' if w['sha256'] == w['expected_sha256'] else 'NOT the keyed digest'}), "
            f"{w['parameters']:,} parameters, {len(w['missing_keys'])} missing and "
            f"{len(w['unexpected_keys'])} unexpected keys in a strict load; "
            f"{check['images_per_class']} test images of each class at {check['image_size']} px "
            f"(`{check['command']}`, commit {check['commit']}).\n\n")
    return load + _table(path, header, rows)


def anogan_iterations(root: Path,
                      path: str = "results/anogan-iterations/anogan_iterations.json") -> str:
    """AnoGAN's test AUC after each number of latent-search steps, per class studied
    (studies/anogan_iterations.py). Its seconds are left out: the study may share the
    machine with other runs; the speed benchmark times the search."""
    if not (root / path).exists():
        return f"*Not measured yet* (`python studies/anogan_iterations.py --json {path}`).\n"
    study = _load(root, path)
    steps = [str(k) for k in study["steps"]]
    header = ["dataset", "normal class", "training images", "test images",
              *(f"AUC after {k} steps" for k in steps)]
    rows = [[d["name"], c["class_name"], f"{c['train_images']:,}", f"{c['test_images']:,}",
             *(_fmt(c["auc"].get(k)) for k in steps)]
            for d in study["datasets"].values() for c in d["classes"]]
    settings = (f"{study['settings'].get('epochs')} training epochs, seed {study['seed']}, one "
                f"search of {steps[-1]} steps read at each count (`{study['command']}`).\n\n")
    return settings + _table(path, header, rows)


def anogan_precision(root: Path,
                     path: str = "results/anogan-iterations/anogan_precision.json") -> str:
    """AnoGAN's test AUC with its latent search in float32 and in bfloat16 on the same
    trained networks, and the rank agreement of the two (studies/anogan_precision.py).
    Its seconds are left out, as the iteration study's; the speed benchmark times both."""
    if not (root / path).exists():
        return f"*Not measured yet* (`python studies/anogan_precision.py --json {path}`).\n"
    study = _load(root, path)
    steps = [str(k) for k in study["steps"]]
    header = ["dataset", "normal class", "test images",
              *(f"AUC after {k} steps, fp32 / bf16" for k in steps),
              f"Spearman after {steps[-1]} steps", f"largest relative difference after "
              f"{steps[-1]} steps"]
    rows = [[d["name"], c["class_name"], f"{c['test_images']:,}",
             *(f"{_fmt(c['auc']['fp32'][k])} / {_fmt(c['auc']['bf16'][k])}" for k in steps),
             _fmt(c["spearman"][steps[-1]]), _fmt(c["max_relative_difference"][steps[-1]])]
            for d in study["datasets"].values() for c in d["classes"]]
    settings = (f"{study['settings'].get('epochs')} training epochs, seed {study['seed']}; "
                f"one training, then one search of {steps[-1]} steps in each precision "
                f"(`{study['command']}`).\n\n")
    return settings + _table(path, header, rows)


def fresh_clone(root: Path, path: str = "benchmarks/results/fresh_clone.json") -> str:
    """Wall time of the README's two commands on a fresh clone (scripts/time_fresh_clone.py)."""
    if not (root / path).exists():
        return f"*Not measured yet* (`python scripts/time_fresh_clone.py --json {path}`).\n"
    run = _load(root, path)
    header = ["command (on a fresh clone)", "wall time, minutes", "machine",
              "commit"]
    rows = [[f"`{cmd}`", f"{row['minutes']:.2f}", run["machine"], row["commit"]]
            for cmd, row in run["commands"].items()]
    return _table(path, header, rows)


RENDERERS: dict[str, Callable[..., str]] = {
    "headline": headline, "thesis-table": thesis_table, "thesis-quoted": thesis_quoted,
    "progress": progress, "block-hours": block_hours, "comparison": comparison,
    "convergence": convergence, "optimism": optimism, "ensemble": ensemble, "proxy-study": proxy_study,
    "device-agreement": device_agreement, "svdd-budget": svdd_budget, "fresh-clone": fresh_clone,
    "pretrained-weights": pretrained_weights, "float-noise": float_noise,
    "anogan-iterations": anogan_iterations, "anogan-precision": anogan_precision,
    "replication": replication}


# --- documents -------------------------------------------------------------------------------
def documents(root: Path) -> list[Path]:
    """The documents that may hold generated blocks: ``README.md`` and ``docs/*.md``."""
    return [p for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))] if p.exists()]


def render(text: str, root: Path) -> str:
    """``text`` with every generated block rewritten from the numbers files under ``root``."""
    def one(m: re.Match) -> str:
        name, *args = m.group("spec").split()
        if name not in RENDERERS:
            raise ConfigError(f"unknown generated block {name!r}; valid: {', '.join(RENDERERS)}")
        return m.group(1) + RENDERERS[name](root, *args) + m.group(4)

    return BLOCK.sub(one, text)


def stale_blocks(text: str, root: Path) -> list[str]:
    """Specs (``comparison compare``) of the generated blocks of ``text`` that are out of date."""
    return [m.group("spec") for m in BLOCK.finditer(text)
            if render(m.group(0), root) != m.group(0)]


def update(root: Path, check: bool = False) -> dict[Path, list[str]]:
    """Rewrite every document's generated blocks (``check``: change nothing); returns the
    stale blocks of each document that had any."""
    stale = {}
    for path in documents(root):
        text = path.read_text()
        blocks = stale_blocks(text, root)
        if blocks:
            stale[path] = blocks
            if not check:
                path.write_text(render(text, root))
    return stale
