import json
import os

from aeutils.config import RunConfig
from aeutils.experiments.store import ResultsStore


def rec(cfg: RunConfig, epoch: int, auc: float = 0.5) -> dict:
    return {"key": cfg.key(), "epoch": epoch, "auc": auc, **cfg.to_dict()}


def test_append_and_lookup(tmp_path):
    store = ResultsStore(tmp_path / "r.jsonl")
    cfg = RunConfig(epochs=2, checkpoints=(1,))
    assert store.missing_epochs(cfg) == [1, 2]
    assert store.append([rec(cfg, 1)]) == 1
    assert store.missing_epochs(cfg) == [2]
    store.append([rec(cfg, 2)])
    assert store.has(cfg)
    # re-appending is a no-op: one record per (key, epoch)
    assert store.append([rec(cfg, 2, auc=0.9)]) == 0
    fresh = ResultsStore(tmp_path / "r.jsonl")
    assert [r["auc"] for r in fresh.get(cfg)] == [0.5, 0.5]


def test_interrupted_write_is_ignored_and_repaired(tmp_path):
    path = tmp_path / "r.jsonl"
    store = ResultsStore(path)
    a, b = RunConfig(seed=1, epochs=1), RunConfig(seed=2, epochs=1)
    store.append([rec(a, 1)])
    # simulate a writer killed half-way through its line
    line = json.dumps(rec(b, 1)) + "\n"
    with open(path, "a") as f:
        f.write(line[: len(line) // 2])
    reader = ResultsStore(path)
    assert len(reader.records()) == 1 and reader.has(a) and not reader.has(b)
    # the next append cuts the partial tail and the table stays valid JSON Lines
    reader.append([rec(b, 1)])
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(x) for x in lines)
    assert ResultsStore(path).has(b)


def test_merge_is_idempotent(tmp_path):
    s1, s2 = ResultsStore(tmp_path / "a/r.jsonl"), ResultsStore(tmp_path / "b/r.jsonl")
    c1, c2 = RunConfig(seed=1, epochs=1), RunConfig(seed=2, epochs=1)
    s1.append([rec(c1, 1)])
    s2.append([rec(c2, 1), rec(c1, 1)])
    s2.save_scores(c2.key(), 1, [0.1, 0.2], [0, 1])
    out = ResultsStore(tmp_path / "m/r.jsonl")
    assert out.merge([s1.path, s2.path]) == 2
    size = out.path.stat().st_size
    assert out.merge([s1.path, s2.path]) == 0
    assert out.path.stat().st_size == size
    assert list(out.load_scores(c2.key(), 1)["labels"]) == [0, 1]


def test_merge_of_some_keys_takes_only_their_records_and_score_files(tmp_path):
    src = ResultsStore(tmp_path / "a/r.jsonl")
    c1, c2 = RunConfig(seed=1, epochs=1), RunConfig(seed=2, epochs=1)
    src.append([rec(c1, 1), rec(c2, 1)])
    for c in (c1, c2):
        src.save_scores(c.key(), 1, [0.1, 0.2], [0, 1])
    out = ResultsStore(tmp_path / "m/r.jsonl")
    assert out.merge([src.path], keys={c2.key()}) == 1
    assert [r["key"] for r in out.records()] == [c2.key()]
    assert sorted(p.name for p in out.scores_dir.glob("*.npz")) == [f"{c2.key()}-e1.npz"]


def test_a_claim_is_taken_over_only_from_a_dead_process_of_this_machine(tmp_path):
    import socket

    from aeutils.experiments import store as results

    store = ResultsStore(tmp_path / "r.jsonl")
    store.claims_dir.mkdir(parents=True)
    dead = 2**22 + 12345  # above Linux's pid_max: no such process
    owners = {
        "dead-here": f"{results._machine()} {dead}",
        "dead-here-old-format": f"{socket.gethostname()} {dead}",
        # another machine that shares this host name (a container, a copied checkout)
        "same-name-elsewhere": f"{socket.gethostname()}/ffffffff {dead}",
        "alive-here": f"{results._machine()} {os.getpid()}",
    }
    for key, owner in owners.items():
        (store.claims_dir / key).write_text(owner)
    with store.claim(owners) as mine:
        assert mine == {"dead-here", "dead-here-old-format"}


def test_a_full_disk_mid_append_leaves_the_table_as_it_was(tmp_path, monkeypatch):
    import errno

    import pytest

    from aeutils.errors import StoreError
    from aeutils.experiments import store as results

    store = ResultsStore(tmp_path / "r.jsonl")
    a, b = RunConfig(seed=1, epochs=1), RunConfig(seed=2, epochs=1)
    store.append([rec(a, 1)])
    before = store.path.read_bytes()

    def half_then_full(fd, data):
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(results, "_write_all", half_then_full)
    with pytest.raises(StoreError, match=r"r\.jsonl: the disk is full; free space"):
        store.append([rec(b, 1)])
    assert store.path.read_bytes() == before
