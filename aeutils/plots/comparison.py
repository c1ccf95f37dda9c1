"""Figures of notebook 05: what is measured here, what is quoted from papers, per class,
without labels, and whether the neural baselines had trained enough.

Measured and quoted rows never share a ranking: the one figure that draws both
(:func:`replication`) sets each method measured here beside its own quoted row of the same
protocol, class by class.
Footnote marks ([a], [b], … for how a measured row's runs were made; [1], [2], … for a
quoted row's source) are keyed inside the image, under the plot.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker

from .style import (
    MIN_PT,
    SLIDE,
    _fig_titled,
    chance_line,
    color_of,
    footnote_key,
    footnoted,
)

MARKERS = ("o", "s", "^", "v", "P", "X", "*", "h", "D", "p")
DECIMALS = 3


def _marked(frame: pd.DataFrame, settings: Mapping[tuple[str, str], str] | None
            ) -> tuple[pd.DataFrame, str]:
    """``frame`` with each measured ``method`` footnote-marked by its (method, protocol)
    settings, and the footnote (both unchanged without ``settings``)."""
    if not settings or "protocol" not in frame:
        return frame, ""
    keys = list(dict.fromkeys(zip(frame["method"], frame["protocol"])))
    marked, foot = footnoted([m for m, _ in keys], [settings.get(k, "") for k in keys])
    names = dict(zip(keys, marked))
    return frame.assign(method=[names[k] for k in zip(frame["method"], frame["protocol"])]), foot


def _method_styles(methods: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Each method's (colour, marker): the colour is its family's
    (:func:`aeutils.plots.style.color_of`, so every autoencoder row is the autoencoder
    blue), the marker tells methods of one family apart; a method keeps its marker in
    every protocol (footnote marks aside)."""
    out: dict[str, tuple[str, str]] = {}
    markers: dict[str, str] = {}
    seen: dict[str, int] = {}
    for m in methods:
        col = color_of(m)
        base = re.sub(r" \[[a-z0-9]+\]$", "", m).lower().replace("-", " ")
        if base not in markers:
            markers[base] = MARKERS[seen.get(col, 0) % len(MARKERS)]
            seen[col] = seen.get(col, 0) + 1
        out[m] = (col, markers[base])
    return out


def _short(method: str, width: int = 76) -> str:
    """A row label for a slide: the seeds (said in the key) and "selection" dropped, the
    baselines' notes shortened; one line where it fits."""
    short = re.sub(r" \(seeds? [^)]*\)", "", str(method)).replace(" selection: ", ": ")
    short = short.replace(" (ImageNet-pretrained (external data))",
                          " (ImageNet, external data)")
    short = short.replace(" (the same network, random weights)", " (random weights)")
    return textwrap.fill(short, width, break_on_hyphens=False)


def _order(t: pd.DataFrame) -> pd.DataFrame:
    """Autoencoder rows first (in the table's order), then the other methods by mean AUC,
    then rows without a mean (not measured on this dataset)."""
    ae = t["method"].astype(str).str.startswith("AE")
    rest = t[~ae & t["mean"].notna()].sort_values("mean", ascending=False, kind="stable")
    return pd.concat([t[ae & t["mean"].notna()], rest, t[t["mean"].isna()]],
                     ignore_index=True)


DENSE = 14  # rows beyond which a second protocol goes beside the first, not below it


def _panels(fig, sizes: Sequence[int]) -> tuple[list, set]:
    """One axes per protocol, each as tall as its rows, sharing the AUC axis: stacked, or,
    with more than :data:`DENSE` rows in all, the first in a column of its own and the
    others stacked beside it (so each row keeps room for its label); and the axes at the
    foot of a column, which carry the AUC ticks."""
    beside = len(sizes) > 1 and sum(sizes) > DENSE
    rest = sizes[1:] if beside else sizes
    gs = fig.add_gridspec(len(rest), 2 if beside else 1, width_ratios=[1.5, 1] if beside
                          else None, height_ratios=[n + 1.0 for n in rest])
    axes = [fig.add_subplot(gs[:, 0])] if beside else []
    for i in range(len(rest)):
        share = {"sharex": axes[0]} if axes else {}
        axes.append(fig.add_subplot(gs[i, -1], **share))
    return axes, ({axes[0], axes[-1]} if beside else {axes[-1]})


