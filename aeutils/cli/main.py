"""Command line: ``python -m aeutils {run,grid,merge,reproduce,show,tables,digest,ship,slides} …``
(thin; see --help)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from ..config import DEFAULT_CHECKPOINTS, ConfigError, RunConfig

# Only torch-free modules here: --help and argument errors answer before torch, scikit-learn
# or pandas load. Each command imports what its work needs inside its function.
from ..data.catalog import DATASET_CHOICES, resolve_dataset
from ..errors import BadDataError, DataNotFoundError, StoreError, TrainingDivergedError
from ..experiments.profiles import PROFILES
from ..experiments.sweep import ORDERS, Grid, WorkerFailed
from ..registry import (
    DEFAULT_PRECISION,
    LOSSES,
    METHODS,
    PRECISIONS,
    PROTOCOLS,
    SCORES,
    choice_error,
)
from ..runtime import tune_malloc
from .reproduce import NotebookError

METRICS_SHOWN = ("auc", "ap", "val_auc", "accuracy", "f1", "oracle_accuracy")


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line that says where the help is (sub-commands inherit it)."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see: {self.prog} --help)\n")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default once, and none where the help says what omitting means."""

    def _get_help_string(self, action):
        d = action.default
        if d is None or d is False or (isinstance(d, (tuple, list)) and not d) \
                or "(default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _choice(what: str, choices):
    """An argparse ``type`` accepting a registered name; otherwise the one-line error that
    names the valid choices, raised while parsing (nothing heavy imported yet)."""
    def check(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(str(choice_error(what, text, choices)))
        return text

    check.__name__ = what
    return check


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(t) for t in text.replace(",", " ").split()) if text else ()


def _dataset_map(pairs: list[str]) -> dict[str, str]:
    out = {}
    for p in pairs or []:
        if "=" not in p:
            raise ConfigError(f"--dataset-map takes NAME=DATASET (e.g. cifar10=folder:path), got {p!r}")
        k, v = p.split("=", 1)
        out[k] = v
    return out


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="train and evaluate one configuration, store and print it",
                       formatter_class=HelpFormatter)
    d = RunConfig()
    p.add_argument("--dataset", default=d.dataset, help=f"one of: {', '.join(DATASET_CHOICES)}")
    p.add_argument("--model", default=d.model, type=_choice("model", METHODS), help=f"one of: {', '.join(METHODS)}")
    p.add_argument("--loss", default=d.loss, type=_choice("loss", LOSSES), help=f"one of: {', '.join(LOSSES)}")
    p.add_argument("--normal-class", type=int, default=d.normal_class,
                   help="class index: the normal class (one-vs-rest) or the anomaly (leave-one-out)")
    p.add_argument("--protocol", default=d.protocol, type=_choice("protocol", PROTOCOLS), help=f"one of: {', '.join(PROTOCOLS)}")
    p.add_argument("--contamination", type=float, default=d.contamination,
                   help="percent anomalies mixed into training, relative to the normal count (0-100)")
    p.add_argument("--epochs", type=int, default=d.epochs,
                   help="training epochs (passes over the training images)")
    p.add_argument("--checkpoints", type=_ints, default=(),
                   help=f"epochs to evaluate at inside the run, each within 1..--epochs, e.g. "
                        f"{','.join(map(str, DEFAULT_CHECKPOINTS))} (the last epoch always is)")
    p.add_argument("--batch-size", type=int, default=d.batch_size,
                   help="images per optimiser step")
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate (autoencoders)")
    p.add_argument("--latent-dim", type=int, default=d.latent_dim,
                   help="size of the code (bottleneck), in units")
    p.add_argument("--hidden", type=_ints, default=(),
                   help="hidden widths (basic, vae) or two channel counts (conv); default per model")
    p.add_argument("--val-fraction", type=float, default=d.val_fraction,
                   help="fraction of the normal training images held out for validation, in (0, 1)")
    p.add_argument("--max-train", type=int, default=None,
                   help="cap on normal training images per run; omit for all")
    p.add_argument("--max-test", type=int, default=None,
                   help="score a fixed random subset of this many test images; omit for all")
    p.add_argument("--score", default=d.score, type=_choice("score", SCORES),
                   help="how a reconstruction becomes a score: " + "; ".join(
                       f"{k}: {v}" for k, v in SCORES.items()))
    p.add_argument("--seed", type=int, default=d.seed,
                   help="seed of the split, the initial weights and the batch order")
    _add_precision(p)
    _add_common(p)


