"""The talk's close: the limits, the conclusions with their numbers and how to reproduce
them (see :mod:`aeutils.report.talk`). Only the last slide names commits and paths."""

from __future__ import annotations

from .deck import Lines, Points, Slide
from .findings import beyond_noise
from .headlines import signed
from .talk import Source, and_join, classes_note, f3, f4
from .talk_choice import baselines, best_single
from .talk_results import seed_std

WORDS = {1: "One", 2: "Two", 3: "Three", 4: "Four"}


def _test_gain(src: Source) -> list[tuple[str, float]]:
    """Per dataset: what picking per class on the test set adds to one configuration."""
    return [(src.short(k), d.mean_auc_best_per_class - d.mean_auc_best_single)
            for k, d in src.scored() if d.mean_auc_best_per_class is not None]


def limits(src: Source) -> Slide:
    """What the numbers cannot say: the data copy, test-set selection, seeds."""
    clauses, points = [], []
    jpeg = [src.label(k) for k in src.keys() if "JPEG" in src.label(k)]
    if jpeg:
        clauses.append(f"{and_join([j.split(' (')[0] for j in jpeg])} is a JPEG copy")
        points.append(f"{and_join(jpeg)}: a JPEG export of the dataset, not the original "
                      f"images the thesis used; its AUCs are not those of the original")
    gains = _test_gain(src)
    if gains:
        clauses.append(f"picking per class on test adds up to {f3(max(g for _, g in gains))}")
        points.append("The thesis-style rows pick the configuration per class on the test set: "
                      "that adds " + and_join([f"{g:+.4f} on {n}" for n, g in gains])
                      + " to one configuration for every class")
    noise = seed_std(src)
    if noise:
        marked = [beyond_noise(d.thesis_table) for _, d in src.scored()]
        beyond = sum(len(b) for _, b in marked)
        clauses.append(f"the grid ran one seed (seed std up to {f4(noise[0])})")
        points.append(f"The grid trains each configuration once, on seed 0; re-run on "
                      f"{noise[1]} seeds, a class's AUC varies by a std of up to "
                      f"{f4(noise[0])}, and {beyond} of the {sum(len(m) for m, _ in marked)} "
                      f"per-class differences from the thesis exceed twice it")
    if not clauses:
        return src.missing("the limits of its numbers")
    title = f"{WORDS.get(len(clauses), len(clauses))} limit{'s' if len(clauses) > 1 else ''}: " \
        + ", ".join(clauses[:-1]) + \
        (" and " if len(clauses) > 1 else "") + clauses[-1]
    notes = ("The label-free and labelled-validation picks avoid the test set: they choose on "
             "one seed and report others. The thesis's own numbers come from its defence "
             "slides; its accuracy threshold is not stated, so accuracies are not compared "
             f"here. Settings: {src.settings}.")
    return Slide(title[0].upper() + title[1:], notes, Points(tuple(points)), "Limits")


def _conclusion_thesis(src: Source) -> tuple[str, str] | None:
    found = [(k, d) for k, d in src.scored() if d.mean_auc_best_per_class is not None
             and d.thesis_mean_auc_best_per_class is not None]
    if not found:
        return None
    above = all(d.mean_auc_best_per_class >= d.thesis_mean_auc_best_per_class for _, d in found)
    head = "the thesis's result holds" if above else "the thesis's result is not reached everywhere"
    nums = and_join([f"{f3(d.mean_auc_best_per_class)} against {f4(d.thesis_mean_auc_best_per_class)}"
                     f" on {src.short(k)}" for k, d in found])
    return head, f"{head[0].upper()}{head[1:]}: best configuration per class {nums}"


def _conclusion_labels(src: Source) -> tuple[str, str] | None:
    found = [(k, c.pick("label-free"), c.selection.get("label-free")) for k in src.keys()
             if (c := src.cmp(k)) and c.pick("label-free")]
    if not found:
        return None
    # as notebook 05's figure: the pick over the seeds that did not choose it, where complete
    gaps = [p.best_single_on_test - (s.mean_auc if s and s.complete else p.test_auc)
            for _, p, s in found]
    held = [f"{f3(s.mean_auc)} on {src.short(k)}" for k, _, s in found if s and s.complete]
    text = ("Without anomaly labels, the choice costs " + and_join(
        [f"{f3(g)} on {src.short(k)}" for (k, _, _), g in zip(found, gaps)])
        + " against the best picked on test"
        + (f" (the label-free pick, on seeds that did not choose it: {and_join(held)})"
           if held else ""))
    return f"choosing without labels costs at most {f3(max(gaps))}", text


