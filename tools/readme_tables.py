"""Rewrite the README's generated blocks from the numbers files that the notebooks wrote.

A generated block sits between ``<!-- generated: NAME ARG -->`` and
``<!-- end generated -->``; NAME is one of :data:`RENDERERS`. So the README's result
tables are never typed by hand: after ``make figures PROFILE=thesis`` run

    python tools/readme_tables.py           # rewrite README.md in place
    python tools/readme_tables.py --check   # exit 1 if README.md is out of date (the tests do)

Every block begins with the ``numbers-from`` marker that ``tests/test_readme_numbers.py``
checks.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(<!-- generated: (?P<spec>[^>]*?) -->\n)(?P<body>.*?)(<!-- end generated -->)",
                   re.S)


def _fmt(x, places: int = 4) -> str:
    return "" if x is None else f"{x:.{places}f}"


def _auc_by_epoch(curve: dict) -> str:
    """``{"10": 0.93, "100": 0.91}`` as "10: 0.9300 · 100: 0.9100", in epoch order."""
    return " · ".join(f"{e}: {_fmt(v)}" for e, v in sorted(curve.items(), key=lambda i: int(i[0])))


def _tail_drop(loss: dict) -> str:
    """A :func:`aeutils.report.loss_flatness` summary's fall over its last epochs."""
    return f"{_fmt(loss['tail_drop'], 3)} (last {loss['tail_epochs']} epochs)"


def _config(model, loss) -> str:
    return f"{model}/{loss}" if model else "–"


def thesis_table(dataset: str) -> str:
    """The thesis's best-per-class table beside the ``thesis`` profile's (notebook 04)."""
    path = "figures/thesis/numbers/04_evaluation_numbers.json"
    numbers = json.loads((ROOT / path).read_text())
    rows = numbers.get(dataset, {}).get("thesis_table")
    if not rows:
        return f"*No run of the `thesis` profile on this dataset is stored yet* (`{path}`).\n"
    out = [f"<!-- numbers-from: {path} -->",
           "| class | thesis: config | thesis AUC | thesis acc. | here: config | AUC | Δ AUC "
           "| acc. | Δ acc. | balanced acc. | status |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(
            f"| {r['class']} | {_config(r['thesis_model'], r['thesis_loss'])} "
            f"| {_fmt(r['thesis_auc'])} | {_fmt(r['thesis_accuracy'])} "
            f"| {_config(r['our_model'], r['our_loss'])} | {_fmt(r['our_auc'])} "
            f"| {_fmt(r['delta_auc'])} | {_fmt(r['our_accuracy'])} | {_fmt(r['delta_accuracy'])} "
            f"| {_fmt(r['our_balanced_accuracy'])} | {r['status']} |")
    return "\n".join(out) + "\n"


def progress(profile: str) -> str:
    """How many runs of ``profile`` its shipped store holds, in all and per block (notebook 04)."""
    runs = json.loads((ROOT / f"figures/{profile}/numbers/04_evaluation_numbers.json").read_text())["runs"]
    blocks = ", ".join(f"`{name}` {b['stored']}/{b['runs']}" for name, b in runs["blocks"].items())
    text = (f"{runs['stored']} of the {runs['runs']} runs are stored, every one with all its "
            f"checkpoints ({blocks}).")
    spent = runs.get("compute")
    if spent and spent["cpu_hours"] > 0:
        text += (f" Training and scoring them took {spent['cpu_hours']:.1f} CPU-hours (core-hours: "
                 f"the process CPU time that the records carry")
        if spent["runs_estimated"]:
            text += (f"; {spent['runs_estimated']} runs stored before records carried it count their"
                     f" training wall time × threads, {spent['estimated_cpu_hours']:.1f} of those hours")
        text += ")."
    if spent and spent.get("accelerator_runs"):
        text += (f" {spent['accelerator_runs']} runs were trained on a GPU instead: their training "
                 f"took {spent['accelerator_train_hours']:.2f} GPU-hours of wall time (summed over "
                 f"groups that shared one GPU, several at once).")
    return text + "\n"