def _add_precision(p) -> None:
    p.add_argument("--precision", default=DEFAULT_PRECISION, type=_choice("precision", PRECISIONS),
                   help="arithmetic of autoencoder training and scoring (part of the key unless "
                        "fp32): " + "; ".join(f"{k}: {v}" for k, v in PRECISIONS.items()))


def _add_common(p) -> None:
    p.add_argument("--results", default=None,
                   help="results table (JSON Lines); omit for $AEUTILS_RESULTS or "
                        "results/results.jsonl")
    p.add_argument("--device", default=None,
                   help="cpu, cuda or mps; omit for the best available")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bars; grid prints one line per finished group instead")


def _cmd_run(a) -> int:
    beyond = [c for c in a.checkpoints if not 1 <= c <= a.epochs]
    if beyond:
        raise ConfigError(f"--checkpoints {','.join(map(str, beyond))} lie outside 1..--epochs "
                          f"{a.epochs}: raise --epochs or drop those checkpoints")
    cfg = RunConfig(dataset=resolve_dataset(a.dataset), model=a.model, loss=a.loss, normal_class=a.normal_class,
                    protocol=a.protocol, contamination=a.contamination, epochs=a.epochs,
                    checkpoints=a.checkpoints, batch_size=a.batch_size, lr=a.lr,
                    latent_dim=a.latent_dim, hidden=a.hidden, val_fraction=a.val_fraction,
                    max_train=a.max_train, max_test=a.max_test, seed=a.seed, score=a.score,
                    precision=a.precision)
    from ..detectors.training import pick_device
    from ..experiments.runs import run_configs
    from ..experiments.store import ResultsStore

    pick_device(a.device)
    store = ResultsStore(a.results)
    cached = store.has(cfg)
    t0 = time.perf_counter()
    run_configs([cfg], store, device=a.device, progress=not a.no_progress)
    rows = store.get(cfg)
    wanted = set(cfg.eval_epochs)
    print(f"{'epoch':>5}  " + "  ".join(f"{m:>15}" for m in METRICS_SHOWN))
    for r in rows:
        if r["epoch"] in wanted:
            print(f"{r['epoch']:>5}  " + "  ".join(f"{r.get(m, float('nan')):>15.4f}"
                                                    for m in METRICS_SHOWN))
    how = "from the results store (cached)" if cached else f"in {time.perf_counter() - t0:.1f} s"
    print(f"key {cfg.key()}  {how}  -> {store.path}")
    return 0


def _add_grid(sub) -> None:
    p = sub.add_parser("grid", help="run a profile's grid, skipping what is stored",
                       formatter_class=HelpFormatter)
    p.add_argument("--profile", default="quick", type=_choice("profile", PROFILES), help=f"named grid, one of: {', '.join(PROFILES)}")
    p.add_argument("--block", action="append", help="only these blocks of the profile")
    p.add_argument("--dataset", action="append", metavar="NAME",
                   help="only these datasets of the profile (its names, e.g. mnist; repeatable): "
                        "a machine that holds one dataset trains its part of the grid")
    p.add_argument("--dataset-map", action="append", metavar="NAME=DATASET",
                   help="replace a dataset of the profile, e.g. cifar10=folder:data/cifar10-jpeg")
    p.add_argument("--shard", default=None, metavar="i/n", help="run only shard i of n")
    p.add_argument("--max-group", type=int, default=10, help="models trained at once")
    p.add_argument("--keep-scores", default="all", choices=("all", "final", "none"),
                   help="test scores kept beside the table: every checkpoint in float32 (all), "
                        "each run's last epoch in float16 (final: for a store to ship), or none")
    p.add_argument("--dry-run", action="store_true",
                   help="train nothing: print each block's runs and its machine-hours, "
                        "estimated from steps timed on this machine")
    p.add_argument("--json", default=None, metavar="PATH",
                   help="with --dry-run: also write the estimate to this JSON file")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="train in N processes that share the cores and the results table "
                        "(each claims its groups); more throughput than one process's threads "
                        "on a small CPU (docs/performance.md)")
    p.add_argument("--order", default="profile", choices=ORDERS,
                   help="profile: block by block as the profile lists them; priority: MNIST "
                        "before CIFAR-10, then the cheapest groups first (timed on this machine "
                        "before training, as --dry-run does)")
    p.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                   help="with --order priority: start no group whose estimate exceeds the wall "
                        "time left of this many seconds (counted from the start, timing "
                        "included); a later call trains the rest")
    _add_precision(p)
    _add_common(p)


