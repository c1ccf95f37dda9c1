"""Every bad input fails fast with one line naming what is valid: no traceback, a non-zero
exit, and nothing written to the results store. Table-driven, through the CLI and the API."""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from aeutils import ConfigError, RunConfig, results, run
from aeutils.cli.main import main
from aeutils.data import BadDataError, DataNotFoundError, load_dataset, make_split
from aeutils.experiments.store import ResultsStore


@pytest.fixture(scope="module")
def folders(tmp_path_factory, synthetic_folder):
    """Broken variants of the synthetic grey folder."""
    root = tmp_path_factory.mktemp("bad")
    out = {"good": synthetic_folder}

    def variant(name):
        d = root / name
        shutil.copytree(synthetic_folder, d)
        out[name] = d
        return d

    d = variant("corrupt")
    next((d / "train").rglob("*.png")).write_bytes(b"not an image")
    d = variant("one_class")
    for split in ("train", "test"):
        for c in sorted((d / split).iterdir())[1:]:
            shutil.rmtree(c)
    d = variant("mixed_sizes")
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(next((d / "train").rglob("*.png")))
    d = variant("no_test")
    shutil.rmtree(d / "test")
    (root / "empty" / "train" / "a").mkdir(parents=True)
    (root / "empty" / "test" / "a").mkdir(parents=True)
    out["empty"] = root / "empty"
    # 30×30: the conv autoencoder needs sides divisible by 4; 8×8: SSIM's window is 11×11
    for name, side in (("odd_size", 30), ("tiny", 8)):
        d = root / name
        for split in ("train", "test"):
            for c in range(2):
                (d / split / str(c)).mkdir(parents=True)
                for i in range(12):
                    Image.fromarray((np.random.default_rng(i).random((side, side)) * 255)
                                    .astype(np.uint8)).save(d / split / str(c) / f"{i}.png")
        out[name] = d
    return out


GOOD = "folder:{good}"
RUN = ["run", "--dataset", GOOD, "--epochs", "1", "--batch-size", "16"]
CASES = [
    # (argv, a phrase the one-line message must contain)
    (["run", "--dataset", "imagenet"], "valid choices"),
    (RUN + ["--model", "resnet"], "valid choices: basic, conv, vae"),
    (RUN + ["--loss", "l1"], "valid choices: mse, bce"),
    (RUN + ["--protocol", "weird"], "one-vs-rest, leave-one-out"),
    (RUN + ["--contamination", "150"], "0-100"),
    (RUN + ["--contamination", "-5"], "0-100"),
    (RUN + ["--epochs", "0"], "epochs must be at least 1"),
    (RUN + ["--batch-size", "0"], "batch_size"),
    (RUN + ["--lr", "0"], "lr must be positive"),
    (RUN + ["--lr", "-1"], "lr must be positive"),
    (RUN + ["--latent-dim", "0"], "must be positive"),
    (RUN + ["--hidden", "0"], "must be positive"),
    (RUN + ["--model", "conv", "--hidden", "8,16,32"], "takes 2 hidden sizes"),
    (RUN + ["--val-fraction", "0"], "val_fraction must be in (0, 1)"),
    (RUN + ["--val-fraction", "1"], "val_fraction must be in (0, 1)"),
    (RUN + ["--max-train", "1"], "max_train"),
    (RUN + ["--max-test", "5"], "max_test"),
    (RUN + ["--normal-class", "10"], "valid classes: 0 (c0)"),
    (RUN + ["--normal-class", "-1"], "non-negative"),
    (RUN + ["--score", "raw"], "valid choices: error, loss"),
    (RUN + ["--device", "tpu"], "valid choices here: cpu"),
    (RUN + ["--device", "cuda:7"], "cuda"),
    (RUN + ["--results", "{tmp}"], "is a directory"),
    (["run", "--dataset", "folder:/nonexistent/images"], "does not exist"),
    (["run", "--dataset", "folder:{corrupt}"], "cannot read image"),
    (["run", "--dataset", "folder:{one_class}"], "at least 2"),
    (["run", "--dataset", "folder:{mixed_sizes}"], "differ in size"),
    (["run", "--dataset", "folder:{no_test}"], "no 'test' split"),
    (["run", "--dataset", "folder:{empty}"], "holds no images"),
    (RUN + ["--protocol", "leave-one-out", "--contamination", "100"], "at most"),
    (["run", "--dataset", "folder:{odd_size}", "--model", "conv"], "divisible by 4"),
    (["run", "--dataset", "folder:{tiny}", "--loss", "ssim"], "at least 11×11"),
    (["run", "--dataset", "folder:{tiny}", "--model", "vae", "--loss", "mse+ssim"], "use mse or bce"),
    (RUN + ["--epochs", "abc"], "invalid int value"),
    (RUN + ["--epochs", "2", "--checkpoints", "1,5"], "5 lie outside 1..--epochs 2"),
    (RUN + ["--checkpoints", "x"], "invalid"),
    (["run", "--no-such-option"], "unrecognized arguments"),
    (["grid", "--profile", "nope"], "valid choices: smoke, quick"),
    (["grid", "--profile", "smoke", "--block", "nope"], "valid choices: main"),
    (["grid", "--profile", "smoke", "--shard", "5/4"], "need 0 <= i < n"),
    (["grid", "--profile", "smoke", "--shard", "abc"], "i/n"),
    (["grid", "--profile", "smoke", "--dataset-map", "cifar10"], "NAME=DATASET"),
    (["grid", "--profile", "smoke", "--dataset", "cifar10"], "valid choices: mnist"),
    (["grid", "--profile", "smoke", "--max-group", "0"], "at least 1"),
    (["grid", "--profile", "smoke", "--keep-scores", "some"], "invalid choice"),
    (["grid", "--profile", "smoke", "--device", "tpu"], "valid choices here"),
    (["grid", "--profile", "smoke", "--budget", "60"], "needs --order priority"),
    (["grid", "--profile", "smoke", "--order", "priority", "--budget", "0"], "positive"),
    (["grid", "--profile", "smoke", "--order", "priority", "--shard", "0/2"], "give one"),
    (["grid", "--profile", "smoke", "--order", "cheap"], "invalid choice"),
    (["grid", "--profile", "smoke", "--precision", "fp16"], "valid choices: fp32"),
    (RUN + ["--precision", "tf16"], "valid choices: fp32"),
    (["merge", "{tmp}/out.jsonl", "{tmp}/missing.jsonl"], "no such results table"),
    (["merge", "{tmp}", "{tmp}/missing.jsonl"], "is a directory"),
    (["reproduce", "--profile", "nope"], "valid choices"),
    (["reproduce", "--profile", "smoke", "--only", "zzz"], "match"),
    (["reproduce", "--profile", "nope-never-shipped", "--render"], "valid choices"),
    (["reproduce", "--profile", "smoke", "--dataset", "cifar10=", "--output", "{tmp}/o"],
     "NAME=DATASET"),
    (["show", "--results", "{tmp}"], "is a directory"),
    (["nope"], "invalid choice"),
]


