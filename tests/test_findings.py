"""The generated "What we see" sentences, the dataset list and the ETA."""

from __future__ import annotations

import copy

import pytest

from aeutils.cli.notebook import dataset_map, numbers_folder
from aeutils.config import ConfigError
from aeutils.report.findings import findings

EVALUATION = {"profile": "quick", "mnist": {
    "label": "MNIST", "mean_auc_per_config": {"basic/mse": 0.90, "vae/mse": 0.95},
    "mean_auc_best_per_class": 0.96, "thesis_mean_auc_best_per_class": 0.95,
    "measured_classes": 10, "best_single_config": "vae/mse", "mean_auc_best_single": 0.95,
    "auc_vs_epoch": {"vae/mse": {"1": 0.80, "5": 0.90, "10": 0.95},
                     "basic/mse": {"1": 0.80, "5": 0.90, "10": 0.90}},
    "auc_vs_contamination": {"basic/bce+ssim": {"0": 0.95, "10": 0.94, "100": 0.80}}}}


def test_evaluation_sentences_follow_the_numbers():
    before = findings(EVALUATION, "04_evaluation")
    text = " ".join(before)
    assert "0.9600" in text and "0.9500 (+0.0100, above it)" in text
    assert "1 of 2 configurations still gain" in text and "vae/mse, still rises" in text
    assert "0.8000 with 100 % (-0.1500)" in text

    worse = copy.deepcopy(EVALUATION)
    worse["mnist"].update(mean_auc_best_per_class=0.90)
    worse["mnist"]["auc_vs_epoch"]["vae/mse"]["10"] = 0.85
    text = " ".join(findings(worse, "04_evaluation"))
    assert "0.9000" in text and "(-0.0500, below it)" in text
    assert "vae/mse, falls from epoch 5 to 10" in text and "0 of 2" in text


def test_missing_parts_give_no_sentence_rather_than_a_wrong_one():
    assert findings({"profile": "smoke"}, "04_evaluation") == []
    only_matrix = {"mnist": {"label": "MNIST", "mean_auc_per_config": {"basic/mse": 0.9}}}
    assert findings(only_matrix, "04_evaluation") == []


def test_comparison_sentences_place_selection_against_the_best_on_test():
    numbers = {"cifar10": {
        "label": "CIFAR-10", "mean_auc": {"AE best single config (vae/mse) [one-vs-rest]": 0.65,
                                          "knn [one-vs-rest]": 0.60, "pca [leave-one-out]": 0.9},
        "optimism": [{"strategy": "label-free", "model": "basic", "loss": "ssim", "epoch": 10,
                      "test_auc": 0.64, "gap_single": 0.02, "best_single_on_test": 0.66,
                      "best_per_class_on_test": 0.7, "gap_per_class": 0.06}],
        "selection": {"label-free": {"config": "basic/ssim", "epoch": 10, "seeds": [1, 2],
                                     "mean_auc": 0.63, "std_auc": 0.004, "classes": 10,
                                     "even": True}}}}
    text = " ".join(findings(numbers, "05_comparison"))
    assert "basic/ssim at epoch 10, 0.6300 ± 0.0040 on seeds 1, 2" in text
    assert "-0.0200 against the best configuration and epoch on test (0.6600)" in text
    assert "baseline, knn, averages 0.6000, -0.0500" in text  # leave-one-out rows are not compared
    numbers["cifar10"]["mean_auc"]["knn [one-vs-rest]"] = 0.70
    assert "+0.0500" in " ".join(findings(numbers, "05_comparison"))
    # a strategy not re-run on other seeds yet is placed on its choosing seed, and said so
    numbers["cifar10"]["selection"] = {}
    numbers["cifar10"]["optimism"][0].update(model="vae", loss="mse", epoch=5, test_auc=0.64)
    numbers["cifar10"]["mean_auc"]["AE best of 10 per class (test-selected) [one-vs-rest]"] = 0.7
    text = " ".join(findings(numbers, "05_comparison"))
    assert "vae/mse at epoch 5, test AUC 0.6400, -0.0200" in text and "not yet re-run" in text
    assert "adds +0.0500 to the best single configuration" in text


def test_data_models_training_and_own_data_sentences():
    data = {"split": {"normal_class": 1, "contamination": 10.0,
                      "mnist": {"n_train_normal": 90, "n_contamination": 9, "n_val": 20,
                                "n_test": 100}},
            "mnist": {"label": "MNIST", "classes": ["0", "1"], "shape": [1, 28, 28],
                      "n_train": 300, "n_test": 100, "train_per_class": [100, 200]}}
    text = " ".join(findings(data, "01_data"))
    assert "100% more training images" in text and "about 33% of a test set" in text
    assert "90 normal and 9 unlabelled" in text

    losses = {"labels": {"mnist": "MNIST"}, "parameters": {"basic": {"s": 10}, "conv": {"s": 30}},
              "losses": {"mnist": {"identical": {"mse": 0, "ssim": 0},
                                   "blur": {"mse": 1, "ssim": 5}, "shift": {"mse": 2, "ssim": 1}}}}
    text = " ".join(findings(losses, "02_models"))
    assert "basic autoencoder is the smallest (10 parameters)" in text and "(30, 3.0×)" in text
    assert "MSE by shift" in text and "SSIM by blur" in text and "disagree" in text

    training = {"normal_class": 0, "mnist": {"label": "MNIST", "shown_config": "vae/mse",
                "shown_val_auc": 0.9, "shown_auc": 0.95, "mean_error_normal": 0.01,
                "mean_error_anomalous": 0.03}}
    text = " ".join(findings(training, "03_training"))
    assert "vae/mse (validation 0.900, test 0.950, +0.050 on test)" in text and "3.0×" in text

    own = {"folder": {"source": "folder mine", "model": "basic", "loss": "mse", "epochs": 3,
                      "size": [32, 32], "mode": "RGB", "n_train": 10, "n_new": 20,
                      "threshold": 0.0123, "contamination": 0.05, "n_flagged": 5}}
    text = findings(own, "06_your_own_data")
    assert len(text) == 1 and "flags 5 of the 20 images to check (25%)" in text[0]
    assert "threshold 0.0123" in text[0] and "32×32 RGB" in text[0]
    own["folder"].update(n_anomalies=8, auc=0.8, flagged_anomalies=0.5, flagged_normals=0.05)
    assert "ROC AUC is 0.800" in findings(own, "06_your_own_data")[1]


