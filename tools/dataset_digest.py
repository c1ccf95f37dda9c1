"""Print a dataset's key identity and a SHA-256 of its decoded pixels and labels.

Two machines that print the same line train on the same images under the same keys, so
their result stores can be merged (``python -m aeutils merge``); a different digest
means a different decoder (e.g. another libjpeg) gave other pixels for the same files.

    AEUTILS_DATA=../shared/data python tools/dataset_digest.py cifar10 [--expect LINE]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aeutils.data import dataset_identity, load_dataset, resolve_dataset  # noqa: E402


def digest(name: str) -> str:
    resolved = resolve_dataset(name)
    data = load_dataset(resolved)
    h = hashlib.sha256()
    for t in (data.train_x, data.train_y, data.test_x, data.test_y):
        h.update(t.contiguous().numpy().tobytes())
    return f"{name} {dataset_identity(resolved)} pixels-sha256:{h.hexdigest()[:16]}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", help="logical name, e.g. mnist or cifar10")
    ap.add_argument("--expect", help="exit 1 unless the printed line equals this one")
    args = ap.parse_args()
    line = digest(args.dataset)
    print(line)
    if args.expect is not None and line != args.expect:
        print(f"expected: {args.expect}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
