"""Published numbers as data: the thesis's tables and literature rows, each with its protocol.

Every row says where its number comes from (``source``), whether it was read in
another paper's table (``secondary``) and under which protocol it was measured:

- ``one-vs-rest``: the class is normal, the other nine are anomalies (the thesis);
- ``leave-one-out``: the class is the *anomaly*, the other nine are normal
  (GANomaly's papers);
- ``anomaly-as-class (supervised transfer)``: ImageNet classifiers fine-tuned
  with the anomaly as a labelled class.

Only rows of the same protocol are comparable. Classes are stored by index in
each dataset's standard order (CIFAR-10: 0 airplane … 9 truck); the thesis's
CIFAR-10 comparison table uses another column order (:data:`THESIS_CIFAR_COLUMNS`),
which is undone here. Numbers are copied exactly from the thesis (its tables are
restated in ``docs/thesis.md``) and from the papers each row names: the thesis's as
fractions, the literature's as the percentages they were published in (the DataFrames
convert both to [0, 1]).
"""

from __future__ import annotations

import pandas as pd

from ..registry import PROTOCOLS

# The protocols aeutils runs are registered in aeutils.registry; the literature adds one
# that it quotes but cannot run (a supervised classifier, not a one-class detector).
ONE_VS_REST, LEAVE_ONE_OUT = PROTOCOLS
SUPERVISED_TRANSFER = "anomaly-as-class (supervised transfer)"
MEASURED_HERE = "measured here"  # how a comparison row made by this project names its source


def quoted(table: pd.DataFrame) -> pd.Series:
    """Per row of a comparison table: True where it is quoted from a paper, False where
    its ``source`` says it was measured here (all False for a frame without sources)."""
    if "source" not in table:
        return pd.Series(False, index=table.index)
    return ~table["source"].astype(str).str.startswith(MEASURED_HERE)

THESIS = ("R. Verk, Tecniche di Deep Learning per il rilevamento di anomalie nelle immagini, "
          "bachelor thesis, Università degli Studi di Udine")
CHENG = "as reported by Cheng et al. 2020"

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "mnist": tuple(str(i) for i in range(10)),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer",
                "dog", "frog", "horse", "ship", "truck"),
}
DATASET_LABELS = {"mnist": "MNIST", "cifar10": "CIFAR-10", "fashion-mnist": "Fashion-MNIST"}

# The thesis's CIFAR-10 comparison columns: plane car bird cat deer frog horse ship truck dog.
THESIS_CIFAR_COLUMNS: tuple[int, ...] = (0, 1, 2, 3, 4, 6, 7, 8, 9, 5)

# --- the thesis's best configuration per class: (class, autoencoder, loss, accuracy, AUC) ---
_THESIS_BEST = {
    "mnist": [
        (0, "basic", "bce+ssim", 0.9437, 0.9775),
        (1, "basic", "mse+ssim", 0.9865, 0.9975),
        (2, "basic", "bce+ssim", 0.9267, 0.9749),
        (3, "vae", "bce+ssim", 0.8598, 0.9103),
        (4, "conv", "bce", 0.8549, 0.9348),
        (5, "basic", "bce+ssim", 0.8686, 0.9176),
        (6, "basic", "bce+ssim", 0.9530, 0.9839),
        (7, "basic", "bce", 0.9410, 0.9745),
        (8, "basic", "bce", 0.8272, 0.8802),
        (9, "conv", "bce+ssim", 0.8916, 0.9535),
    ],
    "cifar10": [
        (0, "conv", "mse+ssim", 0.7306, 0.7714),
        (1, "conv", "bce+ssim", 0.4919, 0.6093),
        (2, "basic", "mse", 0.7550, 0.6116),
        (3, "vae", "bce", 0.5188, 0.5808),
        (4, "vae", "mse", 0.6676, 0.7311),
        (5, "vae", "mse+ssim", 0.5326, 0.5893),
        (6, "vae", "bce", 0.6877, 0.7069),
        (7, "vae", "bce", 0.5527, 0.6104),
        (8, "vae", "ssim", 0.7370, 0.7757),
        (9, "vae", "bce+ssim", 0.5984, 0.6566),
    ],
}
# The AVG row: the one configuration with the best mean (autoencoder, loss, accuracy, AUC).
_THESIS_AVG = {
    "mnist": ("basic", "bce+ssim", 0.8844, 0.9346),
    "cifar10": ("vae", "mse+ssim", 0.5920, 0.5767),
}
# The mean of the per-class rows as the thesis states it.
THESIS_BEST_MEAN_AUC = {"mnist": 0.9505, "cifar10": 0.6643}