def _lollipops(ax, t: pd.DataFrame, styles: Mapping, lo: float, hollow: bool,
               narrow: bool = False) -> None:
    """One panel: a dot per row at its mean AUC, its value (and how many classes, when
    fewer than the most any row has) beside it, under the value in a ``narrow`` panel;
    a row without a mean says why."""
    y = np.arange(len(t))[::-1]
    full = t["classes"].max() if "classes" in t and len(t) else None
    for yi, row in zip(y, t.to_dict("records")):
        v = row["mean"]
        if not np.isfinite(v):
            ax.text(lo + 0.01, yi, row.get("note") or "no mean", va="center",
                    fontsize=MIN_PT, color="0.4", style="italic", zorder=5,
                    bbox={"fc": "white", "ec": "none", "pad": 1})
            continue
        col, marker = styles[row["method"]]
        ax.hlines(yi, lo, v, color=col, lw=2)
        ax.plot(v, yi, marker, ms=10, color=col, mfc="white" if hollow else col, mew=2)
        n = row.get("classes")
        part = (("\n " if narrow else " ") + f"({int(n)} of {int(full)} classes)"
                if full and n == n and n and n < full else "")
        ax.text(v + 0.01 * (1 - lo), yi, f" {v:.{DECIMALS}f}{part}", va="center",
                fontsize=MIN_PT)
    ax.set_yticks(y, [_short(m) for m in t["method"]], fontsize=MIN_PT)
    ax.set_ylim(-0.7, max(len(t), 1) - 0.3)
    ax.set_xlim(lo, 1.0 + 0.3 * (1 - lo))
    ax.set_xticks([x for x in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0) if x >= lo])
    ax.yaxis.grid(False)
    chance_line(ax, "x")


