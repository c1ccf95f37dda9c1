"""A label-free ensemble of a whole search: no configuration is chosen at all.

Label-free selection (:mod:`aeutils.selection`) picks one autoencoder configuration on
synthetic anomalies and pays for the choice when the proxy ranks configurations
differently from the test set. The outlier-detection literature argues for not choosing
(Ding, Zhao & Akoglu, NeurIPS 2022, "Hyperparameter sensitivity in deep outlier
detection": ROBOD averages the members of a hyperparameter grid). Here every
configuration of a search at one epoch is a member; each member's test scores are put on
a common scale using only its own validation normals, and the ensemble's score is the
mean over members. No anomaly label and no test label takes part; the epoch is fixed in
advance (the search's last, or an early one named before any number is seen).

Members' scores come from the score files the grid keeps (``--keep-scores``), so the
ensemble costs no training: it reads the records and score files of a results store.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from ..data.datasets import dataset_identity
from ..registry import AUTOENCODERS, choice_error
from .store import ResultsStore

NORMALISATIONS: dict[str, str] = {
    "validation": "each member's test scores minus the mean score of its validation normals, "
                  "divided by the distance from that mean to their 95th percentile: reads only "
                  "validation normals",
    "rank": "each member's test scores replaced by their rank among the (unlabelled) test "
            "scores: no label, but it reads the test images' scores together (transductive)",
}


def _members(df: pd.DataFrame, dataset: str, normal_class: int, epoch: int,
             protocol: str = "one-vs-rest", seed: int = 0) -> pd.DataFrame:
    """The autoencoder records of one class at ``epoch``: one per configuration."""
    rows = df[(df.dataset_id == dataset_identity(dataset)) & (df.protocol == protocol)
              & (df.seed == seed) & (df.contamination == 0) & (df.epoch == epoch)
              & df.model.isin(AUTOENCODERS) & (df.normal_class == normal_class)]
    return rows.drop_duplicates("key")


def normalise(scores: np.ndarray, record: dict | pd.Series, how: str = "validation") -> np.ndarray:
    """A member's test scores on the ensemble's common scale (see :data:`NORMALISATIONS`)."""
    s = np.asarray(scores, dtype=np.float64)
    if how == "validation":
        centre = float(record["val_normal_score"])
        spread = float(record["threshold"]) - centre
        return (s - centre) / (spread if spread > 0 else 1.0)
    if how == "rank":
        return pd.Series(s).rank().to_numpy() / len(s)
    raise choice_error("ensemble normalisation", how, NORMALISATIONS)


def ensemble_class(store: ResultsStore, members: pd.DataFrame, epoch: int,
                   how: str = "validation") -> dict:
    """The ensemble's test AUC on one class from its members' stored scores."""
    total, labels = None, None
    for _, rec in members.iterrows():
        z = store.load_scores(rec["key"], epoch)
        if labels is None:
            labels = z["labels"]
        elif not np.array_equal(labels, z["labels"]):
            raise ValueError(f"member {rec['key']} was scored on another test set")
        part = normalise(z["scores"], rec, how)
        total = part if total is None else total + part
    return {"auc": float(roc_auc_score(labels, total / len(members))), "members": len(members)}


def ensemble_aucs(store: ResultsStore, dataset: str, epoch: int,
                  classes: Sequence[int] = tuple(range(10)), protocol: str = "one-vs-rest",
                  seed: int = 0, how: str = "validation") -> pd.DataFrame:
    """Per class, the ensemble of every configuration stored at ``epoch`` (and its size).

    Classes whose members lack a score file are left out, so a caller can tell a
    partial ensemble from a complete one by the rows it gets."""
    df = store.table()
    out = []
    for cls in classes:
        members = _members(df, dataset, cls, epoch, protocol, seed)
        if members.empty:
            continue
        try:
            row = ensemble_class(store, members, epoch, how)
        except FileNotFoundError:
            continue
        out.append({"normal_class": cls, "epoch": epoch, "normalisation": how, **row})
    return pd.DataFrame(out)


def ensemble_summary(store: ResultsStore, dataset: str, epochs: Sequence[int],
                     classes: Sequence[int] = tuple(range(10)), protocol: str = "one-vs-rest",
                     seed: int = 0) -> list[dict]:
    """One row per (epoch, normalisation): mean AUC over classes, members per class, and
    how many classes the ensemble covers (rows of missing score files are left out)."""
    rows = []
    for epoch in epochs:
        for how in NORMALISATIONS:
            per = ensemble_aucs(store, dataset, epoch, classes, protocol, seed, how)
            if per.empty:
                continue
            rows.append({"strategy": f"ensemble-{how}", "epoch": int(epoch),
                         "auc": float(per["auc"].mean()),
                         "members": int(per["members"].min()), "classes": len(per),
                         "per_class": {int(c): float(a) for c, a in
                                       zip(per["normal_class"], per["auc"])},
                         "anomaly_labels": False, "test_labels": False,
                         "transductive": how == "rank", "seed": seed})
    return rows


def ensemble_epochs(epochs: int, checkpoints: Sequence[int]) -> list[int]:
    """The epochs an ensemble is reported at, fixed before any number is seen: the search's
    last epoch, and its first checkpoint at or after a tenth of the training (20 of 200)."""
    early = min((e for e in checkpoints if e >= epochs / 10 and e < epochs), default=None)
    return [epochs] if early is None else [early, epochs]


def search_epochs(profile: str, source: str = "main") -> dict[str, list[int]]:
    """Per logical dataset of ``profile``'s search blocks (``source`` and ``source-…``), the
    epochs its ensemble is reported at: :func:`ensemble_epochs` of each of its blocks."""
    from .grid import block_group, profile_blocks

    out: dict[str, set[int]] = {}
    for b in profile_blocks(profile, block_group(profile, source)):
        for ds in b.datasets:
            out.setdefault(ds, set()).update(ensemble_epochs(b.epochs, b.checkpoints))
    return {ds: sorted(epochs) for ds, epochs in out.items()}


def profile_ensembles(store: ResultsStore, profile: str, datasets: dict[str, str],
                      source: str = "main") -> dict[str, list[dict]]:
    """Per logical dataset, :func:`ensemble_summary` of ``profile``'s search blocks
    (``source`` and ``source-…``) at :func:`search_epochs`; datasets without stored score
    files get an empty list."""
    epochs = search_epochs(profile, source)
    return {key: ensemble_summary(store, name, epochs[key]) if key in epochs else []
            for key, name in datasets.items()}
