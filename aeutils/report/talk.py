"""The talk: what each slide of the deck says, generated from a rendered figure folder.

The story is the thesis's question taken to its answer: the question, data and protocol,
the three autoencoders and five losses, how the score works, the results beside the
thesis, where they fail, training length, contamination, the choice without anomaly
labels, other methods (measured first, quoted after), the limits, three conclusions and
how to reproduce them. Every title is a finding written from the numbers files
(:mod:`aeutils.report.numbers`), so a re-run that changes a number changes the sentence;
the speaker notes add what the slide does not show (settings, how a number was made, the
caveat). A figure the folder lacks is replaced by its named alternative or by a table or
points built from the same numbers, so a partial render still gives the whole talk.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import numbers as nums
from . import reference
from .deck import PicturePoints, Pictures, Points, Slide

MODEL_WORDS = {"basic": "the basic autoencoder", "conv": "the convolutional autoencoder",
               "vae": "the VAE"}
MODEL_KINDS = {"basic": "fully connected", "conv": "convolutional", "vae": "variational"}
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten")


def count(n: int) -> str:
    """A small count in words ("five"), a larger one in digits."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"


def f3(x: float) -> str:
    return f"{x:.3f}"


def f4(x: float) -> str:
    return f"{x:.4f}"


def classes_note(classes: int) -> str:
    """" (7 classes)" for a mean over fewer than all ten classes, else nothing."""
    return "" if classes >= 10 else f" ({classes} class{'' if classes == 1 else 'es'})"


def config_words(config: str) -> str:
    """``vae/mse`` → "the VAE with MSE" (a baseline's name as it is)."""
    model, _, loss = config.partition("/")
    return f"{MODEL_WORDS.get(model, model)} with {loss.upper()}" if loss else model


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def and_join(items: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _maybe(loader: Callable, folder: Path):
    try:
        return loader(folder)
    except FileNotFoundError:
        return None


@dataclass
class Source:
    """What the talk is made of: a figure folder's manifest, PNGs and numbers records;
    ``shown`` collects the figures the main part used (the appendix shows the rest)."""

    folder: Path
    profile: str
    manifest: dict[str, dict]
    data: nums.DataNumbers | None = None
    models: nums.ModelNumbers | None = None
    training: nums.TrainingNumbers | None = None
    evaluation: nums.EvaluationNumbers | None = None
    comparison: nums.ComparisonNumbers | None = None
    shown: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, folder: str | os.PathLike, profile: str) -> Source:
        """The folder's manifest and every numbers file it has (a malformed one raises
        :class:`aeutils.report.numbers.NumbersError`)."""
        folder = Path(folder)
        path = folder / "MANIFEST.json"
        manifest = ({e["name"]: e for e in json.loads(path.read_text())["figures"]}
                    if path.exists() else {})
        return cls(folder, profile, manifest, _maybe(nums.load_data, folder),
                   _maybe(nums.load_models, folder), _maybe(nums.load_training, folder),
                   _maybe(nums.load_evaluation, folder), _maybe(nums.load_comparison, folder))

    @property
    def settings(self) -> str:
        for record in (self.evaluation, self.data, self.comparison):
            if record is not None and record.settings:
                return record.settings
        return f"{self.profile} profile"

    def figure(self, *names: str) -> Path | None:
        """The first of ``names`` the folder has (its PNG on disk), marked as shown."""
        for name in names:
            png = self.folder / f"{name}.png"
            if name in self.manifest and png.exists():
                if name not in self.shown:
                    self.shown.append(name)
                return png
        return None

    def keys(self) -> list[str]:
        """The datasets measured, in the numbers' order."""
        for record in (self.evaluation, self.data, self.comparison):
            if record is not None and record.datasets:
                return list(record.datasets)
        return []

    def short(self, key: str) -> str:
        """The dataset's name for a title ("CIFAR-10"; the full label is in the notes)."""
        return reference.DATASET_LABELS.get(key) or self.label(key)

    def label(self, key: str) -> str:
        for record in (self.evaluation, self.data, self.comparison):
            if record is not None and key in record.datasets:
                return record.datasets[key].label
        return key

    def ev(self, key: str) -> nums.EvaluationSet | None:
        return self.evaluation.datasets.get(key) if self.evaluation else None

    def cmp(self, key: str) -> nums.ComparisonSet | None:
        return self.comparison.datasets.get(key) if self.comparison else None

    def scored(self) -> list[tuple[str, nums.EvaluationSet]]:
        """Datasets with a best single configuration, best first."""
        out = [(k, d) for k in self.keys() if (d := self.ev(k)) and d.mean_auc_best_single]
        return sorted(out, key=lambda kd: -kd[1].mean_auc_best_single)

    def grid(self) -> tuple[list[str], list[str]]:
        """The autoencoders and losses of the grid evaluated (notebook 04), in order; those
        the models notebook describes where no grid was evaluated."""
        configs = [c for _, d in self.scored() for c in d.mean_auc_per_config]
        if not configs:
            return list(self.models.parameters) if self.models else [], self.loss_names()
        models = dict.fromkeys(c.split("/")[0] for c in configs)
        losses = dict.fromkeys(c.partition("/")[2] for c in configs)
        return list(models), list(losses)

    def loss_names(self) -> list[str]:
        """The losses the models notebook scored (those of the grid)."""
        tables = self.models.losses if self.models else {}
        first = next(iter(tables.values()), {})
        return list(next(iter(first.values()), {}))

    def class_name(self, key: str, index: int | str) -> str:
        """"class 8", "class airplane": a class of a dataset by its index."""
        d = self.data.datasets.get(key) if self.data else None
        i = int(index)
        return f"class {d.classes[i] if d and i < len(d.classes) else index}"

    def missing(self, what: str) -> Slide:
        """The slide a part of the story gets when the profile did not measure it."""
        return Slide(f"The {self.profile} profile does not measure {what}",
                     f"Nothing in the numbers files of this render measures {what}; a profile "
                     f"that runs it (thesis, compare) fills this slide.", None)


