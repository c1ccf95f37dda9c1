"""Honest model selection: one configuration per dataset, chosen without the test set.

The thesis picks, for every class, the best of its 15 autoencoder × loss
configurations by *test* AUC. That is optimistic. Here a configuration
(model, loss, sizes, learning rate *and* epoch, since every checkpoint is a
candidate) is chosen per dataset by its mean **validation** AUC over classes —
validation = held-out normal training images plus other-class training images
as anomalies — and then re-run over several seeds to report mean ± std of the
test AUC. :func:`thesis_style_best` computes the optimistic table for
comparison; the difference of the two means is the optimism of test selection.

Selection reads only the columns in :data:`SELECTION_COLUMNS`; it never sees a
test metric (tested by poisoning them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .config import RunConfig
from .data import dataset_identity

CANDIDATE_FIELDS = ["dataset", "model", "loss", "hidden", "latent_dim", "lr", "batch_size",
                    "max_train", "max_test", "protocol", "contamination", "val_fraction", "epoch"]
SELECTION_COLUMNS = [*CANDIDATE_FIELDS, "dataset_id", "normal_class", "seed", "val_auc"]


def _hashable(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in ("hidden",):
        if col in df:
            df[col] = df[col].apply(lambda v: tuple(v) if isinstance(v, (list, tuple)) else ())
    for col in ("max_train", "max_test"):
        if col in df:
            df[col] = df[col].astype("object").where(df[col].notna(), None)
    return df


def candidates(df: pd.DataFrame, dataset: str, classes: Sequence[int] = tuple(range(10)),
               protocol: str = "one-vs-rest", seed: int = 0) -> pd.DataFrame:
    """Mean validation AUC per candidate (config fields + epoch) over ``classes``.

    Only autoencoder rows with all ``classes`` present count; reads no test metric.
    """
    from .methods import AUTOENCODERS

    view = _hashable(df[[c for c in SELECTION_COLUMNS if c in df]])
    view = view[(view.dataset_id == dataset_identity(dataset)) & (view.protocol == protocol)
                & (view.seed == seed)
                & (view.contamination == 0) & view.model.isin(AUTOENCODERS)
                & view.normal_class.isin(list(classes))]
    keys = [c for c in CANDIDATE_FIELDS if c in view]
    grouped = view.groupby(keys, dropna=False).agg(val_auc=("val_auc", "mean"),
                                                   n_classes=("normal_class", "nunique"))
    grouped = grouped[grouped.n_classes == len(classes)].reset_index()
    return grouped.sort_values("val_auc", ascending=False, kind="stable").reset_index(drop=True)


def select(df: pd.DataFrame, dataset: str, classes: Sequence[int] = tuple(range(10)),
           protocol: str = "one-vs-rest") -> dict:
    """The candidate with the best mean validation AUC (a dict of its fields)."""
    table = candidates(df, dataset, classes, protocol)
    if table.empty:
        raise ValueError(f"no complete autoencoder candidates for {dataset!r} in the results")
    return {k: None if isinstance(v, float) and np.isnan(v) else v
            for k, v in table.iloc[0].to_dict().items()}


def selected_configs(choice: dict, classes: Sequence[int] = tuple(range(10)),
                     seeds: Sequence[int] = (0, 1, 2)) -> list[RunConfig]:
    """The chosen candidate as configs over classes × seeds, trained to its chosen epoch
    and evaluated there only (so the search run of the same seed is reused as is)."""
    fields = {k: choice[k] for k in ("dataset", "model", "loss", "latent_dim", "lr",
                                     "batch_size", "protocol", "contamination", "val_fraction")}
    caps = {k: None if choice.get(k) is None else int(choice[k]) for k in ("max_train", "max_test")}
    epoch = int(choice["epoch"])
    return [RunConfig(**fields, hidden=tuple(choice["hidden"]), **caps,
                      epochs=epoch, checkpoints=(epoch,), normal_class=c, seed=s)
            for c in classes for s in seeds]


def seed_summary(records: Sequence[dict]) -> pd.DataFrame:
    """Per class mean ± std of test AUC over seeds, plus an "all" row (mean over
    classes of the per-seed means; std over seeds of the class-mean)."""
    df = pd.DataFrame(records)
    per = df.groupby("normal_class")["auc"].agg(["mean", "std", "count"]).reset_index()
    by_seed = df.groupby("seed")["auc"].mean()
    total = pd.DataFrame([{"normal_class": "all", "mean": by_seed.mean(), "std": by_seed.std(),
                           "count": len(by_seed)}])
    return pd.concat([per, total], ignore_index=True)


def thesis_style_best(df: pd.DataFrame, configs: Sequence[RunConfig]) -> pd.DataFrame:
    """Per class, the config among ``configs`` with the best **test** AUC at its last
    epoch: the thesis's optimistic best-of-15 pick (pass the 15 model × loss configs)."""
    wanted = {(c.key(), c.epochs) for c in configs}
    d = df[[(k, int(e)) in wanted for k, e in zip(df["key"], df["epoch"])]]
    best = d.sort_values("auc", ascending=False, kind="stable").groupby("normal_class").head(1)
    return best.sort_values("normal_class")[["normal_class", "model", "loss", "epoch", "auc",
                                             "oracle_accuracy", "accuracy"]].reset_index(drop=True)