def _fails_in_one_line(argv, phrase, tmp_path, capsys, monkeypatch, folders) -> str:
    table = tmp_path / "store" / "results.jsonl"
    monkeypatch.setenv("AEUTILS_RESULTS", str(table))
    argv = [a.format(tmp=tmp_path, **folders) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse usage errors
        code = exit_.code
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code not in (0, None), f"exit {code} for {argv}"
    assert len(lines) == 1, f"expected one line, got:\n{err}"
    assert "Traceback" not in err and lines[0].startswith("error: ")
    assert phrase in lines[0], lines[0]
    assert not table.exists(), "a failing command wrote to the results store"
    return lines[0]


@pytest.mark.parametrize("argv,phrase", CASES, ids=[" ".join(a[:1] + a[-2:]) for a, _ in CASES])
def test_cli_bad_input_is_one_clean_line(argv, phrase, folders, tmp_path, capsys, monkeypatch):
    _fails_in_one_line(argv, phrase, tmp_path, capsys, monkeypatch, folders)


# --- the store's own failures --------------------------------------------------------------


def _full_disk(monkeypatch, root) -> None:
    """Every write of the table and of the score files fails with ENOSPC."""
    def full(*_args, **_kw):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(results, "_write_all", full)
    monkeypatch.setattr(results, "atomic_write", full)


def _refusing_folder(code: int):
    """A folder under which nothing can be created or opened for writing, failing with
    ``code`` (EROFS, EACCES). Simulated: the tests run as root, where chmod does not bite."""
    def install(monkeypatch, root) -> None:
        real_open, real_mkdir, real_file = os.open, os.mkdir, builtins.open
        write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND

        def check(path):
            if str(os.path.abspath(path)).startswith(str(root)):
                raise OSError(code, os.strerror(code), str(path))

        def os_open(path, flags, *a, **kw):
            if flags & write_flags:
                check(path)
            return real_open(path, flags, *a, **kw)

        def mkdir(path, *a, **kw):
            if not os.path.isdir(path):
                check(path)
            return real_mkdir(path, *a, **kw)

        def file_open(file, mode="r", *a, **kw):
            if isinstance(file, (str, os.PathLike)) and set(mode) & set("wax+"):
                check(file)
            return real_file(file, mode, *a, **kw)

        monkeypatch.setattr(os, "open", os_open)
        monkeypatch.setattr(os, "mkdir", mkdir)
        monkeypatch.setattr(builtins, "open", file_open)
        monkeypatch.setattr(io, "open", file_open)
    return install


def _tables(tmp_path) -> None:
    """``in.jsonl``: two records; ``garbage.jsonl``: three lines that are not records."""
    rows = [{"key": "a" * 16, "epoch": 1, "auc": 0.5}, {"key": "b" * 16, "epoch": 1, "auc": 0.6}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "garbage.jsonl").write_bytes(b"not json\n[1, 2]\n\xff\xfe{}\n")
    (tmp_path / "disk").mkdir()


STORE_CASES = [
    # (argv, simulated failure of {tmp}/disk, phrase); tables from _tables
    (RUN + ["--no-progress", "--results", "{tmp}/disk/results.jsonl"], _full_disk, "the disk is full"),
    (["merge", "{tmp}/disk/out.jsonl", "{tmp}/in.jsonl"], _full_disk, "the disk is full"),
    (RUN + ["--no-progress", "--results", "{tmp}/disk/results.jsonl"], _refusing_folder(errno.EROFS),
     "read-only file system; pass --results to a writable path"),
    (["merge", "{tmp}/disk/out.jsonl", "{tmp}/in.jsonl"], _refusing_folder(errno.EACCES),
     "permission denied"),
    (["merge", "{tmp}/out.jsonl", "{tmp}/garbage.jsonl"], None, "none of its 3 line(s)"),
    (["show", "--results", "{tmp}/garbage.jsonl"], None, "none of its 3 line(s)"),
]


@pytest.mark.parametrize("argv,fail,phrase", STORE_CASES,
                         ids=[f"{a[0]} {getattr(f, '__name__', f)}" for a, f, _ in STORE_CASES])
def test_store_failure_is_one_clean_line(argv, fail, phrase, folders, tmp_path, capsys,
                                         monkeypatch):
    _tables(tmp_path)
    if fail:
        fail(monkeypatch, tmp_path / "disk")
    line = _fails_in_one_line(argv, phrase, tmp_path, capsys, monkeypatch, folders)
    if fail:
        assert f"{tmp_path}/disk/" in line, "the message names the file it could not write"
        written = [f for f in (tmp_path / "disk").rglob("*") if f.is_file() and f.stat().st_size]
        assert not written, f"a torn file was left behind: {written}"


def test_partly_unreadable_tables_say_how_many_lines_were_skipped(tmp_path, capsys):
    _tables(tmp_path)
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes((tmp_path / "in.jsonl").read_bytes() + (tmp_path / "garbage.jsonl").read_bytes())
    assert main(["merge", str(tmp_path / "out.jsonl"), str(mixed)]) == 0
    out, err = capsys.readouterr()
    assert "merged 2 new records" in out and "skipped 3 line(s)" in err
    store = ResultsStore(mixed)
    assert len(store.records()) == 2 and store.skipped == 3


API_CASES = [
    (lambda f: RunConfig(model="x"), ConfigError, "valid choices"),
    (lambda f: RunConfig(model="pca", extra={"k": 3}), ConfigError, "valid: components"),
    (lambda f: RunConfig(loss="ssim+mse"), ConfigError, "valid choices"),
    (lambda f: RunConfig(val_fraction=0.0), ConfigError, "(0, 1)"),
    (lambda f: ResultsStore(f["good"]), ConfigError, "is a directory"),
    (lambda f: ResultsStore(keep_scores="some"), ConfigError, "all, final, none"),
    (lambda f: run(RunConfig(dataset="folder:/nonexistent", epochs=1)), DataNotFoundError,
     "does not exist"),
    (lambda f: run(RunConfig(dataset=f"folder:{f['good']}", normal_class=12, epochs=1)),
     ConfigError, "valid classes"),
    (lambda f: load_dataset(f"folder:{f['corrupt']}"), BadDataError, "cannot read image"),
    (lambda f: load_dataset(f"folder:{f['mixed_sizes']}"), BadDataError, "differ in size"),
    (lambda f: make_split(load_dataset(f"folder:{f['good']}"), 3, contamination=300),
     ConfigError, "0-100"),
    (lambda f: __import__("aeutils").pick_device("tpu"), ConfigError, "valid choices here"),
    (lambda f: __import__("aeutils").per_sample_loss("l1", torch.zeros(1, 1, 28, 28),
                                                     torch.zeros(1, 1, 28, 28)),
     ConfigError, "valid choices"),
    (lambda f: __import__("aeutils").build_model("resnet", (1, 28, 28)), ConfigError,
     "valid choices"),
]


@pytest.mark.parametrize("call,error,phrase", API_CASES)
def test_api_bad_input_raises_one_line(call, error, phrase, folders, tmp_path, monkeypatch):
    monkeypatch.setenv("AEUTILS_RESULTS", str(tmp_path / "store" / "results.jsonl"))
    with pytest.raises(error) as info:
        call(folders)
    message = str(info.value)
    assert "\n" not in message and phrase in message, message
    assert not (tmp_path / "store" / "results.jsonl").exists()