# --- the question, data, models -------------------------------------------------------------
def question(src: Source) -> Slide:
    """The thesis's claim, which the talk tests, beside example images."""
    theses = [(k, d) for k in src.keys()
              if (d := src.ev(k)) and d.thesis_mean_auc_best_per_class is not None]
    claim = and_join([f"{f4(d.thesis_mean_auc_best_per_class)} on {src.short(k)}"
                      + _of_classes(src, k, d) for k, d in theses])
    title = ("Can an autoencoder trained on normal images alone spot the anomalies? "
             + (f"The thesis reports mean AUC {claim}" if theses else "One class at a time"))
    figures, captions = [], []
    for key in src.keys():
        png = src.figure(f"01_examples_{key}")
        d = src.data.datasets.get(key) if src.data else None
        if png:
            figures.append(png)
            captions.append(f"{d.label}: {len(d.classes)} classes, {d.n_train:,} training "
                            f"images" if d else src.label(key))
    notes = ("The thesis trains an autoencoder on images of one class and scores every test "
             "image by how badly it is reconstructed. ROC AUC: the chance that a random "
             "anomaly scores above a random normal image (0.5 is chance, 1.0 perfect). The "
             "thesis's numbers are the means of its per-class rows, each class's best of 15 "
             "configurations picked on the test set.")
    body = Pictures(tuple(figures), tuple(captions)) if figures else None
    return Slide(title, notes, body, "The question")


def _of_classes(src: Source, key: str, d: nums.EvaluationSet) -> str:
    """" (its classes measured here: 2 of 10)" where a profile runs only some classes."""
    total = len(src.data.datasets[key].classes) if src.data and key in src.data.datasets else 0
    n = d.measured_classes
    return f" (over the {n} of its {total} classes run here)" if n and total and n < total else ""


def protocol(src: Source) -> Slide:
    """One class normal, the rest anomalies; train, validate, test."""
    if src.data is None or not src.data.datasets:
        return src.missing("the datasets")
    sets = src.data.datasets
    problems = sum(len(d.classes) for d in sets.values())
    first = next(iter(sets.values()))
    tests = and_join(sorted({f"{d.n_test:,}" for d in sets.values()}))
    title = (f"One class is normal, the other {count(len(first.classes) - 1)} are anomalies: "
             f"{problems} one-class problems, each scored by ROC AUC on all {tests} "
             f"test images")
    points, split = [], src.data.split
    parts = [(src.short(k), s, d.classes[split.normal_class]) for k, d in sets.items()
             if split and (s := split.datasets.get(k))]
    if parts:
        points.append("Train on the normal class only: " + and_join(
            [f"{s.n_train_normal:,} {name} images of class {c}" for name, s, c in parts]))
        points.append("Validate on held-out images: " + and_join(
            [f"{s.n_val:,} ({name})" for name, s, _ in parts]))
    share = 1 - first.train_per_class[0] / sum(first.train_per_class)
    points.append(f"Test on the whole test set, about {share:.0%} anomalies: accuracy would "
                  f"flatter, AUC needs no threshold")
    points.append("Score: the image's own training loss")
    notes = (f"Settings: {src.settings}. The split shown is drawn with "
             f"{split.contamination:g} % contamination (anomalies among the training images, "
             f"as a share of the normal count) to show where they would go; the grid trains "
             f"on the normal class alone and the contamination study adds them. Validation "
             f"images are held out of training; the test set is never used to train or "
             f"choose, except in the rows marked as picked on test.") if split else \
        f"Settings: {src.settings}."
    png = src.figure(*(f"01_split_{k}" for k in src.keys()))
    body = PicturePoints(png, tuple(points)) if png else Points(tuple(points))
    return Slide(title, notes, body, "Data and protocol")


def _parameters(src: Source) -> dict[str, dict[str, int]]:
    return src.models.parameters if src.models else {}


