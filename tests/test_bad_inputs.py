"""Every bad input fails fast with one line naming what is valid: no traceback, a non-zero
exit, and nothing written to the results store. Table-driven, through the CLI and the API."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from aeutils import ConfigError, RunConfig, run
from aeutils.__main__ import main
from aeutils.data import BadDataError, DataNotFoundError, load_dataset, make_split
from aeutils.results import ResultsStore


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
    d = root / "odd_size"  # 30×30: the conv autoencoder needs sides divisible by 4
    for split in ("train", "test"):
        for c in range(2):
            (d / split / str(c)).mkdir(parents=True)
            for i in range(12):
                Image.fromarray((np.random.default_rng(i).random((30, 30)) * 255)
                                .astype(np.uint8)).save(d / split / str(c) / f"{i}.png")
    out["odd_size"] = d
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
    (RUN + ["--model", "conv", "--hidden", "8,16,32"], "two channel counts"),
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
    (RUN + ["--epochs", "abc"], "invalid int value"),
    (RUN + ["--checkpoints", "x"], "invalid"),
    (["run", "--no-such-option"], "unrecognized arguments"),
    (["grid", "--profile", "nope"], "valid choices: smoke, quick"),
    (["grid", "--profile", "smoke", "--block", "nope"], "valid choices: main"),
    (["grid", "--profile", "smoke", "--shard", "5/4"], "need 0 <= i < n"),
    (["grid", "--profile", "smoke", "--shard", "abc"], "i/n"),
    (["grid", "--profile", "smoke", "--dataset-map", "cifar10"], "NAME=DATASET"),
    (["grid", "--profile", "smoke", "--max-group", "0"], "at least 1"),
    (["grid", "--profile", "smoke", "--keep-scores", "some"], "invalid choice"),
    (["grid", "--profile", "smoke", "--device", "tpu"], "valid choices here"),
    (["merge", "{tmp}/out.jsonl", "{tmp}/missing.jsonl"], "no such results table"),
    (["merge", "{tmp}", "{tmp}/missing.jsonl"], "is a directory"),
    (["reproduce", "--profile", "nope"], "valid choices"),
    (["reproduce", "--profile", "smoke", "--only", "zzz"], "match"),
    (["reproduce", "--profile", "nope-never-shipped", "--render"], "valid choices"),
    (["show", "--results", "{tmp}"], "is a directory"),
    (["nope"], "invalid choice"),
]


@pytest.mark.parametrize("argv,phrase", CASES, ids=[" ".join(a[:1] + a[-2:]) for a, _ in CASES])
def test_cli_bad_input_is_one_clean_line(argv, phrase, folders, tmp_path, capsys, monkeypatch):
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
