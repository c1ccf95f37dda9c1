"""The deck's appendix: the per-class tables beside the thesis, then every figure of the
folder the talk did not show, one per slide, for questions (see :mod:`aeutils.report.talk`)."""

from __future__ import annotations

import re

from .deck import Pictures, Slide, Table
from .numbers import EvaluationSet
from .talk import Source, config_words, f3, f4


def _cell(value: float | None) -> str:
    return "–" if value is None else f4(value)


def class_table(src: Source, key: str, d: EvaluationSet) -> Slide | None:
    """The best configuration per class, the thesis's beside this render's."""
    rows = [r for r in d.thesis_table if r.is_class or r.is_average]
    if not rows:
        return None
    body = tuple((r.class_.replace("AVG (best single config)", "best single"),
                  f"{r.thesis_model}/{r.thesis_loss}" if r.thesis_model else "–",
                  _cell(r.thesis_auc), f"{r.our_model}/{r.our_loss}" if r.our_model else "–",
                  _cell(r.our_auc), "–" if r.delta_auc is None else f"{r.delta_auc:+.4f}",
                  {True: "yes", False: "no"}.get(r.beyond_noise, "–")) for r in rows)
    table = Table(("class", "thesis", "AUC", "here", "AUC", "difference", "beyond seed noise"),
                  body, bold=frozenset((i, 4) for i in range(len(body))))
    above = sum(1 for r in rows if r.is_class and (r.delta_auc or 0) > 0)
    classes = sum(1 for r in rows if r.is_class)
    title = (f"{src.short(key)}, class by class: above the thesis on {above} of {classes} "
             f"classes, each class's best configuration picked on test")
    notes = (f"{d.label}, {src.settings}. 'beyond seed noise': the difference exceeds twice "
             f"the std of the class's AUC over seeds (its own re-runs where they exist, "
             f"otherwise the pooled std of the re-run configurations).")
    return Slide(title, notes, table, "Appendix")


def _caption_title(caption: str) -> str:
    """A manifest caption as a title: its settings parenthesis and final stop dropped."""
    text = re.sub(r" \([^()]*profile[^()]*\)", "", caption).strip().rstrip(".")
    return text[:1].upper() + text[1:]


def _roc_title(src: Source, key: str) -> str | None:
    d = src.ev(key)
    if not d or not d.best_per_class:
        return None
    ranked = sorted(d.best_per_class.items(), key=lambda kv: kv[1].auc)
    return (f"{src.short(key)}: the best configuration per class reaches AUC "
            f"{f3(ranked[0][1].auc)} ({src.class_name(key, ranked[0][0])}) to "
            f"{f3(ranked[-1][1].auc)} ({src.class_name(key, ranked[-1][0])}), picked on test")


def _histogram_title(src: Source, key: str) -> str | None:
    d = src.ev(key)
    if not d or not d.best_single_config or d.mean_auc_best_single is None:
        return None
    return (f"{src.short(key)}: test scores of normal and anomalous images under "
            f"{config_words(d.best_single_config)}, mean AUC {f3(d.mean_auc_best_single)}")


TITLES = {"04_roc_": _roc_title, "04_score_histograms_": _histogram_title}


def figure_slide(src: Source, name: str) -> Slide:
    """One figure of the appendix: a finding for a title where the numbers give one, else
    its caption; its caption and settings in the notes."""
    entry = src.manifest[name]
    title = None
    for prefix, make in TITLES.items():
        if name.startswith(prefix):
            title = make(src, name[len(prefix):])
    title = title or _caption_title(entry.get("caption", name))
    parts = (entry.get("caption", ""), entry.get("details", ""),
             f"Drawn by notebook {entry.get('notebook', '?')}")
    notes = " ".join(t.rstrip(".") + "." for t in parts if t)
    return Slide(title, notes, Pictures((src.folder / f"{name}.png",)), "Appendix")


def _order(src: Source, name: str) -> tuple[str, int, str]:
    """Figures by name with the dataset left out, then in the datasets' order (MNIST's
    figure before CIFAR-10's of the same kind)."""
    keys = src.keys()
    for i, key in enumerate(keys):
        if f"_{key}" in name:
            return name.replace(f"_{key}", ""), i, name
    return name, len(keys), name


def appendix(src: Source) -> list[Slide]:
    """The class tables, then every figure the main part did not show."""
    out = [s for k in src.keys() if (d := src.ev(k)) for s in [class_table(src, k, d)] if s]
    for name in sorted(src.manifest, key=lambda n: _order(src, n)):
        if name not in src.shown and (src.folder / f"{name}.png").exists():
            out.append(figure_slide(src, name))
    return out
