"""Computations behind the notebooks: tables from the results store, comparisons, exports.

Conventions: ``df`` is a table of store records (one row per configuration and
epoch, see :class:`aeutils.results.ResultsStore`); ``dataset`` is the dataset
name as stored in the records (e.g. ``mnist`` or ``folder:…``); ``thesis_dataset``
is the logical name of a dataset with thesis tables (``mnist``, ``cifar10``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from . import reference
from .config import RunConfig
from .data import dataset_identity, example_indices
from .models import MODELS, build_model
from .results import ResultsStore

CLASS_COLUMN = "normal_class"


# --- records ---------------------------------------------------------------------------
def as_frame(source: ResultsStore | pd.DataFrame) -> pd.DataFrame:
    """The records of a store (or a DataFrame, returned as is)."""
    return source.table() if isinstance(source, ResultsStore) else source


def final_records(source: ResultsStore | pd.DataFrame,
                  configs: Iterable[RunConfig] | None = None) -> pd.DataFrame:
    """The final-epoch row of each config (of each key in the table when ``configs`` is None)."""
    df = as_frame(source)
    if df.empty:
        return df
    if configs is None:
        return add_config(df.sort_values("epoch").groupby("key").tail(1).reset_index(drop=True))
    wanted = pd.DataFrame({(c.key(), c.epochs) for c in configs}, columns=["key", "epoch"])
    out = df.merge(wanted, on=["key", "epoch"]).drop_duplicates(["key", "epoch"])
    return add_config(out.reset_index(drop=True))


def checkpoint_records(source: ResultsStore | pd.DataFrame,
                       configs: Iterable[RunConfig]) -> pd.DataFrame:
    """Every checkpoint row (``eval_epochs``) of ``configs``."""
    df = as_frame(source)
    if df.empty:
        return df
    wanted = pd.DataFrame({(c.key(), e) for c in configs for e in c.eval_epochs},
                          columns=["key", "epoch"])
    return add_config(df.merge(wanted, on=["key", "epoch"]).drop_duplicates(["key", "epoch"]))


def same_dataset(df: pd.DataFrame, dataset: str) -> pd.Series:
    """Rows of ``dataset`` by what it is (its identity), not the path it was read from."""
    return df["dataset_id"] == dataset_identity(dataset)


def config_name(model: str, loss: str) -> str:
    """``model/loss`` for autoencoders, ``model`` for baselines."""
    return f"{model}/{loss}" if model in MODELS else model


def add_config(df: pd.DataFrame) -> pd.DataFrame:
    """Add a ``config`` column (:func:`config_name`)."""
    if df.empty or "config" in df:
        return df
    df = df.copy()
    df["config"] = [config_name(m, s) for m, s in zip(df["model"], df["loss"])]
    return df


def _clean_autoencoders(df: pd.DataFrame, dataset: str | None) -> pd.DataFrame:
    """Autoencoder rows, clean one-class setting, of ``dataset`` (all if None)."""
    if df.empty:
        return df
    keep = df["model"].isin(list(MODELS)) & (df["contamination"] == 0) & (
        df["protocol"] == reference.ONE_VS_REST)
    if dataset is not None:
        keep &= same_dataset(df, dataset)
    return add_config(df[keep])


def _config_order(configs: Iterable[str]) -> list[str]:
    from .losses import LOSSES

    def rank(c: str) -> tuple:
        m, _, loss = c.partition("/")
        return (list(MODELS).index(m) if m in MODELS else 99,
                list(LOSSES).index(loss) if loss in LOSSES else 99, c)

    return sorted(set(configs), key=rank)


# --- the thesis's tables -------------------------------------------------------------
def auc_matrix(df: pd.DataFrame, dataset: str, metric: str = "auc",
               mean_row: bool = True) -> pd.DataFrame:
    """Class × ``model/loss`` table of ``metric`` (mean over seeds) with a ``mean`` row."""
    d = _clean_autoencoders(df, dataset)
    if d.empty:
        return pd.DataFrame()
    m = d.pivot_table(index=CLASS_COLUMN, columns="config", values=metric, aggfunc="mean")
    m = m[_config_order(m.columns)]
    m.columns.name, m.index.name = None, "class"
    if mean_row:
        m.loc["mean"] = m.mean(axis=0)
    return m


def best_per_class(df: pd.DataFrame, dataset: str, by: str = "auc",
                   class_names: Sequence[str] | None = None) -> pd.DataFrame:
    """Per class, the autoencoder configuration with the highest ``by`` (thesis-style:
    ``by="auc"`` selects on the test set, so the result is optimistic)."""
    d = _clean_autoencoders(df, dataset)
    if d.empty:
        return pd.DataFrame()
    metrics = [c for c in ("auc", "val_auc", "accuracy", "balanced_accuracy", "oracle_accuracy",
                           "ap") if c in d]
    g = d.groupby([CLASS_COLUMN, "model", "loss", "config"], as_index=False).agg(
        **{m: (m, "mean") for m in metrics}, key=("key", "first"), epoch=("epoch", "first"))
    g["n_configs"] = g.groupby(CLASS_COLUMN)["config"].transform("nunique")
    best = g.loc[g.groupby(CLASS_COLUMN)[by].idxmax()].rename(columns={CLASS_COLUMN: "class"})
    if class_names is not None:
        best.insert(1, "class_name", [class_names[int(c)] for c in best["class"]])
    best["selected_on"] = "test" if by == "auc" else by
    return best.reset_index(drop=True)


def best_single_config(df: pd.DataFrame, dataset: str | None = None, by: str = "auc") -> dict:
    """The autoencoder configuration with the best mean ``by`` over classes, with its means."""
    d = _clean_autoencoders(df, dataset)
    if d.empty:
        return {}
    cols = [c for c in ("auc", "val_auc", "accuracy", "balanced_accuracy", "oracle_accuracy")
            if c in d]
    g = d.groupby(["model", "loss", "config"], as_index=False)[cols].mean()
    g["n_classes"] = d.groupby(["model", "loss", "config"])[CLASS_COLUMN].nunique().to_numpy()
    return g.loc[g[by].idxmax()].to_dict()


def compare_with_thesis(ours: pd.DataFrame, thesis_dataset: str,
                        best_single: Mapping | None = None,
                        expected_configs: int | None = None) -> pd.DataFrame:
    """Our best configuration per class (from :func:`best_per_class`) beside the thesis's.

    One row per thesis class, whether measured yet or not: ``status`` says how many of
    the ``expected_configs`` configurations a measured row was chosen from, or
    ``missing``; nothing is filled in or extrapolated. Then the mean over the measured
    classes and, given ``best_single`` (:func:`best_single_config`), the ``AVG`` row.
    Accuracy: the thesis does not say how its threshold was set; ours uses the 95th
    percentile of validation-normal scores. Beside it, balanced accuracy at the same
    threshold (blind to the 9:1 class ratio of a one-vs-rest test set, where calling
    everything anomalous scores 0.90 accuracy) and the oracle accuracy (best threshold
    on the test set: an upper bound).
    """
    th = reference.thesis_best_per_class(thesis_dataset)
    th = th.rename(columns={"model": "thesis_model", "loss": "thesis_loss",
                            "accuracy": "thesis_accuracy", "auc": "thesis_auc"})
    o = ours.rename(columns={"model": "our_model", "loss": "our_loss", "auc": "our_auc",
                             "accuracy": "our_accuracy", "oracle_accuracy": "our_oracle_accuracy",
                             "balanced_accuracy": "our_balanced_accuracy"})
    keep = [c for c in ("class", "our_model", "our_loss", "our_auc", "our_accuracy",
                        "our_balanced_accuracy", "our_oracle_accuracy", "n_configs") if c in o]
    t = th[["class", "class_name", "thesis_model", "thesis_loss", "thesis_accuracy",
            "thesis_auc"]].merge(o[keep], on="class", how="left")
    for col in ("our_auc", "our_accuracy", "our_balanced_accuracy", "our_oracle_accuracy"):
        if col not in t:
            t[col] = np.nan
    t["status"] = ["missing" if pd.isna(a) else
                   (f"{int(n)}/{expected_configs} configs" if expected_configs else "measured")
                   for a, n in zip(t["our_auc"], t.get("n_configs", pd.Series([0] * len(t))))]
    t["class"] = [f"{c} {n}" if str(c) != n else str(c) for c, n in zip(t["class"], t["class_name"])]
    t["delta_auc"] = t["our_auc"] - t["thesis_auc"]
    t["delta_accuracy"] = t["our_accuracy"] - t["thesis_accuracy"]
    cols = ["class", "thesis_model", "thesis_loss", "thesis_auc", "our_model", "our_loss",
            "our_auc", "delta_auc", "thesis_accuracy", "our_accuracy", "delta_accuracy",
            "our_balanced_accuracy", "our_oracle_accuracy", "status"]
    t = t[cols]
    nums = ["thesis_auc", "our_auc", "delta_auc", "thesis_accuracy", "our_accuracy",
            "delta_accuracy", "our_balanced_accuracy", "our_oracle_accuracy"]
    measured = t[t["status"] != "missing"]
    mean = {"class": f"mean of the {len(measured)} measured classes",
            **measured[nums].mean().to_dict(), "status": f"{len(measured)}/{len(t)} classes"}
    rows = [t, pd.DataFrame([mean])]
    if best_single:
        avg = reference.thesis_best_single(thesis_dataset)
        n_cls = best_single.get("n_classes")
        rows.append(pd.DataFrame([{
            "class": "AVG (best single config)", "thesis_model": avg["model"],
            "thesis_loss": avg["loss"], "thesis_auc": avg["auc"],
            "our_model": best_single["model"], "our_loss": best_single["loss"],
            "our_auc": best_single["auc"], "delta_auc": best_single["auc"] - avg["auc"],
            "thesis_accuracy": avg["accuracy"], "our_accuracy": best_single.get("accuracy"),
            "delta_accuracy": (best_single["accuracy"] - avg["accuracy"]
                               if best_single.get("accuracy") is not None else np.nan),
            "our_balanced_accuracy": best_single.get("balanced_accuracy"),
            "our_oracle_accuracy": best_single.get("oracle_accuracy"),
            "status": f"mean over {n_cls} classes" if n_cls is not None else ""}]))
    return pd.concat(rows, ignore_index=True)


def validation_selected(df: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Per class, the autoencoder configuration with the best mean *validation* AUC over
    seeds, with its test AUC (mean, std over seeds): a selection that reads no test labels."""
    d = _clean_autoencoders(df, dataset)
    if d.empty or "val_auc" not in d:
        return pd.DataFrame()
    g = d.groupby([CLASS_COLUMN, "config"]).agg(
        val_auc=("val_auc", "mean"), auc=("auc", "mean"), std=("auc", "std"),
        n=("seed", "nunique")).reset_index()
    best = g.loc[g.groupby(CLASS_COLUMN)["val_auc"].idxmax()]
    return best.rename(columns={CLASS_COLUMN: "class"}).reset_index(drop=True)