def _arranged(t: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order they are drawn: one-vs-rest first, then the other protocols as
    they come, each in :func:`_order`."""
    protocols = sorted(dict.fromkeys(t["protocol"]), key=lambda p: p != "one-vs-rest")
    return pd.concat([_order(t[t["protocol"] == p]) for p in protocols], ignore_index=True)


def _unmeasured(t: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``t`` without the protocols none of whose rows has a mean, and a line per such
    protocol naming its methods and why (their ``note``), for under the plot."""
    empty = [p for p, g in t.groupby("protocol", sort=False) if g["mean"].isna().all()]
    lines = []
    for p in empty:
        g = t[t["protocol"] == p]
        note = next((n for n in g.get("note", pd.Series(dtype=str)) if n), "no mean")
        lines.append(f"{p}: {', '.join(map(str, g['method']))}: {note}")
    return t[~t["protocol"].isin(empty)], lines


def _means_figure(t: pd.DataFrame, hollow: bool) -> plt.Figure:
    """The shared body of :func:`measured_means` and :func:`literature_means` (``t`` in
    :func:`_arranged` order, every protocol with at least one mean)."""
    protocols = list(dict.fromkeys(t["protocol"]))
    parts = [t[t["protocol"] == p] for p in protocols]
    fig = plt.figure(figsize=SLIDE, layout="constrained")
    axes, feet = _panels(fig, [len(p) for p in parts])
    values = t["mean"].dropna()
    lo = min(0.5, float(values.min()) if len(values) else 0.5) - 0.03
    styles = _method_styles(list(dict.fromkeys(t["method"])))
    for ax, protocol, part in zip(axes, protocols, parts):
        narrow = ax is not axes[0] and len(feet) > 1  # the second column, beside the first
        _lollipops(ax, part, styles, lo, hollow, narrow=narrow)
        ax.set_title(protocol, loc="left", fontsize=MIN_PT + 2)
        ax.tick_params(labelbottom=ax in feet)
        if ax in feet:  # a narrow column gets the short form
            ax.set_xlabel("mean AUC" if narrow else "mean test AUC over classes")
    return fig


def measured_means(table: pd.DataFrame, label: str, title: str = "", note: str = "",
                   settings: Mapping[tuple[str, str], str] | None = None) -> plt.Figure:
    """Every row measured here (``table``: method, protocol, mean, optional classes and
    note, from :func:`aeutils.report.measured_overview`), a panel per protocol, filled dots;
    rows of one family share its colour. ``settings`` marks each row with how its runs
    were made; the key is under the plot."""
    t, missing = _unmeasured(_arranged(table))
    t, foot = _marked(t, settings)
    fig = _means_figure(t, hollow=False)
    _fig_titled(fig, title or f"{label}: mean test AUC of every method measured here", note,
                foot=[*missing, *footnote_key(foot)], foot_columns=2)
    return fig


def source_marks(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Quoted rows each marked with a number per distinct source ("GANomaly [1]") and the
    key lines ("[1] Akçay et al. …"), so the sources are named inside the image."""
    sources = list(dict.fromkeys(table["source"]))
    mark = {s: i + 1 for i, s in enumerate(sources)}
    out = table.assign(method=[f"{m} [{mark[s]}]" for m, s in zip(table["method"],
                                                                   table["source"])])
    return out, [f"[{mark[s]}] {s}" for s in sources]


def literature_means(table: pd.DataFrame, label: str, title: str = "",
                     note: str = "") -> plt.Figure:
    """Rows quoted from papers (``table``: method, protocol, mean, source), hollow dots, a
    panel per protocol, each row keyed to its source under the plot."""
    t, key = source_marks(_arranged(table))
    fig = _means_figure(t, hollow=True)
    _fig_titled(fig, title or f"{label}: mean AUC quoted from papers", note, foot=key)
    return fig


def _test_selected(long: pd.DataFrame) -> set[str]:
    sel = long.get("selection", pd.Series("", index=long.index)).astype(str)
    return set(long.loc[sel.str.contains("test set"), "method"])


def per_class_auc(long: pd.DataFrame, classes: Sequence[str], label: str,
                  methods: Sequence[str] | None = None, title: str = "",
                  note: str = "") -> plt.Figure:
    """Test AUC per class of a few ``methods`` (default: every method of ``long``), one
    colour and marker each, side by side within each class, ± one std over seeds where
    given; a row picked on the test set is hollow and says so in the legend.

    ``long`` has columns ``method``, ``class``, ``auc`` and optional ``std`` and
    ``selection`` (:func:`aeutils.report.per_class_long`)."""
    methods = list(methods or dict.fromkeys(long["method"]))
    test = _test_selected(long)
    pal = sns.color_palette("colorblind", n_colors=max(len(methods), 1))
    fig, ax = plt.subplots(figsize=SLIDE, layout="constrained")
    x = np.arange(len(classes))
    width = 0.8 / max(len(methods), 1)
    for i, (m, col) in enumerate(zip(methods, pal)):
        part = long[long["method"] == m].set_index("class").reindex(range(len(classes)))
        err = part["std"].to_numpy(dtype=float) if "std" in part else None
        if err is not None and np.all(np.isnan(err)):
            err = None
        name = _short(m, 70) + (" (test-selected)" if m in test else "")
        ax.errorbar(x - 0.4 + width * (i + 0.5), part["auc"].to_numpy(dtype=float), yerr=err,
                    fmt=MARKERS[i % len(MARKERS)], ms=10, color=col, ecolor=col,
                    mfc="white" if m in test else col, mew=2, capsize=3, lw=0,
                    elinewidth=1.5, label=name)
    values = long.loc[long["method"].isin(methods), "auc"].dropna()
    lo = float(values.min()) if len(values) else 0.5
    floor = max(0.0, np.floor(lo * 20) / 20 - 0.02)
    ax.set_ylim(floor, 1.0 + 0.02 * (1.0 - floor))  # a dot at 1.000 shows whole
    if ax.get_ylim()[0] < 0.5:
        chance_line(ax)
    ax.set_xlim(-0.5, len(classes) - 0.5)
    ax.xaxis.grid(False)
    for b in x[:-1]:
        ax.axvline(b + 0.5, color="0.85", lw=1)
    turn = max(len(c) for c in classes) > 3
    ax.set_xticks(x, classes, rotation=30 if turn else 0, ha="right" if turn else "center",
                  rotation_mode="anchor")
    ax.set_xlabel("normal class")
    ax.set_ylabel("test AUC" + ("" if ax.get_ylim()[0] < 0.5 else
                                "\n(chance, 0.5, is below the range)"))
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2,
               frameon=False, fontsize=MIN_PT + 1)
    _fig_titled(fig, title or f"{label}: test AUC per class", note)
    return fig


def without_labels(table: pd.DataFrame, label: str, title: str = "",
                   note: str = "") -> plt.Figure:
    """Mean test AUC chosen without labels beside the best picked on the test set (hollow,
    dashed line through it): ``table`` from :func:`aeutils.report.without_labels` (method,
    auc, std, how, test_selected)."""
    fig, ax = plt.subplots(figsize=(SLIDE[0], 5.2), layout="constrained")
    t = table.reset_index(drop=True)
    y = np.arange(len(t))[::-1]
    for yi, row in zip(y, t.to_dict("records")):
        test = bool(row["test_selected"])
        col = "0.35" if test else color_of("ae")
        std = row["std"] if row["std"] == row["std"] else None
        ax.errorbar(row["auc"], yi, xerr=std, fmt="o", ms=14, color=col,
                    mfc="white" if test else col, mew=2.5, capsize=6, elinewidth=2)
        places = DECIMALS + 1 if std is not None and std < 0.005 else DECIMALS  # no "± 0.000"
        spread = f" ± {std:.{places}f}" if std is not None else ""
        ax.annotate(f"{row['auc']:.{places}f}{spread}", (row["auc"], yi), xytext=(0, 14),
                    textcoords="offset points", ha="center", va="bottom", fontsize=MIN_PT + 2)
        if test:
            ax.axvline(row["auc"], color="0.35", ls="--", lw=1.2, zorder=0)
    ax.set_yticks(y, [f"{r['method']}" + (" (test-selected)" if r["test_selected"] else "")
                      + f"\n{r['how']}" for r in t.to_dict("records")], fontsize=MIN_PT)
    lo = float((t["auc"] - t["std"].fillna(0)).min()) if len(t) else 0.5
    hi = float((t["auc"] + t["std"].fillna(0)).max()) if len(t) else 1.0
    pad = max(0.2 * (hi - lo), 0.01)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(-0.6, len(t) - 0.2)
    ax.xaxis.set_major_locator(ticker.MaxNLocator(6))
    ax.yaxis.grid(False)
    ax.set_xlabel("mean test AUC over classes")
    _fig_titled(fig, title or f"{label}: chosen without labels", note)
    return fig


def baseline_convergence(auc: pd.DataFrame, loss: pd.DataFrame, label: str,
                         title: str = "", note: str = "",
                         settings: Mapping[tuple[str, str], str] | None = None) -> plt.Figure:
    """Iterative baselines: mean test AUC at each checkpoint (left) and mean training loss
    per epoch (right, log scale), colour per method and line style per protocol, so a
    reader can see whether they were trained to a plateau; ``settings`` marks each line
    with how its runs were made, the key under the plot."""
    runs = {(m, p): f"{m} · {p}" for m, p in zip(auc["method"], auc["protocol"])}
    marked, foot = footnoted(list(runs.values()),
                             [(settings or {}).get(k, "") for k in runs])
    names = dict(zip(runs, marked))
    styles = {p: s for p, s in zip(dict.fromkeys(auc["protocol"]), ("-", "--", ":", "-."))}
    fig, (a1, a2) = plt.subplots(1, 2, figsize=SLIDE, layout="constrained")
    for ax, frame in ((a1, auc), (a2, loss)):
        for (m, p), part in frame.groupby(["method", "protocol"], sort=False):
            part = part.groupby("epoch")["value"].mean()
            ax.plot(part.index, part.to_numpy(), color=color_of(m), ls=styles.get(p, "-"),
                    marker="o" if ax is a1 else None, label=names.get((m, p), f"{m} · {p}"))
        # log epochs: GANomaly's 15 and Deep SVDD's 100 epochs both stay readable
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xlabel("epoch")
    a1.set_ylabel("mean test AUC")
    a2.set_ylabel("mean training loss")
    chance_line(a1)
    if len(auc):  # AUC exists at the checkpoints only: tick those (one alone would get 4.74…)
        a1.set_xticks(sorted({int(e) for e in auc["epoch"]}))
    if len(loss):
        last = int(loss["epoch"].max())
        a2.set_xticks(sorted({e for e in (1, 2, 5, 10, 20, 50, 100, 200, 500) if e < last}
                             | {last}))
    a2.set_yscale("log")
    a1.legend(loc="upper left", bbox_to_anchor=(0, -0.14), ncols=2, frameon=False,
              fontsize=MIN_PT)
    _fig_titled(fig, title or f"{label}: neural baselines, AUC and loss per epoch", note,
                foot=footnote_key(foot), foot_columns=2)
    return fig


def replication(long: pd.DataFrame, classes: Sequence[str], label: str, title: str = "",
                note: str = "") -> plt.Figure:
    """Per method and protocol (a panel each, side by side): its AUC per class measured
    here (filled, solid line) and as quoted (hollow, dashed), one colour per method; the
    key under the plot says how each was made. ``long``: :func:`aeutils.report.replication`."""
    pairs = list(dict.fromkeys(zip(long["method"], long["protocol"])))
    fig, axes = plt.subplots(1, max(len(pairs), 1), figsize=SLIDE, layout="constrained",
                             sharey=True, squeeze=False)
    x = np.arange(len(classes))
    turn = len(pairs) > 1 and max(len(c) for c in classes) > 2  # names in narrow panels
    foot = []
    for ax, (method, protocol) in zip(axes[0], pairs):
        col = color_of(method.lower().replace(" ", "-"))
        part = long[(long["method"] == method) & (long["protocol"] == protocol)]
        for origin, quoted in (("measured here", False), ("quoted", True)):
            rows = part[(part["origin"] == "quoted") == quoted]
            y = rows.set_index("class")["auc"].reindex(range(len(classes))).to_numpy(float)
            ax.plot(x, y, "o", ls="--" if quoted else "-", color=col, ms=9, mew=2,
                    mfc="white" if quoted else col, label=origin)
            if len(rows):
                source = str(rows["source"].iloc[0])
                foot.append(f"{method}, quoted: {source.removeprefix('quoted by ')}" if quoted
                            else f"{method}: {source}")
        ax.set_title(f"{method}, {protocol}", fontsize=MIN_PT + 2, loc="left",
                     fontweight="bold")
        ax.set_xticks(x, classes, rotation=45 if turn else 0, ha="right" if turn else "center",
                      rotation_mode="anchor", fontsize=MIN_PT)
        ax.set_xlabel("anomalous class" if protocol != "one-vs-rest" else "normal class")
        ax.xaxis.grid(False)
        chance_line(ax)
    axes[0][0].set_ylabel("test AUC")
    axes[0][0].set_ylim(0.0, 1.02)
    if pairs:
        axes[0][0].legend(loc="lower left", frameon=True, fontsize=MIN_PT)
    _fig_titled(fig, title or f"{label}: measured here beside the quoted rows", note,
                foot=foot)
    return fig