def _cmd_grid(a) -> int:
    grid = Grid(profile=a.profile, blocks=a.block, datasets=a.dataset,
                dataset_map=_dataset_map(a.dataset_map), shard=a.shard, max_group=a.max_group,
                workers=a.workers, order=a.order, budget=a.budget, precision=a.precision,
                device=a.device, keep_scores=a.keep_scores, results=a.results,
                progress=not a.no_progress)
    if a.dry_run:
        grid.dry_run(a.json)
        return 0
    try:
        grid.run()
    except WorkerFailed as failed:
        print(f"error: {failed}", file=sys.stderr)
        return failed.code
    return 0


def _add_merge(sub) -> None:
    p = sub.add_parser("merge", help="merge result tables (e.g. shards) into one; idempotent",
                       formatter_class=HelpFormatter)
    p.add_argument("output", help="the table to merge into (created if missing)")
    p.add_argument("inputs", nargs="+", help="tables to merge in")
    p.add_argument("--profile", type=_choice("profile", PROFILES),
                   help="merge only the runs of this profile's configurations, e.g. a block "
                        "that two profiles share")
    p.add_argument("--block", action="append",
                   help="with --profile: only these blocks of it (repeatable)")
    p.add_argument("--dataset-map", action="append", metavar="NAME=DATASET",
                   help="with --profile: the dataset replacements its grid ran with")


def _cmd_merge(a) -> int:
    from ..experiments.store import ResultsStore

    store = ResultsStore(a.output)
    keys = None
    if (a.block or a.dataset_map) and not a.profile:
        raise ConfigError("--block and --dataset-map need --profile (the profile whose runs "
                          "to merge)")
    if a.profile:
        from ..experiments.grid import profile_configs

        # selection blocks' runs follow from their search: read it in each input
        keys = {c.key() for src in a.inputs
                for c in profile_configs(a.profile, _dataset_map(a.dataset_map), a.block,
                                         store=ResultsStore(src))}
    n = store.merge(a.inputs, keys)
    print(f"merged {n} new records into {a.output}"
          + (f" (only {a.profile}{' ' + ', '.join(a.block) if a.block else ''} runs)"
             if a.profile else ""))
    if store.skipped_merging:
        print(f"warning: skipped {store.skipped_merging} line(s) of {', '.join(a.inputs)} that "
              "are not results records (not JSON, or no key and epoch)", file=sys.stderr)
    return 0