# --- the thesis's comparison tables (AUC as fractions) -----------------------------------
_THESIS_COMPARISON_MNIST = {
    "GANomaly": [0.881, 0.675, 0.953, 0.801, 0.827, 0.864, 0.849, 0.682, 0.856, 0.558],
    "AnoGAN": [0.623, 0.31, 0.521, 0.458, 0.442, 0.431, 0.492, 0.401, 0.392, 0.368],
    "EGBAD": [0.783, 0.294, 0.523, 0.506, 0.453, 0.436, 0.593, 0.398, 0.523, 0.358],
    "DenseNet-169": [0.998265, 0.994258, 0.984126, 0.980750, 0.983918, 0.992295, 0.984011,
                     0.997476, 0.991551, 0.999386],
    "ResNet-152": [0.998050, 0.994176, 0.982025, 0.981253, 0.984338, 0.989994, 0.980970,
                   0.998940, 0.989815, 0.998982],
    "Inception-V4": [0.997676, 0.994609, 0.983431, 0.980548, 0.984617, 0.992676, 0.983624,
                     0.997108, 0.994305, 0.999080],
}
# In the thesis's column order (THESIS_CIFAR_COLUMNS): plane car bird cat deer frog horse ship truck dog.
_THESIS_COMPARISON_CIFAR_AS_PRINTED = {
    "GANomaly": [0.633, 0.631, 0.51, 0.587, 0.593, 0.683, 0.605, 0.616, 0.617, 0.628],
    "AnoGAN": [0.516, 0.492, 0.411, 0.399, 0.335, 0.321, 0.399, 0.567, 0.511, 0.393],
    "EGBAD": [0.577, 0.514, 0.383, 0.448, 0.374, 0.353, 0.526, 0.413, 0.555, 0.481],
    "DenseNet-169": [0.998449, 0.998933, 0.994980, 0.992014, 0.998145, 0.991758, 0.999031,
                     0.998386, 0.998948, 0.998291],
    "ResNet-152": [0.998071, 0.998203, 0.995249, 0.991605, 0.998480, 0.991375, 0.999607,
                   0.999289, 0.998934, 0.997900],
    "Inception-V4": [0.930263, 0.971474, 0.842340, 0.853591, 0.895042, 0.893674, 0.949273,
                     0.921899, 0.954804, 0.931945],
}
_GAN_ORIGIN = {
    "mnist": {
        "GANomaly": "GANomaly (Akçay et al., ACCV 2018) or a re-run of it (attribution not verified)",
        "AnoGAN": "origin not stated in the thesis (likely the GANomaly paper, Akçay et al., ACCV 2018; not verified)",
        "EGBAD": "origin not stated in the thesis (likely the GANomaly paper, Akçay et al., ACCV 2018; not verified)",
    },
    "cifar10": dict.fromkeys(("GANomaly", "AnoGAN", "EGBAD"),
                             "most likely Skip-GANomaly (Akçay et al., IJCNN 2019), Table I (not verified)"),
}
_TRANSFER_ORIGIN = ("most likely Minhas & Zelek, 'Anomaly Detection in Images', "
                    "arXiv:1905.13147 (2019) (not verified)")