def _conclusion_methods(src: Source) -> tuple[str, str] | None:
    found = [(k, max(baselines(c), key=lambda r: r.mean_auc), best_single(c))
             for k in src.keys() if (c := src.cmp(k)) and baselines(c) and best_single(c)]
    if not found:
        return None
    beaten = [(k, b, s) for k, b, s in found if b.mean_auc > s.mean_auc]
    if not beaten:
        return ("no measured baseline beats the autoencoders",
                "No baseline measured on the same images beats the best single autoencoder")
    k, b, s = min(beaten, key=lambda t: t[2].mean_auc - t[1].mean_auc)
    name = b.method.split(" (")[0]
    return (f"{name} beats every autoencoder on {src.short(k)}",
            f"Reconstruction error is not enough on {src.short(k)}: {name} reaches "
            f"{f3(b.mean_auc)} against {f3(s.mean_auc)} for the best autoencoder")


def _conclusion_quoted(src: Source) -> tuple[str, str] | None:
    """The quoted row that moved most when its method was re-measured at its protocol."""
    rows = [(k, r) for k in src.keys() if (c := src.cmp(k)) and c.replication
            for r in c.replication]
    if not rows:
        return None
    k, r = max(rows, key=lambda kr: abs(kr[1].difference))
    way = "above" if r.difference > 0 else "below"
    by_data: dict[str, list[str]] = {}  # the other rows, grouped by dataset
    for j, o in rows:
        if o is not r:
            by_data.setdefault(src.short(j), []).append(
                f"{o.method} {signed(o.difference)}{classes_note(o.classes)}")
    others = [f"{', '.join(v)} on {d}" for d, v in by_data.items()]
    text = (f"Measured here at its quoted protocol ({r.protocol}), {r.method} reaches "
            f"{f3(r.measured_mean)} on {src.short(k)}{classes_note(r.classes)} where the quoted row says "
            f"{f3(r.quoted_mean)}" + (f"; the other rows measured so: {'; '.join(others)}"
                                      if others else ""))
    return (f"{r.method} measured here lands {f3(abs(r.difference))} {way} its quoted row on "
            f"{src.short(k)}", text)


def conclusions(src: Source) -> Slide:
    """Up to four conclusions, each with its numbers."""
    found = [c for c in (_conclusion_thesis(src), _conclusion_labels(src),
                         _conclusion_methods(src), _conclusion_quoted(src)) if c]
    if not found:
        return src.missing("enough to conclude")
    title = "; ".join(short for short, _ in found)
    notes = ("Every number on this slide is on an earlier slide, with how it was made: the "
             "first two rows beside the thesis; the label-free pick and the best on test on "
             "the same seed and candidates; the baselines on the same images; the "
             "re-measured rows beside the rows they quote. "
             f"Settings: {src.settings}.")
    return Slide(title[0].upper() + title[1:], notes,
                 Points(tuple(text for _, text in found), numbered=True), "Conclusions")


def _render(src: Source) -> tuple[str, str]:
    """The commits the figures were rendered at and the day of the latest."""
    commits = sorted({e.get("commit", "") for e in src.manifest.values()} - {""})
    days = sorted(e.get("created", "")[:10] for e in src.manifest.values() if e.get("created"))
    return ", ".join(commits) or "unknown", days[-1] if days else "an unknown day"


def reproduce(src: Source) -> Slide:
    """The commands that rebuild every number, the commits and the date of the render."""
    from ..provenance import stamp

    commits, day = _render(src)
    p = src.profile
    runs = src.evaluation.runs if src.evaluation else None
    cost = ""
    if runs and runs.compute:
        c = runs.compute
        cost = (f" The store holds {runs.stored:,} of the profile's {runs.runs:,} runs "
                f"({c.cpu_hours:.1f} CPU-hours and {c.accelerator_train_hours:.1f} accelerator "
                f"training hours).")
    lead = (f"Figures and numbers rendered on {day} at commit"
            f"{'s' if ', ' in commits else ''} {commits} from results/{p}/; this deck built at "
            f"commit {stamp()}.{cost}")
    commands = ((f"make figures PROFILE={p}", f"redraw figures/{p}/ from results/{p}/ (trains "
                                              f"nothing)"),
                (f"make slides PROFILE={p}", "this deck, its PDF and its contact sheet"),
                (f"make reproduce PROFILE={p}", "train what the store lacks, then redraw"))
    notes = ("The datasets are read from AEUTILS_DATA (MNIST, and the CIFAR-10 JPEG copy), "
             "for the example images. The deck checks that every text fits its box before it "
             "is written.")
    title = f"Every number in this talk is rebuilt from results/{p}/ by three commands"
    return Slide(title, notes, Lines(lead, commands), "Reproduce")


MAIN_CLOSE = (limits, conclusions, reproduce)
