"""Time the README's two commands on a fresh clone of this checkout's HEAD.

Clones HEAD into a temporary folder (nothing of this work tree is reused: no virtual
environment, no results store, no dataset cache), then runs, in the clone and one after the
other, ``make test`` and ``make reproduce`` (the ``quick`` profile by default), each
creating the virtual environment on first use as a new user's would. It writes the
wall time of each command, the notebooks' own times (``build/notebooks/timings.json``)
and the machine to ``--json``. Run it on a quiet machine: a timing measured beside other
work says nothing.

    AEUTILS_DATA=/path/to/data python scripts/time_fresh_clone.py \
        --json benchmarks/results/fresh_clone.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: Path, env: dict, log: Path) -> float:
    """Wall seconds of ``cmd``; its output goes to ``log``; a failure stops the script."""
    t0 = time.perf_counter()
    with open(log, "w") as f:
        rc = subprocess.call(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - t0
    if rc:
        kept = ROOT / "build" / log.name  # the clone is deleted on exit; its log is not
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(log.read_bytes())
        sys.exit(f"{' '.join(cmd)} failed (exit {rc}); its output: {kept}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default="build/fresh_clone.json", help="where to write the times")
    ap.add_argument("--profile", default="quick", help="PROFILE of make reproduce")
    ap.add_argument("--only", choices=("test", "reproduce"), action="append",
                    help="time only this command (repeatable; default both)")
    args = ap.parse_args()
    data = os.environ.get("AEUTILS_DATA")
    if not data or not Path(data).is_dir():
        sys.exit("set AEUTILS_DATA to a folder holding MNIST and CIFAR-10 (see README, Data)")
    commit = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True)
    env = {**os.environ, "AEUTILS_DATA": str(Path(data).resolve())}
    env.pop("VIRTUAL_ENV", None)
    env["PYTEST_ADDOPTS"] = "--durations=10"  # printed, not a change to what runs
    path = Path(args.json)  # --only updates its commands and keeps the others' times
    out = json.loads(path.read_text()) if args.only and path.exists() else {"commands": {}}
    out["machine"] = f"{platform.machine()}, {os.cpu_count()} CPU cores"
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        env["AEUTILS_CACHE"] = str(Path(tmp) / "cache")  # no decoded dataset from earlier runs
        subprocess.check_call(["git", "clone", "-q", str(ROOT), str(clone)])
        for name in args.only or ("test", "reproduce"):
            cmd = ["make", name] + ([f"PROFILE={args.profile}"] if name == "reproduce" else [])
            created = not (clone / ".venv").exists()  # the first command creates it
            seconds = timed(cmd, clone, env, Path(tmp) / f"{name}.log")
            row = {"seconds": round(seconds, 1), "minutes": round(seconds / 60, 2),
                   "commit": commit.strip(), "date": time.strftime("%Y-%m-%d"),
                   "created_environment": created}
            if name == "test":  # pytest's slowest tests, for where the time goes
                log = (Path(tmp) / "test.log").read_text().splitlines()
                row["slowest"] = [line for line in log if " call " in line][:10]
                # the tests write nothing into the work tree (ignored paths aside: .venv/, build/)
                row["untracked_after"] = subprocess.check_output(
                    ["git", "status", "--porcelain", "--untracked-files=all"], cwd=clone,
                    text=True).splitlines()
            if name == "reproduce":
                row["profile"] = args.profile
                row["verdict"] = json.loads((clone / "figures" / "numbers" /
                                             "reproduction_verdict_numbers.json").read_text())["lines"]
                row["notebook_seconds"] = json.loads(
                    (clone / "build" / "notebooks" / "timings.json").read_text())
            out["commands"][" ".join(cmd)] = row
            print(f"{' '.join(cmd)}: {seconds / 60:.1f} min", flush=True)
            if row.get("untracked_after"):
                print(f"warning: {name} left {len(row['untracked_after'])} changed or untracked "
                      f"path(s) in the clone: {row['untracked_after'][:5]}", flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"written {args.json}")


if __name__ == "__main__":
    main()