def _add_reproduce(sub) -> None:
    p = sub.add_parser("reproduce", help="execute the notebooks in order with papermill",
                       formatter_class=HelpFormatter)
    p.add_argument("--profile", default="quick", type=_choice("profile", PROFILES), help=f"named grid, one of: {', '.join(PROFILES)}")
    p.add_argument("--dataset", action="append", metavar="NAME[=DATASET]",
                   help="a dataset of the profile, repeatable (default: mnist and cifar10); "
                        "NAME=DATASET loads another in its place, e.g. cifar10=folder:<path>; "
                        "offline, cifar10 picks up the JPEG copy in $AEUTILS_DATA/cifar10-jpeg")
    p.add_argument("--only", action="append", help="only notebooks whose name contains this")
    p.add_argument("--figures", default="figures", help="figure output folder")
    p.add_argument("--output", default="build/notebooks", help="executed notebooks + HTML")
    p.add_argument("--results", default=None,
                   help="results table; omit for $AEUTILS_RESULTS or results/results.jsonl "
                        "(with --render: the store shipped in results/<profile>/)")
    p.add_argument("--render", action="store_true",
                   help="train nothing: redraw every figure and table from stored results")
    p.add_argument("--prune", action="store_true",
                   help="with --render: then delete the store's score files that no figure "
                        "read (records stay), to keep a store to ship small")
    p.add_argument("--publish", default=None, metavar="FOLDER",
                   help="also write each executed notebook as Markdown into FOLDER, its "
                        "figures linking the PNGs under --figures (e.g. docs/notebooks)")


def _cmd_reproduce(a) -> int:
    from .notebook import DEFAULT_DATASETS
    from .reproduce import reproduce

    reproduce(profile=a.profile, datasets=a.dataset or DEFAULT_DATASETS, only=a.only,
              figures=a.figures, output=a.output, results=a.results, render=a.render,
              prune=a.prune, publish=a.publish)
    return 0


def _add_show(sub) -> None:
    p = sub.add_parser("show", help="summarise the results table (mean AUC per configuration)",
                       formatter_class=HelpFormatter)
    p.add_argument("--results", default=None,
                   help="results table; omit for $AEUTILS_RESULTS or results/results.jsonl")
    p.add_argument("--metric", default="auc",
                   help="record column to average per configuration (e.g. auc, val_auc, "
                        "balanced_accuracy)")


def _cmd_show(a) -> int:
    from ..experiments.store import ResultsStore

    store = ResultsStore(a.results)
    df = store.table()
    if df.empty and store.skipped:
        raise StoreError(f"no results in {store.path}: none of its {store.skipped} line(s) is a "
                         "results record (not JSON, or no key and epoch)")
    if store.skipped:
        print(f"warning: skipped {store.skipped} line(s) of {store.path} that are not results "
              "records (not JSON, or no key and epoch)", file=sys.stderr)
    if df.empty:
        print("no results yet")
        return 0
    if a.metric not in df:
        numeric = sorted(c for c in df.columns if df[c].dtype.kind == "f")
        raise ConfigError(f"unknown metric {a.metric!r}; valid choices: {', '.join(numeric)}")
    last = df.sort_values("epoch").groupby("key").tail(1)
    cols = ["dataset_label", "model", "loss", "protocol", "contamination", "epoch"]
    summary = last.groupby(cols)[a.metric].agg(["mean", "count"]).reset_index()
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def _add_tables(sub) -> None:
    p = sub.add_parser("tables", help="rewrite the generated tables of README.md and docs/*.md "
                       "from the numbers files", formatter_class=HelpFormatter)
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 naming each document and block that is out of date")
    p.add_argument("--root", default=".",
                   help="the repository: README.md, docs/ and the numbers files they quote")


def _cmd_tables(a) -> int:
    from pathlib import Path

    from ..report.documents import update  # here, not at parse time: it needs pandas

    stale = update(Path(a.root), check=a.check)
    for path, blocks in stale.items():
        verb = "is out of date" if a.check else "rewritten"
        for spec in blocks:
            print(f"{path}: generated block '{spec}' {verb}", file=sys.stderr if a.check else sys.stdout)
    if a.check and stale:
        print("run: python -m aeutils tables", file=sys.stderr)
        return 1
    if not stale:
        print("every generated block is up to date")
    return 0


def _add_digest(sub) -> None:
    p = sub.add_parser("digest", help="print a dataset's key identity and a hash of its decoded "
                       "pixels: equal lines on two machines, mergeable stores",
                       formatter_class=HelpFormatter)
    p.add_argument("dataset", help=f"one of: {', '.join(DATASET_CHOICES)}")
    p.add_argument("--expect", default=None, metavar="LINE",
                   help="exit 1 unless the printed line equals this one")