# --- literature.md: per-class rows in percent, standard class order ----------------------
# (method, dataset, values, source, secondary, reported mean or None)
_LITERATURE_PER_CLASS = [
    ("Deep SVDD", "mnist", [98.0, 99.7, 91.7, 91.9, 94.9, 88.5, 98.3, 94.6, 93.9, 96.5],
     "Ruff et al., 'Deep One-Class Classification', ICML 2018, Table 1 (One-Class Deep SVDD)",
     "", 94.8),
    ("Deep SVDD", "cifar10", [61.7, 65.9, 50.8, 59.1, 60.9, 65.7, 67.7, 67.3, 75.9, 73.1],
     "Ruff et al., 'Deep One-Class Classification', ICML 2018, Table 1 (One-Class Deep SVDD)",
     "", 64.8),
    ("GEOM", "cifar10", [74.7, 95.7, 78.1, 72.4, 87.8, 87.8, 83.4, 95.5, 93.3, 91.3],
     "Golan & El-Yaniv, 'Deep Anomaly Detection Using Geometric Transformations', NeurIPS 2018",
     CHENG, None),
    ("GEOM", "mnist", [98.2, 91.6, 99.4, 99.0, 99.1, 99.6, 99.9, 96.3, 97.2, 99.2],
     "Cheng et al. 2020's run of GEOM (MNIST is not in the GEOM paper)", CHENG, 98.0),
    ("OCGAN", "mnist", [99.8, 99.9, 94.2, 96.3, 97.5, 98.0, 99.1, 98.1, 93.9, 98.1],
     "Perera et al., 'OCGAN', CVPR 2019", CHENG, 97.5),
    ("OCGAN", "cifar10", [75.7, 53.0, 64.0, 62.0, 72.3, 62.0, 72.3, 57.5, 82.0, 55.4],
     "Perera et al., 'OCGAN', CVPR 2019", CHENG, 65.6),
]
# (method, dataset, mean AUC in percent, source, secondary)
_LITERATURE_MEANS = [
    ("GEOM", "cifar10", 86.0, "Golan & El-Yaniv, NeurIPS 2018 (original paper)", ""),
    ("GEOM", "fashion-mnist", 93.5, "Golan & El-Yaniv, NeurIPS 2018 (original paper)", ""),
    ("CSI", "cifar10", 94.3, "Tack et al., NeurIPS 2020", ""),
    ("PANDA", "cifar10", 96.2, "Reiss et al., CVPR 2021 (ImageNet-pretrained ResNet)", ""),
    ("Mean-Shifted Contrastive (arXiv v1)", "cifar10", 97.5,
     "Reiss & Hoshen, 'Mean-Shifted Contrastive Loss for Anomaly Detection', arXiv v1", ""),
    ("Mean-Shifted Contrastive (AAAI 2023)", "cifar10", 98.6,
     "Reiss & Hoshen, 'Mean-Shifted Contrastive Loss for Anomaly Detection', AAAI 2023", ""),
]


def _check(dataset: str) -> None:
    if dataset not in _THESIS_BEST:
        raise ValueError(f"no thesis table for {dataset!r}; valid: {', '.join(_THESIS_BEST)}")


def thesis_best_per_class(dataset: str) -> pd.DataFrame:
    """The thesis's best-of-15 configuration per class (selected on the test set)."""
    _check(dataset)
    rows = [{"class": c, "class_name": CLASS_NAMES[dataset][c], "model": m, "loss": loss,
             "accuracy": acc, "auc": auc, "selection": "best of 15 on the test set",
             "protocol": ONE_VS_REST, "source": THESIS, "secondary": ""}
            for c, m, loss, acc, auc in _THESIS_BEST[dataset]]
    return pd.DataFrame(rows)


def thesis_best_single(dataset: str) -> dict:
    """The thesis's AVG row: the single configuration with the best mean."""
    _check(dataset)
    m, loss, acc, auc = _THESIS_AVG[dataset]
    return {"model": m, "loss": loss, "accuracy": acc, "auc": auc, "protocol": ONE_VS_REST,
            "source": THESIS}


