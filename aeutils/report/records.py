"""Records of a results store as tidy tables: final and checkpoint rows, config names."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..config import RunConfig
from ..data.datasets import dataset_identity
from ..detectors.networks import MODELS
from ..experiments.store import ResultsStore
from . import reference

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
    from ..detectors.losses import LOSSES

    def rank(c: str) -> tuple:
        m, _, loss = c.partition("/")
        return (list(MODELS).index(m) if m in MODELS else 99,
                list(LOSSES).index(loss) if loss in LOSSES else 99, c)

    return sorted(set(configs), key=rank)