def autoencoders(src: Source) -> Slide:
    """The networks of the grid, their sizes, and the configurations they make with the
    losses."""
    params = _parameters(src)
    models, losses = src.grid()
    counts = [n for m in models for n in params.get(m, {}).values()]
    sizes = (f", {min(counts) / 1e6:.2f} to {max(counts) / 1e6:.2f} million parameters"
             if counts else "")
    title = (f"{capital(count(len(models)))} autoencoders × {count(len(losses))} losses: "
             f"{len(models) * len(losses)} configurations trained for every normal class{sizes}")
    figures, captions = [], []
    for model in models or ("basic", "conv", "vae"):
        png = src.figure(f"02_diagram_{model}")
        if png:
            figures.append(png)
            shapes = params.get(model, {})
            captions.append(f"{model}, {MODEL_KINDS.get(model, 'autoencoder')}\n" + ", ".join(
                f"{n:,} on {shape.split('(')[-1].rstrip(')')}" for shape, n in shapes.items()))
    notes = ("basic: fully connected encoder and decoder. conv: convolutional encoder and "
             "transposed-convolution decoder. VAE: a variational autoencoder, its encoder "
             "predicting a mean and a log-variance, trained with the reparameterisation "
             "trick. Each is trained with each of the losses; the trained loss is also the "
             f"anomaly score. Settings: {src.settings}. "
             + " ".join(s for s in _findings("02_models", src.models) if "parameters" in s))
    body = Pictures(tuple(figures), tuple(captions)) if figures else None
    return Slide(title, notes, body, "Models")


def _loss_clauses(table: dict[str, dict[str, float]]) -> list[str]:
    from .findings import worst_perturbations

    worst = worst_perturbations(table)
    return [f"{loss.upper()} rates '{most}' worst" for loss, (most, _) in worst.items()
            if "+" not in loss]


def _loss_points(table: dict[str, dict[str, float]]) -> list[str]:
    """Per single loss: its score of the change it punishes most and of the mildest."""
    from .findings import worst_perturbations

    return [f"{loss.upper()}: {table[most][loss]:.3f} for '{most}', {table[least][loss]:.3f} "
            f"for '{least}'" for loss, (most, least) in worst_perturbations(table).items()
            if "+" not in loss]


def losses(src: Source) -> Slide:
    """Which change of an image each loss punishes most: where they disagree, the loss
    decides which anomalies score high."""
    from .findings import worst_perturbations

    tables = src.models.losses if src.models else {}
    if not tables:
        return src.missing("the losses")
    split = {k: len({m for m, _ in worst_perturbations(t).values()}) > 1
             for k, t in tables.items()}
    key = next((k for k, v in split.items() if v), next(iter(tables)))
    clauses = _loss_clauses(tables[key])
    title = (f"The losses disagree on what a large change is: on {src.short(key)}, "
             + and_join(clauses) if split[key] else
             f"On {src.short(key)} every loss rates the same change worst: " + clauses[0])
    points = _loss_points(tables[key])
    points.append("MSE+SSIM and BCE+SSIM add the two terms")
    notes = ("One test image, perturbed six ways (noise, blur, a 2-pixel shift, brightness, "
             "an 8×8 occlusion) and scored by each loss against the original. "
             + " ".join(s for s in _findings("02_models", src.models) if "hurt most" in s))
    png = src.figure(f"02_losses_{key}")
    body = PicturePoints(png, tuple(points)) if png else Points(tuple(points))
    return Slide(title, notes, body, "Models")


def _findings(notebook: str, record) -> list[str]:
    from .findings import findings

    return findings(record, notebook) if record is not None else []


def score(src: Source) -> Slide:
    """The reconstruction error as the score: normal images reconstruct well, anomalies not."""
    sets = src.training.datasets if src.training else {}
    ratios = [(k, d.mean_error_anomalous / d.mean_error_normal) for k, d in sets.items()
              if d.mean_error_normal and d.mean_error_anomalous is not None]
    if not ratios:
        return src.missing("reconstruction errors")
    title = ("The score is the reconstruction error: anomalous test images reconstruct "
             + f"{ratios[0][1]:.1f}× worse than normal ones on {src.short(ratios[0][0])}"
             + "".join(f", {r:.1f}× on {src.short(k)}" for k, r in ratios[1:]))
    figures, captions = [], []
    for key, d in sets.items():
        png = src.figure(f"03_error_maps_{key}", f"03_reconstructions_{key}")
        if png:
            figures.append(png)
            captions.append(f"{src.short(key)}: {d.shown_config}, normal "
                            f"{src.class_name(key, src.training.normal_class)}, test AUC "
                            f"{f3(d.shown_auc)}"
                            if d.shown_config and d.shown_auc is not None else src.short(key))
    notes = ("The configuration shown per dataset is the one with the best validation AUC "
             "for that normal class; the ratio is the mean squared error of the anomalous "
             "images shown over that of the normal ones. "
             + " ".join(_findings("03_training", src.training)))
    body = Pictures(tuple(figures), tuple(captions)) if figures else None
    return Slide(title, notes, body, "How it scores")


MAIN_OPENING = (question, protocol, autoencoders, losses, score)
