"""Honest model selection: one configuration per dataset, chosen without the test set.

The thesis picks, for every class, the best of its 15 autoencoder × loss
configurations by *test* AUC. That is optimistic. Here a configuration (model,
loss, sizes, learning rate *and* epoch, since every checkpoint is a candidate) is
chosen per dataset by a named strategy (:data:`STRATEGIES`), on one seed, and then
re-run over other seeds that took no part in choosing it, to report mean ± std of
the test AUC:

- ``label-free``: mean AUC of validation normals against synthetic anomalies made
  from them (:mod:`aeutils.synthetic`); no anomaly label is used;
- ``label-free-<kind>``: the same against one kind of synthetic anomaly only;
  :func:`proxy_study` measures each on a held-out dataset, and ``label-free-flip`` won
  there (reported beside ``label-free``, :data:`REPORTED`);
- ``labelled-validation``: mean AUC of validation normals against other classes'
  training images, i.e. labelled examples of the test's anomaly classes (what
  Deep SVDD, OCGAN and the thesis's setting do not have: semi-supervised);
- ``test``: the thesis's pick, for comparison only.

:func:`optimism` sets each pick beside the best the test set could pick among the
same candidates and seed. A strategy reads only the candidate fields and its own
column; it never sees a test metric unless it is ``test`` (tested by poisoning them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import RunConfig
from ..data.corruptions import KINDS
from ..data.datasets import dataset_identity
from ..registry import AUTOENCODERS, REPORTED_STRATEGIES, choice_error

CANDIDATE_FIELDS = ["dataset_id", "model", "loss", "score", "hidden", "latent_dim", "lr",
                    "batch_size", "max_train", "max_test", "protocol", "contamination",
                    "val_fraction", "precision", "epoch"]


@dataclass(frozen=True)
class Strategy:
    """How a configuration is chosen: the record column it maximises (mean over classes)
    and what that column has seen."""

    column: str
    anomaly_labels: bool  # labelled anomalies took part
    test_labels: bool     # the test set took part
    description: str


STRATEGIES: dict[str, Strategy] = {
    "label-free": Strategy(
        "synth_auc", False, False,
        "validation normals vs synthetic anomalies made from them (noise, blur, patch, mix, "
        "flip): no anomaly label"),
    "labelled-validation": Strategy(
        "val_auc", True, False,
        "validation normals vs other classes' training images: labelled examples of the "
        "test's anomaly classes, no test image"),
    "test": Strategy(
        "auc", True, True,
        "the best test AUC, as the thesis picks: reads test labels (optimistic)"),
}


# One label-free criterion per synthetic kind. Which kinds stand in for real anomalies is
# itself a choice; :func:`proxy_study` measures it on a dataset whose labels may be read.
STRATEGIES.update({f"label-free-{kind}": Strategy(
    f"synth_auc_{kind}", False, False,
    f"validation normals vs their {kind} copies only (aeutils.synthetic): no anomaly label")
    for kind in KINDS})
LABEL_FREE = ("label-free", *(f"label-free-{kind}" for kind in KINDS))
# What the profiles' selection blocks run and notebook 05 reports. ``label-free-flip`` won
# on a held-out dataset (Fashion-MNIST) by a rule fixed in advance: studies/proxy_study.py.
REPORTED = REPORTED_STRATEGIES


class CriterionMissing(ValueError):
    """The records do not hold the column a strategy selects on."""


def strategy(name: str) -> Strategy:
    if name not in STRATEGIES:
        raise choice_error("selection strategy", name, STRATEGIES)
    return STRATEGIES[name]


def _hashable(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in ("hidden",):
        if col in df:
            df[col] = df[col].apply(lambda v: tuple(v) if isinstance(v, (list, tuple)) else ())
    for col in ("max_train", "max_test", "score", "precision"):
        if col in df:
            df[col] = df[col].astype("object").where(df[col].notna(), None)
    return df


def _identities(frame: pd.DataFrame, keys: Sequence[str]) -> pd.Series:
    """One hashable identity per row from the candidate fields (NaN and None alike)."""
    def norm(v):
        if isinstance(v, float) and np.isnan(v):
            return None
        return tuple(v) if isinstance(v, (list, tuple)) else v

    return pd.Series([repr(tuple(norm(v) for v in row)) for row in frame[list(keys)].itertuples(
        index=False)], index=frame.index)


def candidates(df: pd.DataFrame, dataset: str | None, classes: Sequence[int] = tuple(range(10)),
               protocol: str = "one-vs-rest", seed: int = 0,
               by: str = "labelled-validation", identity: str | None = None) -> pd.DataFrame:
    """Mean of strategy ``by``'s column per candidate (config fields + epoch) over ``classes``.

    Only autoencoder rows of ``seed`` with all ``classes`` present count, of ``dataset``
    (or of the records' ``identity``, :func:`~aeutils.data.dataset_identity`, for a
    dataset not on this machine). The view holds the candidate fields and that one
    column, nothing else: a strategy that does not read test labels never sees a test
    metric (tested by poisoning them).
    """
    col = strategy(by).column
    if col not in df:
        raise CriterionMissing(
            f"strategy {by!r} reads {col!r}, which no record holds (a synthetic kind is "
            f"missing when the validation split has fewer images than there are kinds)")
    keep = [c for c in (*CANDIDATE_FIELDS, "normal_class", "seed", col) if c in df]
    view = _hashable(df[keep])
    identity = identity or dataset_identity(dataset)
    view = view[(view.dataset_id == identity) & (view.protocol == protocol)
                & (view.seed == seed) & (view.contamination == 0)
                & view.model.isin(AUTOENCODERS) & view.normal_class.isin(list(classes))]
    keys = [c for c in CANDIDATE_FIELDS if c in view]
    grouped = view.groupby(keys, dropna=False).agg(**{col: (col, "mean")},
                                                   n_classes=("normal_class", "nunique"))
    grouped = grouped[grouped.n_classes == len(classes)].reset_index()
    return grouped.sort_values(col, ascending=False, kind="stable").reset_index(drop=True)


def select(df: pd.DataFrame, dataset: str | None, classes: Sequence[int] = tuple(range(10)),
           protocol: str = "one-vs-rest", by: str = "labelled-validation",
           seed: int = 0, identity: str | None = None) -> dict:
    """The candidate with the best mean of strategy ``by``'s column (a dict of its fields)."""
    table = candidates(df, dataset, classes, protocol, seed, by, identity)
    if table.empty:
        raise ValueError(f"no complete autoencoder candidates for {dataset!r} in the results")
    return {k: None if isinstance(v, float) and np.isnan(v) else v
            for k, v in table.iloc[0].to_dict().items()}