# --- curves --------------------------------------------------------------------------
def contamination_curve(df: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Test AUC per (configuration, contamination %, class), one-vs-rest rows of ``dataset``."""
    d = add_config(df)
    if d.empty:
        return d
    d = d[same_dataset(d, dataset) & (d["protocol"] == reference.ONE_VS_REST)]
    cols = ["config", "contamination", CLASS_COLUMN]
    return d.groupby(cols, as_index=False)["auc"].mean().sort_values(cols).reset_index(drop=True)


def epoch_curve(df: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Mean test AUC over classes per (autoencoder, loss, epoch), clean rows of ``dataset``."""
    d = _clean_autoencoders(df, dataset)
    if d.empty:
        return d
    out = d.groupby(["model", "loss", "config", "epoch"], as_index=False).agg(
        auc=("auc", "mean"), n_classes=(CLASS_COLUMN, "nunique"))
    return out.sort_values(["config", "epoch"]).reset_index(drop=True)


# --- measured vs literature ----------------------------------------------------------
def measured_rows(main: pd.DataFrame, dataset: str, baselines: pd.DataFrame | None = None,
                  selection: pd.DataFrame | None = None) -> pd.DataFrame:
    """This project's per-class rows, long form: method, protocol, selection, class, auc, std, n.

    From ``main`` (the autoencoder grid): the best of the grid per class (selected
    on test, optimistic), the best single configuration, and the per-class
    validation-selected configuration. From ``selection`` (multi-seed autoencoders)
    the validation-selected configuration with mean ± std over seeds. From
    ``baselines``: each (method, protocol), mean ± std over seeds.
    """
    parts = []
    best = best_per_class(main, dataset)
    if not best.empty:
        n = main.pipe(_clean_autoencoders, dataset)["config"].nunique()
        parts.append(best.assign(method=f"AE best of {n} per class (test-selected)",
                                 selection="per class on the test set (optimistic)"))
        single = best_single_config(main, dataset)
        d = _clean_autoencoders(main, dataset)
        d = d[d["config"] == single["config"]].groupby(CLASS_COLUMN, as_index=False)["auc"].mean()
        parts.append(d.rename(columns={CLASS_COLUMN: "class"}).assign(
            method=f"AE best single config ({single['config']})",
            selection="one config, best mean on the test set"))
        val = validation_selected(main, dataset)
        parts.append(val.assign(method="AE selected on validation",
                                selection="per class on validation AUC"))
    if selection is not None and not selection.empty:
        val = validation_selected(selection, dataset)
        if not val.empty:
            seeds, config = int(val["n"].max()), "; ".join(sorted(set(val["config"])))
            epoch = _clean_autoencoders(selection, dataset)["epoch"].max()
            parts.append(val.assign(
                method=f"AE selected on validation: {config}, epoch {epoch} ({seeds} seeds)",
                selection="one config per dataset on mean validation AUC; mean ± std over seeds"))
    for p in parts:
        p["protocol"] = reference.ONE_VS_REST
    if baselines is not None and not baselines.empty:
        b = baselines[same_dataset(baselines, dataset)]
        if not b.empty:
            g = add_config(b).groupby(["config", "protocol", CLASS_COLUMN]).agg(
                auc=("auc", "mean"), std=("auc", "std"), n=("seed", "nunique")).reset_index()
            parts.append(g.rename(columns={"config": "method", CLASS_COLUMN: "class"}).assign(
                selection="fixed settings"))
    if not parts:
        return pd.DataFrame(columns=["method", "protocol", "selection", "class", "auc", "std", "n"])
    out = pd.concat(parts, ignore_index=True)
    for col in ("std", "n"):
        if col not in out:
            out[col] = np.nan
    out["n"] = out["n"].fillna(1)
    return out[["method", "protocol", "selection", "class", "auc", "std", "n"]]


def selection_optimism(measured: pd.DataFrame) -> dict:
    """Mean AUC of the thesis-style pick (best autoencoder per class on the test set)
    and of the validation-selected multi-seed autoencoder, and their difference:
    how much test-set selection flatters the thesis's tables. Empty if either is missing."""
    means = measured.groupby("selection")["auc"].mean()
    test = [s for s in means.index if s.startswith("per class on the test set")]
    val = [s for s in means.index if s.startswith("one config per dataset")]
    if not test or not val:
        return {}
    t, v = float(means[test[0]]), float(means[val[0]])
    return {"test_selected_mean": t, "validation_selected_mean": v, "optimism": t - v}


def comparison_table(measured: pd.DataFrame, thesis_dataset: str | None, data_label: str,
                     class_names: Sequence[str], note: str = "") -> pd.DataFrame:
    """Measured rows (wide, one per method) above the literature rows, each with its
    protocol, data and source; mean over the classes present."""
    n = len(class_names)
    rows = []
    for (method, protocol, selection), part in measured.groupby(
            ["method", "protocol", "selection"], sort=False):
        aucs = part.set_index("class")["auc"].reindex(range(n))
        rows.append({"method": method, "protocol": protocol, "data": data_label,
                     **dict(zip(class_names, aucs)), "mean": aucs.mean(),
                     "source": f"measured here ({note})" if note else "measured here",
                     "selection": selection})
    table = pd.DataFrame(rows)
    if thesis_dataset in ("mnist", "cifar10"):
        lit = reference.wide(reference.reference_rows(thesis_dataset), thesis_dataset)
        lit.columns = ["method", "protocol", *class_names, "mean", "source", "secondary"]
        lit["data"] = reference.DATASET_LABELS[thesis_dataset]
        lit["source"] = [s + (f" ({sec})" if sec else "") for s, sec in
                         zip(lit["source"], lit["secondary"])]
        lit["selection"] = ""
        table = pd.concat([table, lit.drop(columns="secondary")], ignore_index=True)
    cols = ["method", "protocol", "data", *class_names, "mean", "classes", "selection", "source"]
    table = table.reindex(columns=cols)
    table["classes"] = table[list(class_names)].notna().sum(axis=1)
    return table


def per_class_long(table: pd.DataFrame, class_names: Sequence[str],
                   measured: pd.DataFrame | None = None,
                   protocols: Sequence[str] = (reference.ONE_VS_REST,)) -> pd.DataFrame:
    """Rows of ``table`` with per-class values, long form (method, class, auc, std), for a
    bar chart; only the given protocols; ``std`` from ``measured`` where there are seeds."""
    t = table[table["protocol"].isin(protocols)]
    long = t.melt(id_vars=["method"], value_vars=list(class_names), var_name="name",
                  value_name="auc").dropna(subset=["auc"])
    long["class"] = long["name"].map({c: i for i, c in enumerate(class_names)})
    long["std"] = np.nan
    if measured is not None and not measured.empty:
        same = measured[measured["protocol"].isin(protocols)]  # a method may run in both
        std = same.set_index(["method", "class"])["std"]
        long["std"] = [std.get((m, c), np.nan) for m, c in zip(long["method"], long["class"])]
    return long[["method", "class", "auc", "std"]]


# --- models and losses ---------------------------------------------------------------
def layer_table(model: str, shape: Sequence[int], hidden: Sequence[int] | None = None,
                latent_dim: int = 32) -> pd.DataFrame:
    """Layers of autoencoder ``model`` for images of ``shape``: output shape, size, parameters."""
    from .models import EnsembleConv2d, EnsembleLinear

    net = build_model(model, shape, [0], hidden, latent_dim).eval()
    rows = [{"layer": "input", "kind": "image", "output": "×".join(map(str, shape)),
             "size": math.prod(shape), "parameters": 0, "activation": ""}]
    hooks = []
    for name, mod in net.named_modules():
        if isinstance(mod, (EnsembleLinear, EnsembleConv2d)):
            def hook(m, _inp, out, name=name):
                dims = tuple(out.shape[2:]) if isinstance(m, EnsembleLinear) else tuple(out.shape[1:])
                kind = "dense" if isinstance(m, EnsembleLinear) else (
                    "transposed conv 3×3/2" if m.transpose else "conv 3×3/2")
                rows.append({"layer": name, "kind": kind, "output": "×".join(map(str, dims)),
                             "size": math.prod(dims),
                             "parameters": sum(p[0].numel() for p in m.parameters()),
                             "activation": "ReLU"})
            hooks.append(mod.register_forward_hook(hook))
    with torch.no_grad():
        net(torch.rand(1, 1, *shape))
    for h in hooks:
        h.remove()
    rows[-1]["activation"] = "sigmoid"
    for r in rows:
        if r["layer"] == "enc_fc":  # the conv autoencoder's latent code is linear
            r["activation"] = "linear"
        if r["layer"] == "head":
            r["output"] += " (μ, log σ²)"
            r["activation"] = "linear; z = μ + σ·ε"
    return pd.DataFrame(rows)


def perturbations(image: torch.Tensor, seed: int = 0) -> dict[str, torch.Tensor]:
    """Perturbed copies of one C×H×W float image in [0, 1] (for the loss demonstration)."""
    from torchvision.transforms.functional import gaussian_blur

    g = torch.Generator().manual_seed(seed)
    x = image.float()
    occluded = x.clone()
    h, w = x.shape[-2:]
    occluded[:, h // 2 - 4: h // 2 + 4, w // 2 - 4: w // 2 + 4] = 0.0
    return {
        "noise σ=0.1": (x + 0.1 * torch.randn(x.shape, generator=g)).clamp(0, 1),
        "blur σ=1": gaussian_blur(x[None], kernel_size=5, sigma=1.0)[0],
        "shift 2 px": torch.roll(x, shifts=(2, 2), dims=(-2, -1)),
        "brighter +0.2": (x + 0.2).clamp(0, 1),
        "occluded 8×8": occluded,
    }


def loss_table(image: torch.Tensor, perturbed: Mapping[str, torch.Tensor]) -> pd.DataFrame:
    """The five losses (as per-sample scores) between ``image`` and each perturbed copy."""
    from .losses import LOSSES, per_sample_loss

    x = image.float()[None]
    rows = {}
    for name, p in perturbed.items():
        r = p.float()[None].clamp(0, 1)
        rows[name] = {loss: float(per_sample_loss(loss, r, x)[0]) for loss in LOSSES}
    return pd.DataFrame.from_dict(rows, orient="index")


def reconstruction_examples(test_x: torch.Tensor, test_labels: torch.Tensor, normal_class: int,
                            n_normal: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_normal`` normal test images and one test image of each other class (uint8),
    the images :func:`aeutils.data.example_indices` picks (whose reconstructions the
    results store keeps at each run's last epoch)."""
    idx = example_indices(test_labels, normal_class, n_normal)
    n = int((test_labels[idx] == normal_class).sum())
    return test_x[idx[:n]], test_x[idx[n:]]


# --- profiles, numbers and exports ----------------------------------------------------
def block_names(profile: str) -> list[str]:
    """Names of the blocks of ``profile``."""
    from .grid import PROFILES

    return [b.name for b in PROFILES[profile]]


def block_records(store: ResultsStore, profile: str, datasets: Mapping[str, str],
                  name: str) -> pd.DataFrame | None:
    """Final-epoch records of the blocks ``name`` and ``name-…`` of ``profile`` (None if the
    profile has no such block); derived blocks are resolved against ``store``."""
    from .grid import block_group, profile_configs

    names = block_group(profile, name)
    if not names:
        return None
    return final_records(store, profile_configs(profile, datasets, blocks=names, store=store))


def profile_note(profile: str, block: str = "main") -> str:
    """E.g. ``quick profile: 10 epochs, 2000 training images per class``."""
    from .grid import ALL_AUTOENCODERS, ALL_CLASSES, ALL_LOSSES, profile_blocks

    b = profile_blocks(profile, [block])[0] if block in block_names(profile) else \
        profile_blocks(profile)[0]
    images = f"{b.max_train} training images per class" if b.max_train else "all training images"
    parts = [f"{profile} profile: {b.epochs} epochs", images]
    if b.max_test:
        parts.append(f"{b.max_test} test images")
    if tuple(b.classes) != ALL_CLASSES:
        parts.append("classes " + ", ".join(map(str, b.classes)))
    if block == "main" and tuple(b.losses) != ALL_LOSSES:
        parts.append("losses " + ", ".join(b.losses))
    if block == "main" and tuple(b.models) != ALL_AUTOENCODERS:
        parts.append("autoencoders " + ", ".join(b.models))
    if len(b.seeds) > 1:
        parts.append(f"{len(b.seeds)} seeds")
    return ", ".join(parts)


def _plain(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating, float)):
        return None if math.isnan(float(o)) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Mapping):
        return {str(k): _plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    return o


def write_numbers(numbers: Mapping, notebook: str, folder: str | os.PathLike) -> Path:
    """Write ``<folder>/<notebook>_numbers.json`` (key numbers a test can check)."""
    path = Path(folder) / f"{notebook}_numbers.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(_plain(numbers), indent=1, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path


def _tables_dir(folder: str | os.PathLike | None) -> Path:
    from .plots import figures_dir

    d = Path(folder) if folder is not None else figures_dir() / "tables"
    d.mkdir(parents=True, exist_ok=True)
    return d


def to_markdown(df: pd.DataFrame, name: str, folder: str | os.PathLike | None = None,
                caption: str = "", digits: int = 4) -> Path:
    """Write ``<figures>/tables/<name>.md`` (caption as a first paragraph); return its path."""
    path = _tables_dir(folder) / f"{name}.md"
    df = df.astype(object).where(df.notna(), None)  # NaN in text columns → empty cell
    text = df.to_markdown(index=False, floatfmt=f".{digits}f", missingval="")
    path.write_text((f"{caption}\n\n" if caption else "") + text + "\n")
    return path


def to_latex(df: pd.DataFrame, name: str, folder: str | os.PathLike | None = None,
             caption: str = "", digits: int = 4) -> Path:
    """Write ``<figures>/tables/<name>.tex`` (a ``table`` float with caption); return its path."""
    path = _tables_dir(folder) / f"{name}.tex"
    text = df.to_latex(index=False, float_format=f"%.{digits}f", na_rep="", escape=True,
                       caption=caption or None, label=f"tab:{name}")
    path.write_text(text)
    return path


def export_table(df: pd.DataFrame, name: str, folder: str | os.PathLike | None = None,
                 caption: str = "", digits: int = 4) -> list[Path]:
    """Both :func:`to_markdown` and :func:`to_latex`."""
    return [to_markdown(df, name, folder, caption, digits),
            to_latex(df, name, folder, caption, digits)]
