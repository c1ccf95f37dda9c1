"""Typed records of the numbers files (``<figures>/numbers/0N_<notebook>_numbers.json``).

The notebooks compute their numbers as dicts and write them with
:func:`aeutils.report.write_numbers`; the findings, the deck and the documents read them
back. Reading by string keys lets a renamed or missing key surface as a ``KeyError`` deep
in a sentence, or as no sentence at all; these frozen dataclasses name every field a
reader may use, and :meth:`Record.parse` checks a dict against them once, failing with
one line that names the file and the field (``…/04_evaluation_numbers.json: mnist.
thesis_table[3]: missing field 'class'``).

A field without a default is one the writing code always writes with its record; a field
with a default is written only by some profiles (a contamination block, a search with
score files), and its absence means "not measured here", never an error. Keys a record
does not name are ignored, so a numbers file may grow without breaking its readers.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T", bound="Record")

# Field metadata: the JSON key where it differs from the attribute, and the catch-all
# fields that gather the per-dataset entries (those with a "label") or every other object.
DATASETS = {"rest": "labelled"}
REST = {"rest": "any"}
FILE_FIELDS = ("profile", "settings")  # what every notebook's numbers file starts with


def _key(name: str) -> dict:
    return {"key": name}


class NumbersError(ValueError):
    """A numbers file or dict that lacks a field or holds a value of the wrong kind."""


def plain(o: Any) -> Any:
    """``o`` as JSON would give it back: numpy scalars as numbers, keys as strings, NaN as
    None; so a notebook's in-memory dict and its written file parse to the same record."""
    if isinstance(o, Mapping):
        return {str(k): plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [plain(v) for v in o]
    if hasattr(o, "tolist") and not isinstance(o, (str, bytes)):  # numpy scalar or array
        return plain(o.tolist())
    if isinstance(o, float) and math.isnan(o):
        return None
    return o


class Record:
    """Base of the typed records: :meth:`parse` builds one from a dict and checks it."""

    @classmethod
    def parse(cls: type[T], raw: Mapping, where: str = "numbers") -> T:
        """The record in ``raw`` (a numbers dict, or a part of one); ``where`` names it in
        errors (a file path, or a notebook)."""
        return _build(cls, plain(raw), Where(where))


@dataclass(frozen=True)
class Where:
    """Where a value sits: its file (or dict) and the path of keys down to it."""

    source: str
    path: str = ""

    def __truediv__(self, key: str) -> Where:
        sep = "" if key.startswith("[") or not self.path else "."
        return Where(self.source, f"{self.path}{sep}{key}")

    def __str__(self) -> str:
        return f"{self.source}: {self.path}" if self.path else self.source


def _build(cls: type, raw: Any, where: Where) -> Any:
    if not isinstance(raw, Mapping):
        raise NumbersError(f"{where}: expected an object, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    named, kwargs = set(), {}
    for f in dataclasses.fields(cls):
        if "rest" in f.metadata:
            continue
        name = f.metadata.get("key", f.name)
        named.add(name)
        if name in raw:
            kwargs[f.name] = _convert(hints[f.name], raw[name], where / name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise NumbersError(f"{where}: missing field '{name}'")
    for f in dataclasses.fields(cls):
        if "rest" in f.metadata:
            rest = {k: v for k, v in raw.items() if k not in named and isinstance(v, Mapping)
                    and (f.metadata["rest"] == "any" or "label" in v)}
            kwargs[f.name] = _convert(hints[f.name], rest, where)
    return cls(**kwargs)


def _convert(tp: Any, value: Any, where: Where) -> Any:
    """``value`` as type ``tp`` (records, dicts, tuples, unions with None, scalars)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _convert(next(a for a in args if a is not type(None)), value, where)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where)
    if origin is dict:
        if not isinstance(value, Mapping):
            raise NumbersError(f"{where}: expected an object, got {type(value).__name__}")
        return {_key_of(args[0], k, where / k): _convert(args[1], v, where / k)
                for k, v in value.items()}
    if origin is tuple:
        if not isinstance(value, list):
            raise NumbersError(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(_convert(args[0], v, where / f"[{i}]") for i, v in enumerate(value))
    return _scalar(tp, value, where)


def _key_of(tp: Any, key: str, where: Where) -> Any:
    """A dict key as JSON wrote it ("200", "10.0") as the record's key type."""
    if tp in (int, float):
        try:
            return int(float(key)) if tp is int else float(key)
        except ValueError:
            raise NumbersError(f"{where}: expected a number as key, got {key!r}") from None
    return _scalar(tp, key, where)


def _scalar(tp: Any, value: Any, where: Where) -> Any:
    if tp is Any:
        return value
    ok = {str: (str,), bool: (bool,), int: (int,), float: (int, float)}[tp]
    if not isinstance(value, ok) or (tp is not bool and isinstance(value, bool)):
        raise NumbersError(f"{where}: expected {tp.__name__}, got {value!r}")
    return tp(value)


# --- 01_data ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatasetSize(Record):
    """A dataset's size, image shape and training images per class."""

    label: str
    classes: tuple[str, ...]
    shape: tuple[int, ...]
    n_train: int
    n_test: int
    train_per_class: tuple[int, ...]


@dataclass(frozen=True)
class SplitSize(Record):
    """What the one-class split of one dataset holds."""

    n_train_normal: int
    n_contamination: int
    n_val: int
    n_test: int


@dataclass(frozen=True)
class Split(Record):
    """The split drawn in notebook 01: its normal class and contamination, per dataset."""

    normal_class: int
    contamination: float
    datasets: dict[str, SplitSize] = field(default_factory=dict, metadata=REST)


@dataclass(frozen=True)
class DataNumbers(Record):
    """``01_data``: dataset sizes and the example split."""

    profile: str = ""
    settings: str = ""
    split: Split | None = None
    datasets: dict[str, DatasetSize] = field(default_factory=dict, metadata=DATASETS)
    findings: tuple[str, ...] = ()


# --- 02_models ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelNumbers(Record):
    """``02_models``: parameters per autoencoder and input shape; each loss on perturbed
    copies of one image (dataset → perturbation → loss → value)."""

    profile: str = ""
    settings: str = ""
    parameters: dict[str, dict[str, int]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    losses: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    findings: tuple[str, ...] = ()


# --- 03_training ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainingSet(Record):
    """One dataset's training numbers: final losses, the configuration shown and its errors."""

    label: str
    final_train_loss: dict[str, float] = field(default_factory=dict)
    shown_config: str | None = None
    shown_val_auc: float | None = None
    shown_auc: float | None = None
    mean_error_normal: float | None = None
    mean_error_anomalous: float | None = None


@dataclass(frozen=True)
class TrainingNumbers(Record):
    """``03_training``."""

    profile: str = ""
    settings: str = ""
    normal_class: int = 0
    datasets: dict[str, TrainingSet] = field(default_factory=dict, metadata=DATASETS)
    findings: tuple[str, ...] = ()


# --- 04_evaluation --------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassBest(Record):
    """The best configuration of one normal class, picked on the test set."""

    config: str
    auc: float


@dataclass(frozen=True)
class ThesisRow(Record):
    """A row of the table beside the thesis: a class, its mean, or the AVG row."""

    class_: str = field(metadata=_key("class"))
    thesis_model: str | None = None
    thesis_loss: str | None = None
    thesis_auc: float | None = None
    our_model: str | None = None
    our_loss: str | None = None
    our_auc: float | None = None
    delta_auc: float | None = None
    thesis_accuracy: float | None = None
    our_accuracy: float | None = None
    delta_accuracy: float | None = None
    our_balanced_accuracy: float | None = None
    status: str = ""
    seed_mean_auc: float | None = None
    seeds: float | None = None
    seed_std: float | None = None
    noise_from: str = ""
    beyond_noise: bool | None = None

    @property
    def is_class(self) -> bool:
        """A per-class row (not the mean of the classes, nor the AVG row)."""
        return self.class_.split(" ")[0].isdigit()

    @property
    def is_mean(self) -> bool:
        """The mean of the measured per-class rows, computed here."""
        return self.class_.startswith("mean")

    @property
    def is_average(self) -> bool:
        """The thesis's AVG row: its best single configuration."""
        return self.class_.startswith("AVG")


@dataclass(frozen=True)
class Compute(Record):
    """What the stored runs cost (:func:`aeutils.report.compute_spent`)."""

    cpu_hours: float
    runs_estimated: int = 0
    estimated_cpu_hours: float = 0.0
    accelerator_runs: int = 0
    accelerator_train_hours: float = 0.0


@dataclass(frozen=True)
class BlockRuns(Record):
    """How many runs a block has, how many the store holds, and what they cost."""

    runs: int
    stored: int
    compute: Compute | None = None


@dataclass(frozen=True)
class Runs(BlockRuns):
    """How much of the profile the store holds, in all and per block (a run shared by two
    blocks counts in both)."""

    blocks: dict[str, BlockRuns] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationSet(Record):
    """One dataset of ``04_evaluation``: mean AUC per configuration, the best per class and
    the best single configuration beside the thesis, and the epoch and contamination curves
    (configuration → epoch or contamination % → mean AUC over classes)."""

    label: str
    mean_auc_per_config: dict[str, float] = field(default_factory=dict)
    mean_auc_best_per_class: float | None = None
    thesis_mean_auc_best_per_class: float | None = None
    measured_classes: int | None = None
    best_per_class: dict[str, ClassBest] = field(default_factory=dict)
    best_single_config: str | None = None
    mean_auc_best_single: float | None = None
    thesis_table: tuple[ThesisRow, ...] = ()
    auc_vs_contamination: dict[str, dict[float, float]] = field(default_factory=dict)
    auc_vs_epoch: dict[str, dict[int, float]] = field(default_factory=dict)

    @property
    def thesis_mean(self) -> ThesisRow | None:
        """The mean of the measured classes beside the thesis's, if the table has it."""
        return next((r for r in self.thesis_table if r.is_mean), None)

    @property
    def thesis_average(self) -> ThesisRow | None:
        """The thesis's AVG row beside ours, if the table has it."""
        return next((r for r in self.thesis_table if r.is_average), None)


@dataclass(frozen=True)
class EvaluationNumbers(Record):
    """``04_evaluation``."""

    profile: str = ""
    settings: str = ""
    blocks: tuple[str, ...] = ()
    runs: Runs | None = None
    datasets: dict[str, EvaluationSet] = field(default_factory=dict, metadata=DATASETS)
    findings: tuple[str, ...] = ()


# --- 05_comparison --------------------------------------------------------------------------
@dataclass(frozen=True)
class SeedSummary(Record):
    """A choice re-run on seeds: mean ± std over them of the class-mean test AUC."""

    seeds: tuple[int, ...]
    mean_auc: float
    std_auc: float | None
    classes: int
    even: bool


@dataclass(frozen=True)
class Selection(SeedSummary):
    """A selection strategy's pick (configuration and epoch) on seeds that did not choose it."""

    config: str
    epoch: int

    @property
    def complete(self) -> bool:
        """Every class ran on every seed, so the mean ± std is the number to quote."""
        return self.even and self.classes >= 10


@dataclass(frozen=True)
class Pick(Record):
    """A strategy's pick on the choosing seed against the best the test set could pick over
    the same candidates (configurations × checkpoint epochs)."""

    strategy: str
    model: str
    loss: str
    epoch: int
    test_auc: float
    best_single_on_test: float
    best_per_class_on_test: float
    gap_single: float
    gap_per_class: float
    candidates: int = 0
    seed: int = 0

    @property
    def config(self) -> str:
        return f"{self.model}/{self.loss}"


@dataclass(frozen=True)
class Ensemble(Record):
    """The ensemble of every configuration at one epoch: chosen by nothing."""

    strategy: str
    epoch: int
    auc: float
    members: int
    classes: int
    per_class: dict[int, float] = field(default_factory=dict)
    transductive: bool = False
    seed: int = 0


@dataclass(frozen=True)
class MeasuredRow:
    """A row measured here, from a ``mean_auc`` key ``"<method> [<protocol>]"``."""

    method: str
    protocol: str
    mean_auc: float
    settings: str = ""

    @property
    def autoencoder(self) -> bool:
        return self.method.startswith("AE")

    @property
    def kind(self) -> str:
        """The method without its configuration: the same row on every dataset."""
        name = re.sub(r": .*$", "", self.method)
        return re.sub(r" \((?:[a-z]+/[a-z+]+)\)$", "", name)


@dataclass(frozen=True)
class LossFall(Record):
    """A neural baseline's mean training loss at its first and last epoch, and the fraction
    it fell over the last ``tail_epochs`` (:func:`aeutils.report.comparison.loss_flatness`;
    None where it has no loss to fall from: too few epochs, or 0)."""

    epochs: int
    first: float
    last: float
    tail_epochs: int
    tail_drop: float | None


@dataclass(frozen=True)
class Replication(Record):
    """A method measured here beside its quoted row of the same protocol, over the classes
    both have (:func:`aeutils.report.comparison.replication_numbers`)."""

    method: str
    protocol: str
    classes: int
    measured_mean: float
    quoted_mean: float
    difference: float
    largest_difference: float


@dataclass(frozen=True)
class ComparisonSet(Record):
    """One dataset of ``05_comparison``: every measured row's mean AUC, the baselines' and
    the selections' seed summaries, each strategy's pick and the ensembles; the neural
    baselines' convergence (``method [protocol]`` → epoch → mean AUC, the loss's fall and
    the fewest classes a checkpoint's mean rests on); each method re-measured at a quoted
    row's protocol beside that row."""

    label: str
    mean_auc: dict[str, float] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    baselines: dict[str, SeedSummary] = field(default_factory=dict)
    optimism: tuple[Pick, ...] = ()
    selection: dict[str, Selection] = field(default_factory=dict)
    ensemble: tuple[Ensemble, ...] = ()
    baseline_auc_by_epoch: dict[str, dict[int, float]] = field(default_factory=dict)
    baseline_loss: dict[str, LossFall] = field(default_factory=dict)
    baseline_classes: dict[str, int] = field(default_factory=dict)
    replication: tuple[Replication, ...] = ()

    def rows(self) -> list[MeasuredRow]:
        """The measured rows, in the file's order."""
        out = []
        for key, value in self.mean_auc.items():
            method, _, protocol = key.rpartition(" [")
            out.append(MeasuredRow(method or key, protocol.rstrip("]"), value,
                                   self.settings.get(key, "")))
        return out

    def pick(self, strategy: str) -> Pick | None:
        return next((p for p in self.optimism if p.strategy == strategy), None)

    def ensemble_of(self, strategy: str = "ensemble-validation") -> Ensemble | None:
        """The ensemble at the last epoch it was reported at."""
        found = [e for e in self.ensemble if e.strategy == strategy]
        return max(found, key=lambda e: e.epoch) if found else None


@dataclass(frozen=True)
class ComparisonNumbers(Record):
    """``05_comparison``."""

    profile: str = ""
    settings: str = ""
    blocks: tuple[str, ...] = ()
    datasets: dict[str, ComparisonSet] = field(default_factory=dict, metadata=DATASETS)
    findings: tuple[str, ...] = ()


# --- 06_your_own_data -----------------------------------------------------------------------
@dataclass(frozen=True)
class FolderDetection(Record):
    """The detector on an image folder (``train/`` and ``new/``): its settings, threshold
    and flags; with ``new/normal/`` and ``new/anomaly/``, the AUC and the shares flagged."""

    source: str
    model: str
    loss: str
    epochs: int
    size: tuple[int, ...]
    mode: str
    n_train: int
    n_new: int
    threshold: float
    contamination: float
    n_flagged: int
    n_anomalies: int | None = None
    auc: float | None = None
    flagged_anomalies: float | None = None
    flagged_normals: float | None = None


@dataclass(frozen=True)
class OwnDataNumbers(Record):
    """``06_your_own_data``."""

    profile: str = ""
    settings: str = ""
    folder: FolderDetection | None = None
    findings: tuple[str, ...] = ()


# --- loaders ----------------------------------------------------------------------------------
RECORDS: dict[str, type[Record]] = {
    "01_data": DataNumbers, "02_models": ModelNumbers, "03_training": TrainingNumbers,
    "04_evaluation": EvaluationNumbers, "05_comparison": ComparisonNumbers,
    "06_your_own_data": OwnDataNumbers,
}


def numbers_path(folder: str | os.PathLike, notebook: str) -> Path:
    """``<folder>/numbers/<notebook>_numbers.json`` (``folder``: a rendered figure folder)."""
    return Path(folder) / "numbers" / f"{notebook}_numbers.json"


def _load(folder: str | os.PathLike, notebook: str) -> Any:
    path = numbers_path(folder, notebook)
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise NumbersError(f"{path}: not JSON ({exc})") from None
    for name in FILE_FIELDS:
        if name not in raw:
            raise NumbersError(f"{path}: missing field '{name}'")
    return RECORDS[notebook].parse(raw, str(path))


def load_data(folder: str | os.PathLike) -> DataNumbers:
    """``01_data`` of a figure folder (FileNotFoundError when it was not rendered)."""
    return _load(folder, "01_data")


def load_models(folder: str | os.PathLike) -> ModelNumbers:
    """``02_models`` of a figure folder."""
    return _load(folder, "02_models")


def load_training(folder: str | os.PathLike) -> TrainingNumbers:
    """``03_training`` of a figure folder."""
    return _load(folder, "03_training")


def load_evaluation(folder: str | os.PathLike) -> EvaluationNumbers:
    """``04_evaluation`` of a figure folder."""
    return _load(folder, "04_evaluation")


def load_comparison(folder: str | os.PathLike) -> ComparisonNumbers:
    """``05_comparison`` of a figure folder."""
    return _load(folder, "05_comparison")


def load_own_data(folder: str | os.PathLike) -> OwnDataNumbers:
    """``06_your_own_data`` of a figure folder."""
    return _load(folder, "06_your_own_data")
