"""Stage a results store for a commit while its grid is still running.

A group in training writes its score files at each checkpoint but appends its records
only when it ends, so a live store holds score files that no record names yet. This
stages the table and the score files that its records name, and leaves the others for
a later commit (``tests/test_shipped.py`` fails on a shipped score file without a record).

    python tools/stage_store.py results/compare/results.jsonl && git commit -m "…"
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aeutils.results import ResultsStore  # noqa: E402


def shippable(table: str | Path) -> tuple[list[Path], list[Path]]:
    """(the table and the score files its records name, score files of runs in training)."""
    store = ResultsStore(table)
    pending = store.orphan_score_files()
    return [store.path, *(f for f, _, _ in store.score_files() if f not in pending)], pending


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    named, pending = shippable(sys.argv[1])
    subprocess.run(["git", "add", "--", *map(str, named)], check=True)
    print(f"staged {len(named) - 1} score files and {named[0]}; left {len(pending)} of runs "
          f"still in training")
    return 0


if __name__ == "__main__":
    sys.exit(main())
