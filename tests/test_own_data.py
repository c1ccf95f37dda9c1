"""A user's own image folder: reading mixed images by one rule, scoring a folder, the demo
folder, and notebook 06 run with papermill on a folder with no dataset installed."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import class_images
from PIL import Image

from aeutils.cli.reproduce import repo_root
from aeutils.data import BadDataError, DataNotFoundError, load_images, save_images
from aeutils.experiments.folder import demo_folder, score_folder


def _mixed(folder, c: int, n: int, seed: int) -> None:
    """``n`` images of class ``c`` in four kinds: grey PNG 28×28, RGB PNG 32×32, grey JPEG
    20×24 and RGB JPEG 40×36 (the file names say nothing of the class)."""
    grey, rgb = class_images(n, c, 1, 28, seed), class_images(n, c, 3, 32, seed)
    k = n // 4
    save_images(grey[:k], folder, [f"g{seed}_{i}" for i in range(k)])
    save_images(rgb[k:2 * k], folder, [f"r{seed}_{i}" for i in range(k)])
    for i, a in enumerate(grey[2 * k:3 * k]):
        Image.fromarray(a[0]).resize((24, 20)).save(folder / f"j{seed}_{i}.jpg", quality=90)
    for i, a in enumerate(rgb[3 * k:]):
        Image.fromarray(a.transpose(1, 2, 0)).resize((36, 40)).save(folder / f"k{seed}_{i}.jpeg")


@pytest.fixture
def user_folder(tmp_path):
    root = tmp_path / "my-images"
    _mixed(root / "train", 0, 48, seed=1)
    _mixed(root / "new" / "normal", 0, 12, seed=2)
    _mixed(root / "new" / "anomaly", 5, 12, seed=3)
    return root


def test_load_images_converts_and_resizes_by_one_rule(user_folder):
    train = user_folder / "train"
    with pytest.raises(BadDataError, match="differ in size.*size=") as err:
        load_images(train)
    assert "\n" not in str(err.value)
    x = load_images(train, size=16)
    assert x.shape == (48, 3, 16, 16) and x.dtype == np.uint8  # some are RGB: all RGB
    assert load_images(train, size=(12, 20), mode="L").shape == (48, 1, 12, 20)
    grey = user_folder / "grey"
    save_images(class_images(3, 1, 1, 28), grey)
    assert load_images(grey).shape == (3, 1, 28, 28)  # all grey: one channel, size kept
    back = load_images(grey)
    assert np.array_equal(back, class_images(3, 1, 1, 28))  # PNG is lossless


def test_empty_or_unreadable_folders_fail_in_one_line(tmp_path, user_folder):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match="no images"):
        load_images(tmp_path / "empty")
    with pytest.raises(DataNotFoundError, match="does not exist"):
        load_images(tmp_path / "nowhere")
    (user_folder / "train" / "broken.png").write_bytes(b"not an image")
    with pytest.raises(BadDataError, match="cannot read image .*broken.png") as err:
        score_folder(user_folder, epochs=1, size=16)
    assert "\n" not in str(err.value)
    with pytest.raises(DataNotFoundError, match="has no train/: expected train/"):
        score_folder(user_folder / "new", epochs=1)


def test_score_folder_without_labels(tmp_path, user_folder):
    (user_folder / "new" / "anomaly").rename(tmp_path / "elsewhere")  # labels unknown now
    for f in (user_folder / "new" / "normal").iterdir():
        f.rename(user_folder / "new" / f.name)
    (user_folder / "new" / "normal").rmdir()
    result = score_folder(user_folder, epochs=1, size=16)
    assert list(result.table.columns) == ["file", "score", "flagged"] and not result.labelled
    assert len(result.table) == 12 and result.images.shape == (12, 3, 16, 16)
    assert result.table["flagged"].tolist() == (result.table["score"] > result.threshold).tolist()
    numbers = result.numbers("folder my-images")
    assert "auc" not in numbers and numbers["n_new"] == 12 and numbers["n_train"] == 48


def test_demo_folder_needs_a_dataset_and_writes_the_layout(tmp_path, synthetic_folder):
    with pytest.raises(DataNotFoundError, match="no folder given and no dataset") as err:
        demo_folder({"mnist": f"folder:{tmp_path / 'none'}"})
    assert "\n" not in str(err.value)
    root, source = demo_folder({"x": f"folder:{tmp_path / 'none'}",
                                "mnist": f"folder:{synthetic_folder}"},
                               tmp_path / "demo", normal_class=2, max_train=30, max_new=50)
    assert len(list((root / "train").glob("*.png"))) == 30
    normal, anomaly = (len(list((root / "new" / s).glob("*.png"))) for s in ("normal", "anomaly"))
    assert normal + anomaly == 50 and normal > 0 and anomaly > normal
    assert source.startswith("folder synthetic") and "class c2" in source


@pytest.mark.long(seconds=40)
def test_notebook_06_scores_a_user_folder_without_any_dataset(tmp_path, monkeypatch, user_folder):
    import papermill

    notebook = repo_root() / "notebooks" / "06_your_own_data.ipynb"
    declared = set(papermill.inspect_notebook(str(notebook)))  # what reproduce may inject
    assert {"profile", "datasets", "results", "figures", "folder", "model", "loss", "epochs",
            "size"} <= declared
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("AEUTILS_DATA", str(empty))
    figures = tmp_path / "figs"
    out = tmp_path / "06.ipynb"
    papermill.execute_notebook(
        str(notebook), str(out),
        parameters={"profile": "smoke", "folder": str(user_folder), "figures": str(figures),
                    "epochs": 2, "size": 16, "n_shown": 8},
        kernel_name="python3", cwd=str(tmp_path), progress_bar=False)

    numbers = json.loads((figures / "numbers" / "06_your_own_data_numbers.json").read_text())
    d = numbers["folder"]
    assert (d["n_train"], d["n_new"], d["n_anomalies"]) == (48, 24, 12)
    assert d["size"] == [16, 16] and d["mode"] == "RGB" and 0 <= d["auc"] <= 1
    assert d["source"] == "folder my-images" and numbers["findings"]
    csv = pd.read_csv(figures / "tables" / "06_scores.csv")
    assert list(csv.columns) == ["file", "score", "flagged", "label"] and len(csv) == 24
    assert csv["score"].is_monotonic_decreasing and csv["flagged"].sum() == d["n_flagged"]
    assert (csv["flagged"] == (csv["score"] > d["threshold"])).all()
    assert set(csv["file"].str.split("/").str[0]) == {"normal", "anomaly"}
    manifest = json.loads((figures / "MANIFEST.json").read_text())["figures"]
    assert {e["name"] for e in manifest} == {"06_most_anomalous", "06_scores_threshold"}
    text = "".join(o.get("text", "") for c in nbformat.read(out, as_version=4).cells
                   if c.cell_type == "code" for o in c.get("outputs", []))
    assert f"{d['n_flagged']} of 24 images flagged" in text
    assert not list(empty.iterdir()), "a dataset was fetched"


def test_the_folder_figures_fit_a_slide(user_folder):
    import matplotlib.pyplot as plt

    from aeutils import plots
    from aeutils.plots import style

    plots.set_style()
    table = pd.DataFrame({"file": [f"normal/a_long_file_name_{i}.png" for i in range(20)],
                          "score": np.linspace(0, 1, 20), "label": ["normal", "anomaly"] * 10})
    table["flagged"] = table["score"] > 0.9
    images = class_images(20, 3, 3, 32)
    for fig in (plots.most_anomalous(images, table, 0.9, "folder x", n=16, note="basic/mse"),
                plots.score_distribution(table, 0.9, "folder x", note="basic/mse"),
                plots.score_distribution(table.drop(columns="label"), 0.9, "folder x")):
        w, h = fig.get_size_inches()
        assert w <= style.SLIDE[0] + 1e-6 and h <= style.SLIDE[1] + 1e-6
        assert min(style.slide_text_sizes(fig)) >= style.MIN_PT - 1e-6
        plt.close(fig)