def _cmd_digest(a) -> int:
    from ..experiments.agreement import dataset_digest

    line = dataset_digest(a.dataset)
    print(line)
    if a.expect is not None and line != a.expect:
        print(f"error: expected: {a.expect}", file=sys.stderr)
        return 1
    return 0


def _add_ship(sub) -> None:
    p = sub.add_parser("ship", help="list (or git add) a results store's table and the score "
                       "files its records name, leaving those of runs still in training",
                       formatter_class=HelpFormatter)
    p.add_argument("--profile", default="quick", type=_choice("profile", PROFILES),
                   help="ship the store of results/<profile>/ (unless --results names one)")
    p.add_argument("--results", default=None, help="the table to ship; omit for the profile's")
    p.add_argument("--stage", action="store_true", help="git add them (else print one per line)")


def _cmd_ship(a) -> int:
    from ..experiments.store import ResultsStore, shipped_path

    store = ResultsStore(a.results or shipped_path(a.profile))
    if not store.path.is_file():
        raise ConfigError(f"no results table {store.path} to ship")
    named, pending = store.shippable()
    if not a.stage:
        print("\n".join(map(str, named)))
        return 0
    subprocess.run(["git", "add", "--", *map(str, named)], check=True)
    print(f"staged {store.path} and {len(named) - 1} score files; left {len(pending)} of runs "
          "still in training")
    return 0


def _add_slides(sub) -> None:
    p = sub.add_parser("slides", help="build the talk: a 16:9 PowerPoint deck, its PDF and a "
                                      "contact sheet, from a rendered figure folder",
                       formatter_class=HelpFormatter)
    p.add_argument("--profile", default="thesis", type=_choice("profile", PROFILES),
                   help=f"named grid, one of: {', '.join(PROFILES)}")
    p.add_argument("--figures", default=None,
                   help="rendered figure folder; omit for figures/<profile>")
    p.add_argument("--output", default=None,
                   help="the deck; omit for docs/slides/<profile>.pptx (the PDF and "
                        "contact-<profile>.png are written beside it)")


def _cmd_slides(a) -> int:
    from ..report.numbers import NumbersError
    from ..report.slides import DeckError, publish_deck

    try:
        made = publish_deck(a.profile, figures=a.figures, out=a.output)
    except (FileNotFoundError, ImportError, NumbersError, DeckError) as exc:
        raise ConfigError(str(exc)) from None
    print(f"wrote {made.pptx} ({made.slides} slides, {made.pptx.stat().st_size / 1e6:.1f} MB)")
    for path in (made.pdf, made.contact):
        if path is not None:
            print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if made.missing:
        print(made.missing)
    return 0


COMMANDS = {"run": (_add_run, _cmd_run), "grid": (_add_grid, _cmd_grid),
            "merge": (_add_merge, _cmd_merge), "reproduce": (_add_reproduce, _cmd_reproduce),
            "show": (_add_show, _cmd_show), "tables": (_add_tables, _cmd_tables),
            "digest": (_add_digest, _cmd_digest), "ship": (_add_ship, _cmd_ship),
            "slides": (_add_slides, _cmd_slides)}


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m aeutils",
        description="Autoencoder-based image anomaly detection: run, sweep, merge, reproduce, "
                    "ship, the documents' tables, slides.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code, usage errors and --help included (2 and 0).
    The command runs with this process's malloc tuned for training (an entry point's call:
    :func:`aeutils.runtime.tune_malloc`)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the help or the one-line usage error
        return exit_.code if isinstance(exit_.code, int) else 2
    tune_malloc()
    try:
        return COMMANDS[args.command][1](args)
    except (ConfigError, DataNotFoundError, BadDataError, TrainingDivergedError,
            NotebookError, StoreError) as exc:
        print("error: " + " ".join(str(exc).split()), file=sys.stderr)
        return 2

