import pytest
import torch

from aeutils.config import ConfigError
from aeutils.data import DataNotFoundError, load_dataset, make_split


def test_one_vs_rest_split_sizes(grey_data):
    s = make_split(grey_data, normal_class=3, val_fraction=0.25, seed=0)
    assert len(s.val_x) == 2 * 10 and s.val_y.sum() == 10  # 10 held-out normals + 10 anomalies
    assert len(s.train_x) == 30 and not s.train_is_anomaly.any()
    assert len(s.test_x) == 120 and int(s.test_y.sum()) == 108  # nine other classes
    # training images are the normal class only
    normal = grey_data.train_x[grey_data.train_y == 3]
    assert all((normal == img).all(dim=(1, 2, 3)).any() for img in s.train_x)


def test_leave_one_out_swaps_roles(grey_data):
    s = make_split(grey_data, normal_class=3, protocol="leave-one-out", val_fraction=0.1)
    assert int(s.test_y.sum()) == 12  # only class 3 is anomalous
    assert s.info["n_train_normal"] + len(s.val_y) // 2 == 9 * 40


@pytest.mark.parametrize("pct", [0, 10, 50, 100])
def test_contamination_ratio(grey_data, pct):
    s = make_split(grey_data, normal_class=0, contamination=pct, val_fraction=0.1)
    n_normal = int((~s.train_is_anomaly).sum())
    assert int(s.train_is_anomaly.sum()) == round(pct / 100 * n_normal)


def test_contamination_too_high_names_maximum(grey_data):
    with pytest.raises(ConfigError, match="at most"):
        make_split(grey_data, normal_class=0, protocol="leave-one-out", contamination=100)


def test_split_is_deterministic_by_seed(grey_data):
    a, b = (make_split(grey_data, 1, contamination=20, seed=7) for _ in range(2))
    c = make_split(grey_data, 1, contamination=20, seed=8)
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.val_x, b.val_x)
    assert not torch.equal(a.val_x, c.val_x)


def test_max_train_caps_normals(grey_data):
    s = make_split(grey_data, 0, max_train=8, val_fraction=0.5)
    assert len(s.train_x) == 8 and len(s.val_y) == 16


def test_bad_class(grey_data):
    with pytest.raises(ConfigError, match="valid classes"):
        make_split(grey_data, normal_class=10)


def test_folder_loader_roundtrip_and_cache(synthetic_folder, grey_data, tmp_path):
    d = load_dataset(f"folder:{synthetic_folder}")
    assert d.train_x.dtype == torch.uint8 and d.shape == (1, 28, 28)
    assert d.classes == grey_data.classes and len(d.test_y) == len(grey_data.test_y)
    assert sorted(d.train_y.tolist()) == sorted(grey_data.train_y.tolist())
    caches = list((tmp_path / "cache").glob("*.pt"))
    assert len(caches) == 1
    from aeutils.data import datasets as data_mod

    data_mod._MEMORY.clear()
    again = load_dataset(f"folder:{synthetic_folder}")  # from the uint8 cache
    assert torch.equal(again.train_x, d.train_x)


def test_folder_errors(tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        load_dataset(f"folder:{tmp_path / 'nope'}")
    (tmp_path / "imgs" / "train" / "a").mkdir(parents=True)
    with pytest.raises(DataNotFoundError, match="no images"):
        load_dataset(f"folder:{tmp_path / 'imgs'}")
    (tmp_path / "only_train" / "train" / "a").mkdir(parents=True)
    from PIL import Image

    Image.new("L", (8, 8)).save(tmp_path / "only_train" / "train" / "a" / "x.png")
    with pytest.raises(DataNotFoundError, match="no 'test' split"):
        load_dataset(f"folder:{tmp_path / 'only_train'}")


def test_missing_torchvision_data_says_where(tmp_path, monkeypatch):
    monkeypatch.setenv("AEUTILS_DATA", str(tmp_path / "empty"))
    # Make the download fail fast and offline-like, whatever the network.
    import torchvision

    def no_download(self, *a, **k):
        raise RuntimeError("offline")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_download)
    with pytest.raises(DataNotFoundError, match="AEUTILS_DATA") as e:
        load_dataset("mnist")
    assert str(tmp_path / "empty") in str(e.value)


def test_max_test_is_one_fixed_shared_subset(grey_data):
    from aeutils.data import make_split

    a = make_split(grey_data, 0, max_test=50, seed=0)
    b = make_split(grey_data, 3, max_test=50, seed=1, protocol="leave-one-out")
    assert a.test_x is b.test_x and len(a.test_x) == 50 == a.info["n_test"]
    assert 0 < int(a.test_y.sum()) < 50
    full = make_split(grey_data, 0)
    assert full.test_x is grey_data.test_x and full.info["n_test"] == len(grey_data.test_y)