def thesis_comparison(dataset: str) -> pd.DataFrame:
    """The thesis's comparison rows, long form: method, class, auc, protocol, source, …"""
    _check(dataset)
    if dataset == "mnist":
        table = _THESIS_COMPARISON_MNIST
    else:  # undo the thesis's column order
        table = {m: [v[THESIS_CIFAR_COLUMNS.index(c)] for c in range(10)]
                 for m, v in _THESIS_COMPARISON_CIFAR_AS_PRINTED.items()}
    rows = []
    for method, values in table.items():
        gan = method in _GAN_ORIGIN[dataset]
        origin = _GAN_ORIGIN[dataset][method] if gan else _TRANSFER_ORIGIN
        for c, v in enumerate(values):
            rows.append({"method": method, "dataset": dataset, "class": c,
                         "class_name": CLASS_NAMES[dataset][c], "auc": v,
                         "protocol": LEAVE_ONE_OUT if gan else SUPERVISED_TRANSFER,
                         "source": f"quoted by the thesis; {origin}", "secondary": "",
                         "quoted_in": "thesis"})
    return pd.DataFrame(rows)


def literature_per_class(dataset: str) -> pd.DataFrame:
    """One-class (one-vs-rest) literature rows with per-class AUC, long form, AUC in [0, 1]."""
    rows = []
    for method, ds, values, source, secondary, _ in _LITERATURE_PER_CLASS:
        if ds != dataset:
            continue
        for c, v in enumerate(values):
            rows.append({"method": method, "dataset": ds, "class": c,
                         "class_name": CLASS_NAMES[ds][c], "auc": round(v / 100, 6),
                         "protocol": ONE_VS_REST, "source": source, "secondary": secondary,
                         "quoted_in": "literature"})
    return pd.DataFrame(rows, columns=["method", "dataset", "class", "class_name", "auc",
                                       "protocol", "source", "secondary", "quoted_in"])


def literature_means(dataset: str | None = None) -> pd.DataFrame:
    """Reported mean AUCs ([0, 1]) of every literature row, per-class ones included."""
    rows = [{"method": m, "dataset": ds, "mean_auc": round(mean / 100, 6), "protocol": ONE_VS_REST,
             "source": src, "secondary": sec}
            for m, ds, _, src, sec, mean in _LITERATURE_PER_CLASS if mean is not None]
    rows += [{"method": m, "dataset": ds, "mean_auc": round(v / 100, 6), "protocol": ONE_VS_REST,
              "source": src, "secondary": sec} for m, ds, v, src, sec in _LITERATURE_MEANS]
    df = pd.DataFrame(rows)
    return df[df["dataset"] == dataset].reset_index(drop=True) if dataset else df


THESIS_ROW = "Thesis: AE best of 15 per class (test-selected)"


def thesis_row(dataset: str) -> pd.DataFrame:
    """The thesis's own best-per-class AUCs as one reference row, long form."""
    t = thesis_best_per_class(dataset)
    return t.assign(method=THESIS_ROW, dataset=dataset, quoted_in="thesis")[
        ["method", "dataset", "class", "class_name", "auc", "protocol", "source", "secondary",
         "quoted_in"]]


def reference_rows(dataset: str) -> pd.DataFrame:
    """Every per-class reference row for ``dataset``, long form: the thesis's own best per
    class, its comparison rows, then the literature's one-class rows."""
    parts = [literature_per_class(dataset)]
    if dataset in _THESIS_BEST:
        parts[:0] = [thesis_row(dataset), thesis_comparison(dataset)]
    return pd.concat(parts, ignore_index=True)


def wide(long: pd.DataFrame, dataset: str, value: str = "auc") -> pd.DataFrame:
    """Long per-class rows → one row per method with a column per class name and the mean."""
    names = CLASS_NAMES[dataset]
    keys = ["method", "protocol", "source", "secondary"]
    table = long.pivot_table(index=keys, columns="class", values=value, aggfunc="first")
    table = table.reindex(columns=range(len(names)))
    table.columns = list(names)
    table["mean"] = table.mean(axis=1)
    table = table.reset_index()
    order = list(dict.fromkeys(long["method"]))
    table["_o"] = table["method"].map(order.index)
    cols = ["method", "protocol", *names, "mean", "source", "secondary"]
    return table.sort_values("_o")[cols].reset_index(drop=True)