def optimism(df: pd.DataFrame, dataset: str, classes: Sequence[int] = tuple(range(10)),
             protocol: str = "one-vs-rest", seed: int = 0,
             strategies: Sequence[str] = REPORTED) -> pd.DataFrame:
    """Each strategy's pick against the best the test set could pick, on equal terms:
    the same candidates (configurations × checkpoint epochs) and the same seed. Strategies
    whose column the records lack (stores older than a criterion) are left out.

    Per strategy: the pick, its mean test AUC, the best single candidate by test AUC
    (``best_single_on_test``) and the per-class best over the same candidates
    (``best_per_class_on_test``, the thesis's way), and the two gaps.
    """
    test = candidates(df, dataset, classes, protocol, seed, "test")
    if test.empty:
        return pd.DataFrame()
    keys = [c for c in CANDIDATE_FIELDS if c in test]
    ident = _identities(test, keys)
    rows = _hashable(df)
    rows = rows[(rows.dataset_id == dataset_identity(dataset)) & (rows.seed == seed)
                & rows.normal_class.isin(list(classes))]
    rows = rows[_identities(rows, keys).isin(set(ident))]  # only rows of complete candidates
    per_class = float(rows.groupby("normal_class")["auc"].max().mean())
    best_single = float(test["auc"].iloc[0])
    out = []
    for name in strategies:
        try:
            pick = select(df, dataset, classes, protocol, name, seed)
        except CriterionMissing:
            continue
        want = _identities(pd.DataFrame([pick]), keys).iloc[0]
        auc = float(test.loc[ident == want, "auc"].iloc[0])
        out.append({"strategy": name, "model": pick["model"], "loss": pick["loss"],
                    "epoch": int(pick["epoch"]), "criterion": float(pick[strategy(name).column]),
                    "test_auc": auc, "best_single_on_test": best_single,
                    "best_per_class_on_test": per_class, "gap_single": best_single - auc,
                    "gap_per_class": per_class - auc, "candidates": len(test), "seed": seed})
    return pd.DataFrame(out)


def proxy_study(df: pd.DataFrame, dataset: str, classes: Sequence[int] = tuple(range(10)),
                protocol: str = "one-vs-rest", seed: int = 0,
                strategies: Sequence[str] = LABEL_FREE) -> pd.DataFrame:
    """How well each label-free criterion stands in for the test AUC on ``dataset``.

    Per strategy: the Spearman correlation of its criterion with the test AUC over the
    candidates, and its pick's test AUC and gaps (:func:`optimism`). This reads test
    labels: run it on a dataset other than the ones the chosen criterion will select on.
    """
    test = candidates(df, dataset, classes, protocol, seed, "test")
    keys = [c for c in CANDIDATE_FIELDS if c in test]
    test_auc = pd.Series(test["auc"].to_numpy(), index=_identities(test, keys))
    table = optimism(df, dataset, classes, protocol, seed, strategies)
    usable = list(table.get("strategy", []))
    rho = []
    for name in usable:
        crit = candidates(df, dataset, classes, protocol, seed, name)
        values = pd.Series(crit[strategy(name).column].to_numpy(), index=_identities(crit, keys))
        aucs = test_auc.reindex(values.index)
        # A constant criterion (or test AUC) ranks nothing: no correlation, and no warning.
        varies = values.nunique() > 1 and aucs.nunique() > 1
        rho.append(float(values.corr(aucs, method="spearman")) if varies else float("nan"))
    return table.assign(spearman=rho)


def selected_configs(choice: dict, dataset: str, classes: Sequence[int] = tuple(range(10)),
                     seeds: Sequence[int] = (1, 2, 3)) -> list[RunConfig]:
    """The chosen candidate as configs over classes × seeds, trained to its chosen epoch
    and evaluated there only (so the search run of the same seed is reused as is)."""
    fields = {k: choice[k] for k in ("model", "loss", "latent_dim", "lr", "batch_size",
                                     "protocol", "contamination", "val_fraction")}
    for name in ("score", "precision"):  # precision: only in records of a non-default one
        if choice.get(name):
            fields[name] = choice[name]
    caps = {k: None if choice.get(k) is None else int(choice[k]) for k in ("max_train", "max_test")}
    epoch = int(choice["epoch"])
    return [RunConfig(dataset=dataset, **fields, hidden=tuple(choice["hidden"]), **caps,
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