def test_dataset_list_maps_logical_names():
    assert dataset_map(["mnist", "cifar10=folder:/x"]) == {"mnist": "mnist",
                                                          "cifar10": "folder:/x"}
    assert dataset_map("mnist cifar10") == {"mnist": "mnist", "cifar10": "cifar10"}
    for bad in ([], ["=folder:x"], ["cifar10="]):
        with pytest.raises(ConfigError):
            dataset_map(bad)
    assert numbers_folder("figures/quick").as_posix() == "figures/quick/numbers"


def test_eta_counts_the_estimated_groups_still_to_come():
    from aeutils.experiments.estimate import Eta

    eta = Eta.__new__(Eta)
    eta.estimates, eta.actual, eta.later = [10.0, 10.0, 40.0, None], [None] * 4, 0.0
    # the first group took twice its estimate: the slow group ahead counts twice as slow
    assert eta.done(0, 20.0) == pytest.approx(20 + 80 + 20)
    assert eta.done(1, 20.0) == pytest.approx(80 + 20)
    eta.later = 100.0  # blocks after this grid, estimated: scaled the same way
    assert eta.left() == pytest.approx(200 + 80 + 20)


def test_a_dataset_list_restricts_the_profile():
    from aeutils.experiments.grid import profile_configs

    both = profile_configs("quick", blocks=["main"])
    mnist = profile_configs("quick", blocks=["main"], only_datasets=("mnist",))
    assert {c.dataset for c in mnist} == {"mnist"} and 0 < len(mnist) < len(both)


def test_published_outputs_link_saved_figures(tmp_path):
    from aeutils.cli.notebook import FIGURE_METADATA
    from aeutils.cli.publish import _output

    figures, folder = tmp_path / "figures" / "thesis", tmp_path / "docs" / "notebooks"
    image = {"output_type": "display_data", "data": {"image/png": "AAAA", "text/plain": "<Figure>"},
             "metadata": {FIGURE_METADATA: "04_roc_mnist"}}
    assert _output(image, figures, folder) == "![04_roc_mnist](../../figures/thesis/04_roc_mnist.png)"
    untagged = {**image, "metadata": {}}
    assert _output(untagged, figures, folder) is None  # never embedded
    assert _output({"output_type": "stream", "name": "stderr", "text": "warn"}, figures, folder) is None
    table = {"output_type": "execute_result", "data": {"text/html": "<table/>", "text/plain": "t"},
             "metadata": {}}
    assert _output(table, figures, folder) == "<table/>"


def test_ensemble_and_seed_noise_sentences_follow_the_numbers():
    from aeutils.report.findings import comparison_findings, evaluation_findings

    pick = {"strategy": "label-free", "model": "conv", "loss": "ssim", "epoch": 200,
            "test_auc": 0.66, "best_single_on_test": 0.68, "gap_single": 0.02,
            "best_per_class_on_test": 0.7, "gap_per_class": 0.04}
    ens = {"strategy": "ensemble-validation", "epoch": 200, "members": 15, "classes": 10,
           "auc": 0.67}
    text = " ".join(comparison_findings({"cifar10": {"label": "C", "optimism": [pick],
                                                     "ensemble": [ens]}}))
    assert "ensemble of all 15 configurations at epoch 200" in text and "0.6700" in text
    assert "(+0.0100)" in text and "(-0.0100)" in text
    rows = [{"class": "0 a", "beyond_noise": True}, {"class": "1 b", "beyond_noise": False},
            {"class": "mean of the 2 measured classes", "beyond_noise": None}]
    said = " ".join(evaluation_findings({"mnist": {"label": "M", "thesis_table": rows}}))
    assert "1 of the 2 per-class differences" in said and "(0 a)" in said


def test_a_selection_still_training_is_not_quoted():
    from aeutils.report.findings import comparison_findings

    pick = {"config": "conv/bce+ssim", "epoch": 100, "seeds": [1, 2, 3], "mean_auc": 0.9636,
            "std_auc": 0.001, "classes": 7, "even": False}
    numbers = {"mnist": {"label": "MNIST", "selection": {"label-free": pick}}}
    said = " ".join(comparison_findings(numbers))
    assert "still training" in said and "0.9636" not in said
    numbers["mnist"]["selection"]["label-free"] = {**pick, "classes": 10, "even": True}
    assert "0.9636 ± 0.0010 on seeds 1, 2, 3" in " ".join(comparison_findings(numbers))