def block_hours(profile: str) -> str:
    """Per block of ``profile``: runs stored and what training and scoring them cost
    (notebook 04's ``runs``; a run shared by two blocks counts in both)."""
    path = f"figures/{profile}/numbers/04_evaluation_numbers.json"
    blocks = json.loads((ROOT / path).read_text())["runs"]["blocks"]
    gpu = any(b.get("compute", {}).get("accelerator_runs") for b in blocks.values())
    out = [f"<!-- numbers-from: {path} -->",
           "| block | runs stored | CPU-hours" + (" | GPU-hours (wall, summed over groups)"
                                                  if gpu else "") + " |",
           "|---|---|---|" + ("---|" if gpu else "")]
    for name, b in blocks.items():
        if not b["runs"]:
            continue  # a selection block before its search is stored
        spent = b.get("compute") or {}
        cells = [f"`{name}`", f"{b['stored']}/{b['runs']}",
                 _fmt(spent.get("cpu_hours"), 2) if spent else "?"]
        if gpu:
            cells.append(_fmt(spent.get("accelerator_train_hours"), 2) if spent else "?")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


DATASETS = {"mnist": "MNIST", "cifar10": "CIFAR-10 (JPEG copy)"}
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
PROTOCOLS = ("one-vs-rest", "leave-one-out")


def _comparison_numbers(profile: str) -> tuple[str, dict]:
    path = f"figures/{profile}/numbers/05_comparison_numbers.json"
    return path, json.loads((ROOT / path).read_text())


def _columns(numbers: dict) -> list[tuple[str, str]]:
    """(dataset, protocol) columns that hold a measured number: one protocol per column."""
    return [(ds, proto) for ds in DATASETS for proto in PROTOCOLS
            if any(k.endswith(f"[{proto}]") for k in numbers.get(ds, {}).get("mean_auc", {}))]


def comparison(profile: str) -> str:
    """Mean test AUC over the ten classes: autoencoder selections and baselines, each row
    with how it was chosen and the runs behind it (notebook 05)."""
    path, numbers = _comparison_numbers(profile)
    cols = _columns(numbers)
    if not cols:
        return f"*No comparison of the `{profile}` profile is stored yet* (`{path}`).\n"

    def find(ds: str, proto: str, prefix: str) -> str | None:
        return next((k for k in numbers[ds]["mean_auc"]
                     if k.startswith(prefix) and k.endswith(f"[{proto}]")), None)

    def value(ds: str, proto: str, prefix: str, show_config: bool = False) -> str:
        k = find(ds, proto, prefix)
        if k is None:
            return "–"
        config = k[len(prefix):].split("[")[0].strip(" ()") if show_config else ""
        return f"{numbers[ds]['mean_auc'][k]:.4f}" + (f" ({config})" if config else "")

    def strategy(ds: str, proto: str, name: str) -> str:
        sel = numbers.get(ds, {}).get("selection", {}).get(name)
        if not sel or proto != "one-vs-rest":
            return "–"
        return (f"**{sel['mean_auc']:.4f}** ± {sel['std_auc']:.4f} "
                f"({sel['config']}, epoch {sel['epoch']})")

    def runs(prefix: str) -> str:
        """The settings of the runs behind a row, once if every column shares them."""
        found = {}
        for ds, proto in cols:
            k = find(ds, proto, prefix)
            if k and numbers[ds].get("settings", {}).get(k):
                found.setdefault(numbers[ds]["settings"][k], []).append(DATASETS[ds].split()[0])
        if len(found) <= 1:
            return next(iter(found), "")
        return "; ".join(f"{'/'.join(dict.fromkeys(names))}: {how}" for how, names in found.items())

    head = " | ".join(f"{DATASETS[ds]} {proto}" for ds, proto in cols)
    out = [f"<!-- numbers-from: {path} -->", f"| method | how it was chosen | runs behind it | {head} |",
           "|---|---|---|" + "---|" * len(cols)]

    def row(method: str, how: str, prefix: str, cells: list[str]) -> None:
        out.append(f"| {method} | {how} | {runs(prefix)} | " + " | ".join(cells) + " |")

    for name, (method, how) in STRATEGY_ROWS.items():
        if any(name in numbers.get(ds, {}).get("selection", {}) for ds in DATASETS):
            row(method, how, f"AE, {name} selection", [strategy(ds, p, name) for ds, p in cols])
    row("AE, best per class on labelled validation", "per class, reported on the seed that "
        "chose it", "AE best per class on labelled validation",
        [value(ds, p, "AE best per class on labelled validation") for ds, p in cols])
    row("AE, best single config on **test**, last epoch", "reads test labels (optimistic)",
        "AE best single config", [value(ds, p, "AE best single config", True) for ds, p in cols])
    row("AE, best per class on **test** (the thesis's pick)", "reads test labels (optimistic)",
        "AE best of", [value(ds, p, "AE best of") for ds, p in cols])
    baselines = sorted({k.rsplit(" [", 1)[0] for ds in DATASETS
                        for k in numbers.get(ds, {}).get("mean_auc", {}) if not k.startswith("AE")})
    def baseline(ds: str, proto: str, name: str) -> str:
        """Mean, and ± std over seeds of the class-mean where every class ran on the same
        several seeds."""
        spread = numbers.get(ds, {}).get("baselines", {}).get(f"{name} [{proto}]")
        if spread and len(spread["seeds"]) > 1 and spread.get("even") and \
                find(ds, proto, f"{name} "):
            return f"{spread['mean_auc']:.4f} ± {spread['std_auc']:.4f}"
        return value(ds, proto, f"{name} ")

    for b in baselines:
        row(b, "fixed settings (mean, ± std over its seeds)", f"{b} ",
            [baseline(ds, p, b) for ds, p in cols])
    return "\n".join(out) + "\n"


