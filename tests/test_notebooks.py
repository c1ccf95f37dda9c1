"""The notebooks end to end (smoke profile, synthetic folders), plus plots, report and reference."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
import torch

from aeutils import plots, report
from aeutils.cli.reproduce import NotebookError, notebook_paths, reproduce
from aeutils.config import RunConfig
from aeutils.report import reference

NOTEBOOKS = ["01_data", "02_models", "03_training", "04_evaluation", "05_comparison",
             "06_your_own_data"]


# --- the whole story on tiny data ------------------------------------------------------
@pytest.mark.long(seconds=200)
def test_reproduce_smoke_writes_figures_tables_and_numbers(tmp_path, synthetic_folder,
                                                           synthetic_rgb_folder):
    figs, out = tmp_path / "figs", tmp_path / "out"
    datasets = [f"mnist=folder:{synthetic_folder}", f"cifar10=folder:{synthetic_rgb_folder}"]
    timings = reproduce(profile="smoke", datasets=datasets, figures=str(figs), output=str(out),
                        results=str(tmp_path / "results" / "results.jsonl"),
                        publish=str(tmp_path / "docs"))
    assert [p.stem for p in notebook_paths()] == NOTEBOOKS
    assert set(timings) == {f"{n}.ipynb" for n in NOTEBOOKS}
    assert json.loads((out / "timings.json").read_text()) == timings

    manifest = plots.read_manifest(figs)
    for nb in NOTEBOOKS:
        assert (out / f"{nb}.ipynb").exists() and (out / f"{nb}.html").stat().st_size > 0
        entries = [e for e in manifest.values() if e["notebook"] == nb]
        assert entries, f"{nb} saved no figure"
        for e in entries:
            assert e["files"] == [f"{e['name']}.png", f"{e['name']}.pdf"]
            assert all((figs / f).stat().st_size > 0 for f in e["files"])
            assert e["profile"] == "smoke" and e["data"] and e["commit"]
    on_disk = {p.stem for p in figs.glob("*.png")} | {p.stem for p in figs.glob("*.pdf")}
    assert on_disk == set(manifest)
    # every figure passed the layout check when it was saved (a broken one stops the render)
    from aeutils.plots.layout import folder_report

    assert folder_report(figs) == {name: [] for name in manifest}
    for name in ("01_examples_cifar10", "02_losses_mnist", "03_reconstructions_cifar10",
                 "04_auc_heatmap_mnist", "04_auc_vs_contamination_mnist", "04_auc_vs_epoch_mnist",
                 "04_roc_mnist", "04_score_histograms_mnist", "05_per_class_mnist",
                 "05_measured_mnist", "05_literature_mnist", "05_without_labels_mnist"):
        assert name in manifest
    for table in ("04_best_per_class_mnist", "05_comparison_cifar10", "02_parameters"):
        assert (figs / "tables" / f"{table}.md").exists()
        assert (figs / "tables" / f"{table}.tex").exists()

    numbers = {nb: json.loads((figs / "numbers" / f"{nb}_numbers.json").read_text())
               for nb in NOTEBOOKS}
    assert numbers["01_data"]["mnist"]["n_train"] == 400
    assert numbers["01_data"]["cifar10"]["shape"] == [3, 32, 32]
    assert numbers["02_models"]["parameters"]["basic"]["1×28×28 (MNIST)"] > 0
    ev = numbers["04_evaluation"]["mnist"]
    assert 0 <= ev["mean_auc_best_single"] <= ev["mean_auc_best_per_class"] <= 1
    assert set(ev["best_per_class"]) == {"0", "1"}
    assert set(ev["auc_vs_contamination"]["basic/bce"]) == {"0", "50", "100"}
    assert numbers["05_comparison"]["mnist"]["mean_auc"]
    assert "cifar10" in numbers["03_training"]
    assert 0 <= numbers["06_your_own_data"]["folder"]["auc"] <= 1
    for nb in NOTEBOOKS:  # every notebook ends with its generated "What we see"
        assert numbers[nb]["findings"], f"{nb} concluded nothing"
        executed = nbformat.read(out / f"{nb}.ipynb", as_version=4)
        assert executed.cells[-2].source.startswith("## What we see")
        shown = "".join(o.get("data", {}).get("text/markdown", "")
                        for o in executed.cells[-1].outputs)
        assert numbers[nb]["findings"][0] in shown

    # Published: Markdown per notebook whose figures link the saved PNGs (no embedded image).
    docs = tmp_path / "docs"
    assert sorted(p.stem for p in docs.glob("0*.md")) == NOTEBOOKS
    page = (docs / "04_evaluation.md").read_text()
    assert "](../figs/04_auc_heatmap_mnist.png)" in page and "base64" not in page
    assert "04_evaluation.md" in (docs / "README.md").read_text()

    # A render (training nothing) into the same folder, pruning the score files no figure
    # read: every figure, table, numbers file and the manifest come out byte for byte the
    # same as the training run wrote them, so `git status` stays clean after `make figures`.
    table = tmp_path / "results" / "results.jsonl"
    kwargs = dict(profile="smoke", datasets=datasets, results=str(table))
    written = {p: p.read_bytes() for p in figs.rglob("*") if p.is_file()}
    before = table.read_bytes()
    scores = table.parent / "scores"
    n_scores = len(list(scores.glob("*.npz")))
    reproduce(**kwargs, figures=str(figs), output=str(tmp_path / "out-render"),
              render=True, prune=True)
    assert table.read_bytes() == before, "rendering trained something"
    again = {p: p.read_bytes() for p in figs.rglob("*") if p.is_file()}
    changed = sorted(str(p.relative_to(figs)) for p in again if again[p] != written.get(p))
    assert not changed, f"a render rewrote {changed}"
    kept = len(list(scores.glob("*.npz")))
    assert 0 < kept < n_scores, "pruning removed nothing, or everything"

    # The pruned store still renders, byte for byte as before pruning, every figure of the
    # notebooks that read score files (04: histograms and ROC curves; 05: the ensemble).
    render_2 = tmp_path / "render-2"
    reproduce(**kwargs, figures=str(render_2), output=str(tmp_path / "out-render-2"), render=True,
              only=["04_", "05_"])
    def files(root):  # the manifest differs only in its creation stamps
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*")
                if p.is_file() and p.name != "MANIFEST.json"}

    rendered = files(render_2)
    assert any(p.name.startswith("04_") and p.suffix == ".png" for p in rendered)
    assert rendered == {p: b for p, b in files(figs).items() if p.name[:3] in ("04_", "05_")}


def test_compare_stores_confirms_and_names_differences(tmp_path):
    from aeutils.experiments.store import ResultsStore, compare_stores

    rows = [{"key": f"k{i}", "epoch": 1, "model": "basic", "loss": "mse", "normal_class": i,
             "auc": 0.9} for i in range(3)]
    a, b = ResultsStore(tmp_path / "a.jsonl"), ResultsStore(tmp_path / "b.jsonl")
    a.append(rows)
    b.append([{**r, "auc": r["auc"] + (1e-6 if i < 2 else 0.05)} for i, r in enumerate(rows)]
             + [{**rows[0], "key": "extra"}])
    c = compare_stores(a, b)
    assert (c["compared"], c["agree"], c["only_shipped"], c["only_mine"]) == (3, 2, 1, 0)
    assert [d["class"] for d in c["differ"]] == [2]


def test_reproduce_failure_is_one_line(tmp_path, monkeypatch):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell('profile = "quick"'), new_code_cell("x = 1"),
                             new_code_cell("raise ValueError('boom\\nsecond line')")])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                 "display_name": "Python 3"}
    path = tmp_path / "99_fails.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setattr("aeutils.cli.reproduce.notebook_paths", lambda only=None: [path])
    with pytest.raises(NotebookError) as err:
        reproduce(profile="smoke", figures=str(tmp_path / "f"), output=str(tmp_path / "o"))
    msg = str(err.value)
    assert "\n" not in msg and "99_fails.ipynb" in msg and "ValueError: boom" in msg
    assert "cell [" in msg
    assert "99_fails.ipynb" in json.loads((tmp_path / "o" / "timings.json").read_text())


# --- plots -----------------------------------------------------------------------------
def test_save_figure_writes_png_pdf_and_upserts_manifest(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("AEUTILS_FIGURES", str(tmp_path / "figs"))
    plots.set_style()
    for name, caption in (("b", "first"), ("a", "x"), ("b", "second")):
        fig = plt.figure(figsize=(3, 2), layout="constrained")
        fig.gca().plot([0, 1], [0, 1])
        entry = plots.save_figure(fig, name, notebook="nb", profile="smoke", data="MNIST",
                                  caption=caption)
        plt.close(fig)
    manifest = json.loads((tmp_path / "figs" / "MANIFEST.json").read_text())["figures"]
    assert [e["name"] for e in manifest] == ["a", "b"]
    assert manifest[1]["caption"] == "second" and manifest[1] == entry
    for key in ("files", "notebook", "profile", "data", "commit", "created"):
        assert key in entry
    assert entry["created"].endswith("+00:00")
    with Image.open(tmp_path / "figs" / "b.png") as img:
        assert round(img.info["dpi"][0]) >= 200
    assert (tmp_path / "figs" / "b.pdf").read_bytes().startswith(b"%PDF")
    assert not list((tmp_path / "figs").glob(".*tmp*"))


# --- reference -------------------------------------------------------------------------
def test_reference_thesis_tables():
    for ds, mean in (("mnist", 0.9505), ("cifar10", 0.6643)):
        t = reference.thesis_best_per_class(ds)
        assert len(t) == 10 and round(t["auc"].mean(), 4) == mean
        assert reference.THESIS_BEST_MEAN_AUC[ds] == mean
        assert set(t["protocol"]) == {reference.ONE_VS_REST}
    assert reference.thesis_best_single("mnist")["auc"] == 0.9346
    assert reference.thesis_best_single("cifar10")["model"] == "vae"
    cifar = reference.thesis_best_per_class("cifar10").set_index("class")
    assert cifar.loc[5, "class_name"] == "dog" and cifar.loc[5, "auc"] == 0.5893


def test_reference_comparison_rows_have_protocols_and_cifar_order():
    rows = reference.thesis_comparison("cifar10")
    gan = rows[rows["method"] == "GANomaly"].set_index("class_name")["auc"]
    # thesis order: plane car bird cat deer frog horse ship truck dog
    assert gan["dog"] == 0.628 and gan["frog"] == 0.683 and gan["truck"] == 0.617
    assert set(rows.loc[rows["method"] == "ResNet-152", "protocol"]) == {reference.SUPERVISED_TRANSFER}
    assert set(rows.loc[rows["method"] == "AnoGAN", "protocol"]) == {reference.LEAVE_ONE_OUT}
    mnist = reference.thesis_comparison("mnist")
    assert mnist.loc[(mnist["method"] == "DenseNet-169") & (mnist["class"] == 9), "auc"].item() == 0.999386
    lit = reference.literature_per_class("mnist")
    svdd = lit[lit["method"] == "Deep SVDD"]
    assert round(svdd["auc"].mean(), 3) == 0.948 and set(svdd["secondary"]) == {""}
    assert set(lit.loc[lit["method"] == "OCGAN", "secondary"]) == {reference.CHENG}
    means = reference.literature_means("cifar10").set_index("method")["mean_auc"]
    assert means["CSI"] == 0.943 and means["PANDA"] == 0.962
    assert means["Mean-Shifted Contrastive (AAAI 2023)"] == 0.986
    wide = reference.wide(reference.reference_rows("cifar10"), "cifar10")
    assert list(wide.columns[2:12]) == list(reference.CLASS_NAMES["cifar10"])
    assert wide.loc[wide["method"] == reference.THESIS_ROW, "mean"].round(4).item() == 0.6643


# --- report ----------------------------------------------------------------------------
def _records() -> pd.DataFrame:
    """Two autoencoder configs × two classes (+ a baseline with two seeds), made by hand."""
    aucs = {("basic", "mse"): (0.9, 0.6), ("conv", "bce"): (0.8, 0.7)}
    vals = {("basic", "mse"): (0.7, 0.9), ("conv", "bce"): (0.8, 0.5)}
    rows = []
    for (m, loss), (a0, a1) in aucs.items():
        for c, auc in enumerate((a0, a1)):
            for epoch, scale in ((1, 0.9), (2, 1.0)):
                rows.append(dict(dataset="mnist", dataset_id="mnist", model=m, loss=loss, normal_class=c, epoch=epoch,
                                 protocol="one-vs-rest", contamination=0.0, seed=0,
                                 auc=auc * scale, val_auc=vals[(m, loss)][c], accuracy=0.5,
                                 oracle_accuracy=0.6, key=f"{m}{loss}{c}",
                                 loss_curve=[1.0, 0.5][:epoch]))
    for seed, auc in ((0, 0.6), (1, 0.8)):
        rows.append(dict(dataset="mnist", dataset_id="mnist", model="knn", loss="mse", normal_class=0, epoch=1,
                         protocol="one-vs-rest", contamination=0.0, seed=seed, auc=auc,
                         val_auc=0.5, key=f"knn{seed}"))
    return pd.DataFrame(rows)


def test_final_records_by_config():
    cfg = RunConfig(epochs=2, checkpoints=(1,))
    df = pd.DataFrame([{"key": cfg.key(), "epoch": e, "model": "basic", "loss": "mse",
                        "auc": a} for e, a in ((1, 0.5), (2, 0.7), (3, 0.9))])
    assert report.final_records(df, [cfg])["auc"].tolist() == [0.7]
    assert report.final_records(df)["auc"].tolist() == [0.9]
    assert len(report.checkpoint_records(df, [cfg])) == 2
    assert report.final_records(df, [cfg])["config"].tolist() == ["basic/mse"]


def test_auc_matrix_best_and_single():
    df = report.final_records(_records())
    m = report.auc_matrix(df, "mnist")
    assert list(m.columns) == ["basic/mse", "conv/bce"] and list(m.index) == [0, 1, "mean"]
    assert m.loc["mean", "basic/mse"] == pytest.approx(0.75)
    best = report.best_per_class(df, "mnist", class_names=["zero", "one"])
    assert best["config"].tolist() == ["basic/mse", "conv/bce"]
    assert best["class_name"].tolist() == ["zero", "one"] and set(best["selected_on"]) == {"test"}
    single = report.best_single_config(df, "mnist")
    assert single["config"] == "basic/mse" and single["auc"] == pytest.approx(0.75)
    val = report.validation_selected(df, "mnist")
    assert val["config"].tolist() == ["conv/bce", "basic/mse"]


def test_compare_with_thesis_rows_and_delta():
    df = report.final_records(_records())
    best = report.best_per_class(df, "mnist")
    table = report.compare_with_thesis(best, "mnist", report.best_single_config(df, "mnist"),
                                       expected_configs=2)
    # every thesis class is a row; the ones not measured yet say so
    assert table["class"].tolist()[:10] == [str(i) for i in range(10)]
    assert table["class"].tolist()[10:] == ["mean of the 2 measured classes",
                                            "AVG (best single config)"]
    assert table.loc[0, "thesis_auc"] == 0.9775 and table.loc[0, "status"] == "2/2 configs"
    assert table.loc[0, "delta_auc"] == pytest.approx(0.9 - 0.9775)
    assert table.loc[5, "status"] == "missing" and np.isnan(table.loc[5, "our_auc"])
    assert table.loc[10, "thesis_auc"] == pytest.approx((0.9775 + 0.9975) / 2)
    assert table.loc[11, "thesis_model"] == "basic" and table.loc[11, "our_auc"] == pytest.approx(0.75)
    assert "our_balanced_accuracy" in table and "delta_accuracy" in table


def test_curves():
    df = report.add_config(_records())
    ep = report.epoch_curve(df, "mnist")
    row = ep[(ep["config"] == "basic/mse") & (ep["epoch"] == 2)]
    assert row["auc"].item() == pytest.approx(0.75) and row["n_classes"].item() == 2
    cont = df[df["epoch"] == 2].assign(contamination=lambda d: d["normal_class"] * 50.0)
    curve = report.contamination_curve(cont, "mnist")
    assert set(curve["contamination"]) == {0.0, 50.0}


def test_baseline_curves_and_loss_flatness():
    """AUC per checkpoint averages runs; the loss curve comes from each run's last record;
    the tail drop says how much the loss still fell over the last tenth of the epochs."""
    from aeutils.data import dataset_identity

    rows = [{"key": f"k{s}", "model": "deep-svdd", "protocol": "one-vs-rest", "epoch": e,
             "auc": a + s / 10, "dataset_id": dataset_identity("mnist"), "normal_class": s,
             "loss_curve": list(np.linspace(2.0, 1.0, e)) if e == 20 else [9.0]}
            for s in (0, 1) for e, a in ((10, 0.5), (20, 0.6))]
    rows.append({**rows[0], "model": "basic", "key": "ae"})  # autoencoders are not baselines
    auc, loss = report.baseline_curves(pd.DataFrame(rows), "mnist")
    assert list(auc["method"].unique()) == ["deep-svdd"]
    assert auc.set_index("epoch")["value"].to_dict() == pytest.approx({10: 0.55, 20: 0.65})
    assert set(auc["classes"]) == {2}
    assert len(loss) == 20 and loss["value"].iloc[0] == pytest.approx(2.0)
    flat = report.loss_flatness(loss)["deep-svdd [one-vs-rest]"]
    assert flat["epochs"] == 20 and flat["tail_epochs"] == 2
    v = np.linspace(2.0, 1.0, 20)
    assert flat["tail_drop"] == pytest.approx(1 - v[-1] / v[-3]) and flat["last"] == 1.0
    still = loss.assign(value=1.0)  # a plateau reads 0
    assert report.loss_flatness(still)["deep-svdd [one-vs-rest]"]["tail_drop"] == 0.0


def test_budget_check_matches_runs_and_labels_the_schedule():
    """The grid's runs are cut to the classes and seeds trained longer; each budget says
    how it was trained, the lr drops included, and its per-class AUC at its last epoch."""
    from aeutils.data import dataset_identity

    def runs(extra, epochs, classes, auc):
        return [{"key": f"{extra}-{c}", "model": "deep-svdd", "protocol": "one-vs-rest",
                 "epoch": e, "auc": auc + c / 100 + e / 1000, "seed": 0, "normal_class": c,
                 "dataset_id": dataset_identity("mnist"), "n_train_normal": 100,
                 "n_test": 50, "extra": extra,
                 "loss_curve": list(np.linspace(2.0, 1.0, e))}
                for c in classes for e in epochs]

    grid = pd.DataFrame(runs({"pretrain_epochs": 50}, (10, 100), (0, 1, 2), 0.9))
    longer = pd.DataFrame(runs({"pretrain_epochs": 350, "lr_drop_pretrain": 250,
                                "lr_drop_svdd": 50}, (50, 150), (1, 2), 0.8))
    out = report.budget_check(grid, longer, "mnist")
    assert out["classes"] == [1, 2] and out["seeds"] == [0]
    assert out["grid"]["auc_last"] == pytest.approx({"1": 1.01, "2": 1.02})
    assert out["longer"]["mean_auc_last"] == pytest.approx(0.965)
    assert out["gain"] == pytest.approx(0.965 - 1.015)
    assert out["grid"]["settings"].startswith("100 training images per class, 50 pre-training"
                                              " + 100 epochs")
    assert "lr" not in out["grid"]["settings"]
    assert ("350 pre-training + 150 epochs, lr × 0.1 after epoch 250 of pre-training and "
            "50 of training") in out["longer"]["settings"]
    assert list(out["longer"]["baseline_auc_by_epoch"]["deep-svdd [one-vs-rest]"]) == ["50", "150"]


def test_measured_rows_and_comparison_table(tmp_path):
    final = report.final_records(_records())
    main, base = final[final["model"] != "knn"], final[final["model"] == "knn"]
    rows = report.measured_rows(main, "mnist", baselines=base)
    knn = rows[rows["method"] == "knn"]
    assert knn["auc"].item() == pytest.approx(0.7) and knn["n"].item() == 2
    assert knn["std"].item() == pytest.approx(np.std([0.6, 0.8], ddof=1))
    spread = report.baseline_summary(base, "mnist")  # the seeds' class-means: 0.6 and 0.8
    assert list(spread) == ["knn [one-vs-rest]"] and spread["knn [one-vs-rest]"]["seeds"] == [0, 1]
    assert spread["knn [one-vs-rest]"]["mean_auc"] == pytest.approx(0.7)
    assert spread["knn [one-vs-rest]"]["std_auc"] == pytest.approx(np.std([0.6, 0.8], ddof=1))
    assert spread["knn [one-vs-rest]"]["even"]
    assert report.baseline_summary(base, "cifar10") == {} == report.baseline_summary(None, "mnist")
    uneven = pd.concat([base, base.assign(normal_class=1).iloc[:1]])  # class 1: seed 0 only
    assert not report.baseline_summary(uneven, "mnist")["knn [one-vs-rest]"]["even"]
    # knn ran on class 0 only: its row says its mean covers one of the table's two classes
    assert knn["settings"].item().endswith(", seeds 0, 1, class 0 only (1 of 2)")
    assert not rows.loc[rows["method"] != "knn", "settings"].str.contains("only").any()
    names = list(reference.CLASS_NAMES["mnist"])
    table = report.comparison_table(rows, "mnist", "MNIST", names, note="test")
    assert {"protocol", "source", "data", "classes"} <= set(table.columns)
    assert table["protocol"].notna().all()
    assert "GANomaly" in set(table["method"]) and "knn" in set(table["method"])
    assert table.loc[table["method"] == "knn", "classes"].item() == 1
    long = report.per_class_long(table, names, rows)
    assert set(table.loc[table["protocol"] == reference.LEAVE_ONE_OUT, "method"]).isdisjoint(
        long["method"])
    assert long.loc[long["method"] == "knn", "std"].notna().all()
    assert not long.loc[long["method"] == "knn", "quoted"].any()
    assert long.loc[long["method"] == "GANomaly", "quoted"].all()
    # measured and quoted rows never share a figure: the measured one draws no quoted row
    mine = report.measured_overview({"mnist": table}, {"mnist": "MNIST"})["mnist"]
    assert set(mine["method"]) == set(rows["method"]) and not reference.quoted(mine).any()
    assert report.per_class_methods(table)[-1].startswith("AE best single config")
    md, tex = report.export_table(table, "cmp", folder=tmp_path, caption="A caption.")
    assert md.read_text().startswith("A caption.") and "| method" in md.read_text()
    assert "\\begin{tabular}" in tex.read_text() and "\\caption{A caption.}" in tex.read_text()
    assert "nan" not in md.read_text()


def test_a_baseline_in_both_protocols_keeps_one_std_per_bar():
    final = report.final_records(_records())
    base = final[final["model"] == "knn"]
    both = pd.concat([base, base.assign(protocol=reference.LEAVE_ONE_OUT, auc=0.1)])
    rows = report.measured_rows(final[final["model"] != "knn"], "mnist", baselines=both)
    names = list(reference.CLASS_NAMES["mnist"])
    table = report.comparison_table(rows, "mnist", "MNIST", names)
    long = report.per_class_long(table, names, rows)
    knn = long[long["method"] == "knn"]
    assert len(knn) == 1 and knn["std"].item() == pytest.approx(np.std([0.6, 0.8], ddof=1))
    assert long["std"].dtype == float


def test_measured_rows_empty_store():
    rows = report.measured_rows(pd.DataFrame(), "mnist")
    assert rows.empty
    table = report.comparison_table(rows, "cifar10", "CIFAR-10 (JPEG copy)",
                                    list(reference.CLASS_NAMES["cifar10"]))
    assert len(table) == len(reference.wide(reference.reference_rows("cifar10"), "cifar10"))


@pytest.mark.parametrize("model", ["basic", "conv", "vae"])
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_layer_table_counts_every_parameter(model, shape):
    from aeutils.detectors.networks import build_model, n_parameters

    t = report.layer_table(model, shape)
    assert t["parameters"].sum() == n_parameters(build_model(model, shape))
    assert t["output"].iloc[0] == "×".join(map(str, shape))
    assert t["size"].iloc[0] == t["size"].iloc[-1] == int(np.prod(shape))
    assert t["activation"].iloc[-1] == "sigmoid"


def test_loss_table_and_profile_note(tmp_path):
    x = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(0))
    p = {"identical": x, **report.perturbations(x)}
    t = report.loss_table(x, p)
    assert list(t.columns) == ["mse", "bce", "ssim", "mse+ssim", "bce+ssim"]
    assert t.loc["identical", "mse"] == 0 and t.loc["identical", "ssim"] == pytest.approx(0, abs=1e-6)
    assert (t.drop(index="identical")["mse"] > 0).all()
    assert report.profile_note("quick") == ("quick profile: 10 epochs, 1000 training images per class, "
                                           "2000 test images, autoencoders basic, vae")
    assert "all training images" in report.profile_note("full")
    path = report.write_numbers({"a": np.float32(0.5), "b": float("nan")}, "nb", tmp_path)
    assert json.loads(path.read_text()) == {"a": 0.5, "b": None}


def test_a_figure_saved_twice_is_byte_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("AEUTILS_FIGURES", str(tmp_path))

    def draw():
        fig, ax = plt.subplots(layout="constrained")
        ax.plot([0, 1, 2], [1, 0, 1])
        ax.set_title("same figure")
        return fig

    plots.save_figure(draw(), "f", notebook="nb", profile="p", data="d", caption="c")
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    plots.save_figure(draw(), "f", notebook="nb", profile="p", data="d", caption="c")
    second = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(first) == {"f.png", "f.pdf", "MANIFEST.json"}
    assert first == second
    assert b"CreationDate" not in first["f.pdf"]
    # a real change updates the files and the entry
    plots.save_figure(draw(), "f", notebook="nb", profile="p", data="d", caption="new caption")
    assert plots.read_manifest(tmp_path)["f"]["caption"] == "new caption"


def test_run_settings_say_how_the_runs_behind_a_row_were_made():
    base = dict(n_train_normal=1000, n_test=2000, epoch=10, dataset="mnist")
    ae = pd.DataFrame([dict(base, model="basic", seed=s, extra={}) for s in (1, 2, 3)])
    assert report.run_settings(ae) == ("1,000 training images per class, 10 epochs, "
                                       "2,000 test images, seeds 1, 2, 3")
    svdd = pd.DataFrame([dict(base, model="deep-svdd", seed=0, extra={"pretrain_epochs": 50},
                              n_train_normal=n) for n in (5400, 6000)])
    assert report.run_settings(svdd) == ("5,400–6,000 training images per class, 50 "
                                         "pre-training + 10 epochs, 2,000 test images, seed 0")
    default = svdd.assign(extra=[{}, {}])  # the registry's default pre-training
    assert "10 pre-training + 10 epochs" in report.run_settings(default)
    assert "images per class, 1 epoch, 2,000" in report.run_settings(ae.assign(epoch=1))
    uneven = pd.DataFrame([dict(base, model="basic", seed=s, extra={}, normal_class=c)
                           for c, seeds in ((0, (0, 1, 2)), (1, (0,))) for s in seeds])
    assert report.run_settings(uneven).endswith("seeds 0, 1, 2 (1–3 per class)")
    assert report.run_settings(uneven[uneven["normal_class"] == 0]).endswith("seeds 0, 1, 2")
    knn = pd.DataFrame([dict(base, model="knn", seed=0, extra={})])
    assert "one fit" in report.run_settings(knn) and "epochs" not in report.run_settings(knn)
    anogan = pd.DataFrame([dict(base, model="anogan", seed=0, extra={"iterations": 250}),
                           dict(base, model="anogan", seed=1,
                                extra={"iterations": 250, "search_precision": "bf16"})])
    assert "10 epochs, 250-step search in bf16 and fp32, 2,000" in report.run_settings(anogan)
    assert "500-step search in fp32" in report.run_settings(anogan.assign(extra=[{}, {}]))
    assert "search" not in report.run_settings(svdd)
    rows = report.measured_rows(report.final_records(_records()), "mnist")
    assert (rows["settings"] != "").all()  # records without split sizes still say epochs, seeds


def test_a_figure_title_and_its_settings_line_stay_clear_of_the_axes():
    from aeutils.plots.style import _fig_titled

    fig, axes = plt.subplots(2, 2, figsize=(8, 5))
    _fig_titled(fig, "MNIST: a title", "a long settings line " * 12)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    title = next(t for t in fig.texts if t.get_gid() == "title")
    sub = [t for t in fig.texts if t is not title]
    assert len(sub) == 1  # the settings line is its own (smaller) text
    texts = [title, *sub]
    top_of_axes = max(ax.get_tightbbox(renderer).y1 for ax in axes.flat)
    for t in texts:
        box = t.get_window_extent(renderer)
        assert box.y0 >= top_of_axes and box.y1 <= fig.bbox.y1
    assert sub[0].get_fontsize() < title.get_fontsize()
    plt.close(fig)


def test_end_labels_of_close_lines_are_spread_apart_in_order():
    from aeutils.plots.evaluation import spread_labels

    ys = [0.70, 0.701, 0.50, 0.702, 0.90]
    out = spread_labels(ys, gap=0.02)
    by_height = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [out[i] for i in by_height]
    assert all(b - a >= 0.02 - 1e-12 for a, b in zip(placed, placed[1:]))  # never overprint
    assert abs(sum(out) - sum(ys)) < 1e-9  # centred on the lines they label
    assert spread_labels([0.1, 0.5], gap=0.02) == [0.1, 0.5]  # far apart: unchanged


def test_figure_rows_are_marked_with_how_their_runs_were_made():
    from aeutils.plots.style import footnoted

    names, line = footnoted(["ae", "knn", "pca", "Thesis"], ["30 epochs", "one fit", "one fit", ""])
    assert names == ["ae [a]", "knn [b]", "pca [b]", "Thesis"]  # quoted rows carry no mark
    assert line == "[a] 30 epochs; [b] one fit"
    table = pd.DataFrame({"method": ["ae", "knn"], "protocol": ["one-vs-rest"] * 2,
                          "mean": [0.9, 0.8], "data": ["MNIST"] * 2, "source": ["measured here"] * 2})
    fig = plots.measured_means(table, "MNIST", settings={("ae", "one-vs-rest"): "30 epochs",
                                                         ("knn", "one-vs-rest"): "one fit"})
    ax = fig.axes[0]
    top_down = sorted(zip(ax.get_yticks(), ax.get_yticklabels()), key=lambda p: -p[0])
    assert [t.get_text() for _, t in top_down] == ["ae [a]", "knn [b]"]
    # the marks are spelled out inside the figure, under the plot
    key = [t.get_text() for t in fig.texts]
    assert "[a] 30 epochs" in key and "[b] one fit" in key
    plt.close(fig)
    # a row resting on fewer classes than the others says how many, beside its mean
    fig = plots.measured_means(table.assign(classes=[10, 1]), "MNIST")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert " 0.800 (1 of 10 classes)" in labels and " 0.900" in labels
    plt.close(fig)


def test_baseline_convergence_ticks_its_checkpoints_and_marks_its_lines():
    auc = pd.DataFrame({"method": ["deep-svdd"] * 2, "protocol": ["one-vs-rest", "leave-one-out"],
                        "epoch": [5, 5], "value": [0.9, 0.6]})
    loss = pd.DataFrame({"method": ["deep-svdd"] * 4, "epoch": [1, 2, 1, 2],
                         "protocol": ["one-vs-rest"] * 2 + ["leave-one-out"] * 2,
                         "value": [3.0, 2.0, 3.5, 2.5]})
    fig = plots.baseline_convergence(auc, loss, "MNIST", settings={
        ("deep-svdd", "one-vs-rest"): "5 epochs", ("deep-svdd", "leave-one-out"): "5 epochs"})
    a1 = fig.axes[0]
    assert list(a1.get_xticks()) == [5]  # one checkpoint: one tick, no 4.74 … 5.22
    # log epochs, so 15 GANomaly and 100 Deep SVDD epochs share an axis; the last is ticked
    assert a1.get_xscale() == fig.axes[1].get_xscale() == "log"
    assert list(fig.axes[1].get_xticks()) == [1, 2]
    assert {t.get_text() for t in a1.get_legend().get_texts()} == {
        "deep-svdd · one-vs-rest [a]", "deep-svdd · leave-one-out [a]"}
    plt.close(fig)
