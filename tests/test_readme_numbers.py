"""Every number in a results table of README.md or docs/*.md is in a numbers file that code wrote.

A table is checked when a marker ``<!-- numbers-from: path [path …] -->`` stands on
the line before it (paths relative to the repository root: JSON files, or folders of
them). Every decimal number in the table (two or more decimals) must equal, at the
printed precision, some number in those files; one followed by ``%`` may also be a
fraction there, printed as a percentage.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aeutils.cli.main import main
from aeutils.report import documents
from aeutils.report.numbers import NumbersError

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"<!--\s*numbers-from:\s*(.+?)\s*-->")
NUMBER = re.compile(r"(?<![\w.])([-+]?\d+\.\d{2,})(?![\w.])(\s?%)?")


def _write_numbers(path: Path, top: dict | None = None, **datasets: dict) -> None:
    """A notebook's numbers file as its record reads it: the file's fields, ``top``, and
    each dataset with its label."""
    path.write_text(json.dumps({"profile": "p", "settings": "test settings", **(top or {}),
                                **{ds: {"label": ds, **v} for ds, v in datasets.items()}}))


def _json_numbers(value) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _json_numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in _json_numbers(v)]
    return []


def _files(spec: str) -> list[Path]:
    out = []
    for part in spec.split():
        p = ROOT / part
        out.extend(sorted(p.glob("*.json")) if p.is_dir() else [p])
    return out


def _tables(lines: list[str]) -> list[tuple[int, list[str]]]:
    """(first line index, lines) of every Markdown table, fenced code excluded."""
    out, fenced, i = [], False, 0
    while i < len(lines):
        fenced ^= lines[i].startswith("```")
        if not fenced and lines[i].startswith("|"):
            start = i
            while i < len(lines) and lines[i].startswith("|"):
                i += 1
            out.append((start, lines[start:i]))
            continue
        i += 1
    return out


def _marked(text: str) -> list[tuple[str, int, list[str]]]:
    """(marker spec, first line index, lines) of every marked table: the first after a marker."""
    lines = text.splitlines()
    tables = _tables(lines)
    out = []
    for i, line in enumerate(lines):
        m = MARKER.search(line)
        following = [(start, t) for start, t in tables if start > i]
        if m and following:
            out.append((m.group(1), *following[0]))
    return out


def checked_tables(text: str) -> list[tuple[str, list[str]]]:
    """(marker spec, table lines) for every marked table of a Markdown text."""
    return [(spec, table) for spec, _, table in _marked(text)]


def unmarked_tables(text: str) -> list[str]:
    """Header rows of tables that print decimal numbers but name no numbers file."""
    marked = {start for _, start, _ in _marked(text)}
    return [t[0] for start, t in _tables(text.splitlines())
            if start not in marked and any(NUMBER.search(row) for row in t)]


def missing_numbers(text: str) -> list[str]:
    problems = []
    for spec, table in checked_tables(text):
        files = _files(spec)
        absent = [f for f in files if not f.exists()]
        if absent or not files:
            problems.append(f"numbers file(s) {absent or spec} do not exist")
            continue
        known = [x for f in files for x in _json_numbers(json.loads(f.read_text()))]
        for row in table:
            for token, percent in NUMBER.findall(row):
                places = len(token.split(".")[1])
                value = float(token)
                scales = (1, 100) if percent else (1,)
                if not any(round(x * k, places) == value or abs(x * k - value) < 0.6 * 10 ** -places
                           for x in known for k in scales):
                    problems.append(f"{token} (in {row.strip()[:60]}…) is in none of {spec}")
    return problems


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("path", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_document_numbers_come_from_numbers_files(path):
    text = path.read_text()
    assert not missing_numbers(text), "\n".join(missing_numbers(text))
    assert not unmarked_tables(text), (
        f"{path.name}: tables with numbers but no <!-- numbers-from: … --> marker:\n"
        + "\n".join(unmarked_tables(text)))


def test_the_readme_and_the_results_report_mark_their_tables():
    assert checked_tables((ROOT / "README.md").read_text()), "the README marks no table"
    assert checked_tables((ROOT / "docs/results.md").read_text()), "docs/results.md marks no table"


def test_the_check_catches_a_number_no_code_wrote(tmp_path, monkeypatch):
    numbers = tmp_path / "n.json"
    numbers.write_text(json.dumps({"auc": 0.95731, "nested": [{"x": 12.5}]}))
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    good = "<!-- numbers-from: n.json -->\n| a | b |\n|---|---|\n| 0.9573 | 12.50 |\n"
    assert missing_numbers(good) == []
    bad = good.replace("0.9573", "0.9574")
    assert len(missing_numbers(bad)) == 1
    share = good.replace("| 0.9573 |", "| 95.73 % |")  # a fraction, printed as a percentage
    assert missing_numbers(share) == []
    assert len(missing_numbers(share.replace("95.73 %", "95.74 %"))) == 1
    assert len(missing_numbers(share.replace("95.73 %", "95.73"))) == 1  # not without the %
    assert unmarked_tables(good) == []
    unmarked = good + "\ntext\n\n| c |\n|---|\n| 0.50 |\n"
    assert unmarked_tables(unmarked) == ["| c |"]
    fenced = good + "\n```\n| c |\n| 0.50 |\n```\n"
    assert unmarked_tables(fenced) == []


def test_generated_blocks_are_up_to_date():
    """`python -m aeutils tables --check` passes: every generated block of README.md and
    docs/*.md equals what the numbers files make of it."""
    assert documents.BLOCK.search((ROOT / "README.md").read_text()), "the README has no block"
    assert main(["tables", "--check", "--root", str(ROOT)]) == 0, \
        "a document is out of date: run python -m aeutils tables"


def test_tables_check_names_the_stale_block(tmp_path, capsys):
    """--check changes nothing and names the document and block; without it, the block is
    rewritten and the check then passes."""
    numbers = tmp_path / "results/proxy-study"
    numbers.mkdir(parents=True)
    (numbers / "proxy_study.json").write_text(json.dumps({"rows": [
        {"strategy": "label-free", "spearman": 0.5, "model": "basic", "loss": "mse", "epoch": 5,
         "test_auc": 0.91234, "best_single_on_test": 0.92, "gap_single": 0.00766}]}))
    (tmp_path / "docs").mkdir()
    stale = "<!-- generated: proxy-study -->\n| old |\n<!-- end generated -->\n"
    (tmp_path / "docs/study.md").write_text("# A study\n\n" + stale)
    (tmp_path / "README.md").write_text("nothing generated\n")
    assert main(["tables", "--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "study.md: generated block 'proxy-study' is out of date" in err
    assert (tmp_path / "docs/study.md").read_text().endswith(stale)
    assert main(["tables", "--root", str(tmp_path)]) == 0
    text = (tmp_path / "docs/study.md").read_text()
    assert "| label-free | 0.500 | basic/mse, epoch 5 | 0.9123 | 0.9200 | 0.0077 |" in text
    assert missing_numbers(text.replace("results/", f"{tmp_path}/results/")) == []
    assert main(["tables", "--check", "--root", str(tmp_path)]) == 0
    (tmp_path / "README.md").write_text("<!-- generated: nonsense -->\n<!-- end generated -->\n")
    assert main(["tables", "--check", "--root", str(tmp_path)]) == 2
    assert "unknown generated block 'nonsense'" in capsys.readouterr().err


def test_headline_gains_a_row_per_profile_with_a_label_free_pick(tmp_path):
    """The README's first table: the thesis's numbers beside ours, then a label-free row for
    each profile whose comparison numbers hold one, every decimal in the marked files."""
    evaluation = tmp_path / "figures/thesis/numbers"
    evaluation.mkdir(parents=True)
    table = [{"class": "mean of the 10 measured classes", "thesis_auc": 0.95047, "our_auc": 0.97416},
             {"class": "AVG (best single config)", "thesis_model": "basic", "thesis_loss": "bce+ssim",
              "thesis_auc": 0.9346, "our_model": "vae", "our_loss": "mse", "our_auc": 0.97264}]
    _write_numbers(evaluation / "04_evaluation_numbers.json", mnist={
        "thesis_table": table, "mean_auc_per_config": {"basic/bce+ssim": 0.96852}})
    text = documents.headline(tmp_path, "thesis", "compare")
    assert ("| best of the 15 configurations per class at epoch 200, picked on test (thesis: the "
            "mean of its per-class rows) | 0.9505 | 0.9742 | – | – |") in text
    assert "| CIFAR-10: thesis | CIFAR-10 (JPEG copy): here |" in text
    assert "| 0.9346 (basic/bce+ssim) | 0.9726 (vae/mse) |" in text
    assert "| 0.9346 (basic/bce+ssim) | 0.9685 (basic/bce+ssim) |" in text
    assert "without anomaly labels" not in text
    compare = tmp_path / "figures/compare/numbers"
    compare.mkdir(parents=True)
    pick = {"config": "basic/bce+ssim", "epoch": 30, "seeds": [1, 2, 3], "mean_auc": 0.97678,
            "std_auc": 0.00026, "classes": 10, "even": True}
    _write_numbers(compare / "05_comparison_numbers.json",
                   mnist={"selection": {"label-free": pick}})
    text = documents.headline(tmp_path, "thesis", "compare")
    assert ("| chosen without anomaly labels, mean ± std over seeds 1–3 (`compare` profile) | – "
            "| 0.9768 ± 0.0003 (basic/bce+ssim, epoch 30) | – | – |") in text
    assert missing_numbers(text.replace("figures/", f"{tmp_path}/figures/")) == []


def test_generated_comparison_and_block_hours_from_numbers_files(tmp_path):
    """A baseline on several seeds shows mean ± std over them; one seed shows its mean; the
    block-hours table lists each block with runs, stored and CPU-hours."""
    numbers = tmp_path / "figures/p/numbers"
    numbers.mkdir(parents=True)
    mean_auc = {"knn [one-vs-rest]": 0.91234, "pca [one-vs-rest]": 0.8}
    spread = {"knn [one-vs-rest]": {"seeds": [0, 1, 2], "mean_auc": 0.91234, "std_auc": 0.00456,
                                    "classes": 10, "even": True},
              "pca [one-vs-rest]": {"seeds": [0], "mean_auc": 0.8, "std_auc": None, "classes": 10,
                                    "even": True},
              "ocsvm [one-vs-rest]": {"seeds": [0, 1], "mean_auc": 0.7, "std_auc": 0.1,
                                      "classes": 2, "even": False}}
    mean_auc["ocsvm [one-vs-rest]"] = 0.65  # classes on other seeds: the table's mean, no ±
    _write_numbers(numbers / "05_comparison_numbers.json",
                   mnist={"mean_auc": mean_auc, "settings": {}, "baselines": spread})
    table = documents.comparison(tmp_path, "p")
    assert "| knn |" in table and "| 0.9123 ± 0.0046 |" in table
    assert "| 0.8000 |" in table and "± nan" not in table
    assert "| 0.6500 |" in table and "0.7000" not in table
    spent = {"cpu_hours": 1.234, "accelerator_runs": 0}
    runs = {"runs": {"runs": 4, "stored": 3, "blocks": {
        "main": {"runs": 4, "stored": 3, "compute": spent}, "selection": {"runs": 0, "stored": 0}}}}
    _write_numbers(numbers / "04_evaluation_numbers.json", runs)
    hours = documents.block_hours(tmp_path, "p")
    assert "| `main` | 3/4 | 1.23 |" in hours and "selection" not in hours
    assert missing_numbers(hours.replace("figures/p", str(numbers.parent))) == []
    _write_numbers(numbers / "04_evaluation_numbers.json")
    with pytest.raises(NumbersError, match="04_evaluation_numbers.json: missing field 'runs'"):
        documents.block_hours(tmp_path, "p")


def test_generated_convergence_table_from_numbers_files(tmp_path):
    """One row per neural baseline and column, checkpoints in epoch order, every decimal in
    the numbers file; a baseline without a loss summary shows dashes."""
    numbers = tmp_path / "figures/p/numbers"
    numbers.mkdir(parents=True)
    curves = {"deep-svdd [one-vs-rest]": {"100": 0.91, "10": 0.93},
              "ganomaly [leave-one-out]": {"5": 0.6}}
    loss = {"deep-svdd [one-vs-rest]": {"epochs": 100, "first": 3.3, "last": 0.0095,
                                        "tail_epochs": 10, "tail_drop": 0.1192}}
    _write_numbers(numbers / "05_comparison_numbers.json", mnist={
        "baseline_auc_by_epoch": curves, "baseline_loss": loss,
        "baseline_classes": {"ganomaly [leave-one-out]": 6}})
    table = documents.convergence(tmp_path, "p")
    assert "| deep-svdd | MNIST one-vs-rest | 10: 0.9300 · 100: 0.9100 |" in table
    assert "3.3000 → 0.0095 (100 epochs) | 0.119 (last 10 epochs) |" in table
    assert "| ganomaly (classes: 6 of 10 so far) | MNIST leave-one-out | 5: 0.6000 | – | – |" in table
    assert missing_numbers(table.replace("figures/p", str(numbers.parent))) == []
    _write_numbers(numbers / "05_comparison_numbers.json", mnist={})
    assert "No neural baseline" in documents.convergence(tmp_path, "p")
    del loss["deep-svdd [one-vs-rest]"]["tail_epochs"]
    _write_numbers(numbers / "05_comparison_numbers.json", mnist={
        "baseline_auc_by_epoch": curves, "baseline_loss": loss})
    with pytest.raises(NumbersError, match=r"05_comparison_numbers.json: mnist.baseline_loss."
                                           r"deep-svdd \[one-vs-rest\]: missing field "
                                           r"'tail_epochs'"):
        documents.convergence(tmp_path, "p")


def test_generated_svdd_budget_table(tmp_path):
    """One row per budget with its settings, checkpoints in epoch order, each class's AUC
    at the last epoch (a dash for a class a budget lacks), every decimal in the file."""
    path = "check.json"
    assert "not been run yet" in documents.svdd_budget(tmp_path, path)

    def budget(settings, curve, last):
        return {"settings": settings, "baseline_auc_by_epoch": {"deep-svdd [one-vs-rest]": curve},
                "baseline_loss": {"deep-svdd [one-vs-rest]": {"tail_epochs": 15,
                                                              "tail_drop": 0.0213}},
                "auc_last": last, "mean_auc_last": sum(last.values()) / len(last),
                "compute": {"cpu_hours": 1.234}}

    (tmp_path / path).write_text(json.dumps({"classes": [0, 1], "seeds": [0], "grid": budget(
        "50 pre-training + 100 epochs", {"100": 0.9, "10": 0.8}, {"0": 0.95, "1": 0.85}),
        "longer": budget("350 pre-training + 150 epochs", {"150": 0.93}, {"0": 0.93}),
        "paper": {"source": "Ruff", "auc": {"0": 0.98, "1": 0.997}, "mean_auc": 0.9885}}))
    table = documents.svdd_budget(tmp_path, path)
    assert ("| `compare` profile | 50 pre-training + 100 epochs | 10: 0.8000 · 100: 0.9000 "
            "| 0.021 (last 15 epochs) | 0.9500 | 0.8500 | 0.9000 | 1.23 |") in table
    assert "| authors' code | 350 pre-training + 150 epochs | 150: 0.9300 |" in table
    assert "| 0.9300 | – | 0.9300 | 1.23 |" in table
    assert "| Ruff et al. (quoted) | Ruff; their preprocessing | – | – | 0.9800 | 0.9970 | 0.9885 | – |" in table
    assert missing_numbers(table.replace(path, str(tmp_path / path))) == []


def test_ensemble_table_says_when_its_members_scores_are_a_reruns(tmp_path):
    """The ensemble block names a re-run's score files (results/<profile>/rerun_scores.json)
    and how far its AUCs were from the stored records; without that file it says nothing."""
    numbers = tmp_path / "figures/p/numbers"
    numbers.mkdir(parents=True)
    ensemble = [{"strategy": "ensemble-validation", "epoch": 30, "members": 10, "classes": 10,
                 "auc": 0.97123}]
    _write_numbers(numbers / "05_comparison_numbers.json",
                   mnist={"ensemble": ensemble, "optimism": []})
    plain = documents.ensemble(tmp_path, "p")
    assert "| 0.9712 |" in plain and "re-run" not in plain
    (tmp_path / "results/p").mkdir(parents=True)
    (tmp_path / "results/p/rerun_scores.json").write_text(json.dumps(
        {"commit": "abc1234", "pairs": 400, "identical": 80, "mean_abs_diff": 0.00071,
         "max_abs_diff": 0.0153, "float_noise": 0.0123, "beyond_float_noise": 2,
         "worst": "MNIST vae/mse class 8 epoch 10", "tolerance": 0.03}))
    noted = documents.ensemble(tmp_path, "p")
    assert noted.startswith(plain.rstrip("\n")) and "re-run of the search on another CPU host (commit abc1234" in noted
    assert "0.0007 on average and 0.0153 at most (400 (run, epoch) pairs, 80 identical; 2 " \
           "further apart than GPU- and CPU-trained runs (0.0123), the most MNIST vae/mse " \
           "class 8 epoch 10)" in noted
    assert "one of the measurements behind the float-noise tolerance" in noted


def test_float_noise_block_states_the_tolerance_make_reproduce_uses(tmp_path):
    """The float-noise block names the largest difference of every agreement check, and its
    tolerance is the one the verdict of a reproduction reads (the largest of them)."""
    from aeutils.experiments.verdict import float_noise_tolerance

    assert "No agreement check" in documents.float_noise(tmp_path)
    (tmp_path / "benchmarks/results").mkdir(parents=True)
    (tmp_path / "results/p").mkdir(parents=True)
    device = tmp_path / "benchmarks/results/device_agreement.json"
    device.write_text(json.dumps({"groups": {"a": {"max_abs_diff": 0.0119},
                                             "b": {"max_abs_diff": 0.0071}}}))
    rerun = tmp_path / "results/p/rerun_scores.json"
    rerun.write_text(json.dumps({"max_abs_diff": 0.02864, "float_noise": 0.0119,
                                 "max_abs_mean_diff": 0.00326}))
    text = " ".join(documents.float_noise(tmp_path).split(" \n"))
    assert "moved by up to 0.0286 AUC" in text.replace("\n", " ")
    assert "within 0.0033, or twice" in text.replace("\n", " ")
    assert "| GPU against CPU | `benchmarks/results/device_agreement.json` | 0.0119 |" in text
    assert "| one CPU host against another | `results/p/rerun_scores.json` | 0.0286 |" in text
    assert max(float_noise_tolerance(device), float_noise_tolerance(rerun)) == 0.02864
    assert missing_numbers(text.replace("benchmarks/", f"{tmp_path}/benchmarks/")
                           .replace(" results/", f" {tmp_path}/results/")) == []


def _anogan_study(tmp_path, name: str, steps: list[int], row: dict) -> None:
    """An AnoGAN study's JSON under ``tmp_path`` with one MNIST class-0 row."""
    path = tmp_path / f"results/anogan-iterations/{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "steps": steps, "seed": 0, "settings": {"epochs": 15}, "command": "python s.py",
        "datasets": {"mnist": {"name": "MNIST", "classes": [
            {"class": 0, "class_name": "0", "test_images": 1000, **row}]}}}))


def test_anogan_iterations_block_reads_every_step_count_of_every_class(tmp_path):
    assert "Not measured yet" in documents.anogan_iterations(tmp_path)
    _anogan_study(tmp_path, "anogan_iterations", [10, 500],
                  {"train_images": 5331, "auc": {"10": 0.7613, "500": 0.98512},
                   "train_seconds": 629.4})
    text = documents.anogan_iterations(tmp_path)
    assert "| MNIST | 0 | 5,331 | 1,000 | 0.7613 | 0.9851 |" in text
    assert "seconds" not in text.split("\n\n", 1)[1]  # timings beside other runs: not shown


def test_anogan_precision_block_reads_both_searches_of_every_class(tmp_path):
    assert "Not measured yet" in documents.anogan_precision(tmp_path)
    _anogan_study(tmp_path, "anogan_precision", [10, 250], {
        "search_seconds": {},
        "auc": {"fp32": {"10": 0.7613, "250": 0.98331}, "bf16": {"10": 0.76, "250": 0.9829}},
        "spearman": {"10": 0.99, "250": 0.9912}, "max_relative_difference": {"250": 0.0123}})
    text = documents.anogan_precision(tmp_path)
    assert "| MNIST | 0 | 1,000 | 0.7613 / 0.7600 | 0.9833 / 0.9829 | 0.9912 | 0.0123 |" in text
    assert "seconds" not in text.split("\n\n", 1)[1]