def optimism(profile: str) -> str:
    """Each strategy's pick against the best on test, same candidates and seed (notebook 05)."""
    path, numbers = _comparison_numbers(profile)
    rows = [(ds, o) for ds in DATASETS for o in numbers.get(ds, {}).get("optimism", [])]
    if not rows:
        return f"*No complete search of the `{profile}` profile is stored yet* (`{path}`).\n"
    out = [f"<!-- numbers-from: {path} -->",
           "| dataset | strategy | its pick | its test AUC | best single config on test "
           "| optimism | best per class on test | optimism | candidates |",
           "|---|---|---|---|---|---|---|---|---|"]
    for ds, o in rows:
        out.append(f"| {DATASETS[ds]} | {o['strategy']} | {o['model']}/{o['loss']}, epoch "
                   f"{o['epoch']} | {o['test_auc']:.4f} | {o['best_single_on_test']:.4f} "
                   f"| {o['gap_single']:.4f} | {o['best_per_class_on_test']:.4f} "
                   f"| {o['gap_per_class']:.4f} | {o['candidates']} |")
    return "\n".join(out) + "\n"


def convergence(profile: str) -> str:
    """The neural baselines' mean test AUC at each checkpoint and how much their training
    loss still fell at the end, per column (notebook 05's convergence figures, as numbers)."""
    path, numbers = _comparison_numbers(profile)
    rows = [(ds, name, curve) for ds in DATASETS for proto in PROTOCOLS
            for name, curve in sorted(numbers.get(ds, {}).get("baseline_auc_by_epoch", {}).items())
            if name.endswith(f"[{proto}]")]
    if not rows:
        return f"*No neural baseline of the `{profile}` profile is stored yet* (`{path}`).\n"
    out = [f"<!-- numbers-from: {path} -->",
           "| method | column | mean test AUC at each checkpoint (epoch: AUC) "
           "| mean training loss, first → last epoch | fraction it fell over the last tenth |",
           "|---|---|---|---|---|"]
    for ds, name, curve in rows:
        method, proto = name.rsplit(" [", 1)
        classes = numbers[ds].get("baseline_classes", {}).get(name, 10)
        method += f" (classes: {classes} of 10 so far)" if classes < 10 else ""
        loss = numbers[ds].get("baseline_loss", {}).get(name)
        fell = (f"{loss['first']:.4f} → {loss['last']:.4f} ({loss['epochs']} epochs)",
                _tail_drop(loss)) if loss else ("–", "–")
        out.append(f"| {method} | {DATASETS[ds]} {proto.rstrip(']')} | {_auc_by_epoch(curve)} | {fell[0]} "
                   f"| {fell[1]} |")
    return "\n".join(out) + "\n"


def proxy_study(path: str = "results/proxy-study/proxy_study.json") -> str:
    """Each label-free criterion on a held-out dataset (tools/proxy_study.py)."""
    if not (ROOT / path).exists():
        return f"*The proxy study has not been run yet* (`{path}`).\n"
    study = json.loads((ROOT / path).read_text())
    out = [f"<!-- numbers-from: {path} -->",
           "| criterion | Spearman with test AUC | its pick | pick's test AUC "
           "| best single config on test | gap |", "|---|---|---|---|---|---|"]
    for r in study["rows"]:
        out.append(f"| {r['strategy']} | {_fmt(r['spearman'], 3)} | {r['model']}/{r['loss']}, "
                   f"epoch {int(r['epoch'])} | {_fmt(r['test_auc'])} "
                   f"| {_fmt(r['best_single_on_test'])} | {_fmt(r['gap_single'])} |")
    return "\n".join(out) + "\n"


def svdd_budget(path: str = "results/svdd-budget/svdd_budget.json") -> str:
    """Deep SVDD at the compare profile's budget and at the authors' (tools/svdd_budget.py)."""
    if not (ROOT / path).exists():
        return f"*The Deep SVDD budget check has not been run yet* (`{path}`).\n"
    check = json.loads((ROOT / path).read_text())
    classes = check["classes"]
    out = [f"<!-- numbers-from: {path} -->",
           "| budget | how it was trained | mean test AUC at each checkpoint (epoch: AUC) "
           "| fraction the loss fell over the last tenth | "
           + " | ".join(f"class {c}" for c in classes) + " | mean, last epoch | CPU-hours |",
           "|" + "---|" * (6 + len(classes))]
    names = {"grid": "`compare` profile", "longer": "authors' code"}
    for name, label in names.items():
        b = check.get(name)
        if b is None:
            continue
        (curve,) = b["baseline_auc_by_epoch"].values()
        (loss,) = b["baseline_loss"].values()
        per_class = " | ".join(_fmt(b["auc_last"].get(str(c))) or "–" for c in classes)
        out.append(f"| {label} | {b['settings']} | {_auc_by_epoch(curve)} | {_tail_drop(loss)} "
                   f"| {per_class} | "
                   f"{_fmt(b['mean_auc_last'])} | {_fmt(b.get('compute', {}).get('cpu_hours'), 2)} |")
    paper = check.get("paper")
    if paper:
        per_class = " | ".join(_fmt(paper["auc"].get(str(c))) or "–" for c in classes)
        out.append(f"| Ruff et al. (quoted) | {paper['source']}; their preprocessing | – | – "
                   f"| {per_class} | {_fmt(paper['mean_auc'])} | – |")
    return "\n".join(out) + "\n"


def device_agreement(path: str = "benchmarks/results/device_agreement.json") -> str:
    """GPU-trained runs against the same epochs retrained on the CPU (tools/device_agreement.py)."""
    if not (ROOT / path).exists():
        return f"*The CPU/GPU agreement check has not been run yet* (`{path}`).\n"
    check = json.loads((ROOT / path).read_text())
    last = str(check["epochs_retrained"])
    out = [f"<!-- numbers-from: {path} -->",
           f"| group (dataset/model/loss/contamination %) | runs | (class, epoch) pairs "
           f"| mean AUC at epoch {last}, GPU | the same, CPU | mean difference GPU − CPU, all pairs "
           f"| largest difference |", "|---|---|---|---|---|---|---|"]
    for name, g in check["groups"].items():
        at = g["per_epoch"][last]
        out.append(f"| {name} | {g['runs']} | {g['pairs']} | {_fmt(at['mean_auc_gpu'])} "
                   f"| {_fmt(at['mean_auc_cpu'])} | {_fmt(g['mean_diff'])} "
                   f"| {_fmt(g['max_abs_diff'])} |")
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[..., str]] = {
    "thesis-table": thesis_table, "progress": progress, "block-hours": block_hours,
    "comparison": comparison, "convergence": convergence,
    "optimism": optimism, "proxy-study": proxy_study, "device-agreement": device_agreement,
    "svdd-budget": svdd_budget}


def render(text: str) -> str:
    """``text`` with every generated block rewritten."""
    def one(m: re.Match) -> str:
        name, *args = m.group("spec").split()
        if name not in RENDERERS:
            raise SystemExit(f"unknown generated block {name!r}; valid: {', '.join(RENDERERS)}")
        return m.group(1) + RENDERERS[name](*args) + m.group(4)

    return BLOCK.sub(one, text)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if out of date")
    p.add_argument("--readme", default=str(ROOT / "README.md"))
    a = p.parse_args(argv)
    path = Path(a.readme)
    text = path.read_text()
    new = render(text)
    if a.check:
        if new != text:
            print(f"{path} is out of date: run python tools/readme_tables.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(new)
    print(f"{path}: {len(BLOCK.findall(text))} generated blocks rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
