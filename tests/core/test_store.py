import json

from invbench.store.run_store import RunStore, read_runs


def test_torn_last_line_is_ignored_and_repaired(tmp_path):
    store = RunStore(tmp_path / "run")
    store.create()
    store.append({"key": "a", "status": "ok"})
    store.append({"key": "b", "status": "error"})
    with store.records_path.open("a") as handle:
        handle.write('{"key": "c", "stat')  # a write cut by SIGKILL
    assert set(store.latest_records()) == {"a", "b"}
    store.create()  # resuming terminates the torn line
    store.append({"key": "c", "status": "ok"})
    assert store.completed_keys() == {"a", "c"}


def test_last_record_per_key_wins_and_runs_merge(tmp_path):
    one, two = RunStore(tmp_path / "one"), RunStore(tmp_path / "two")
    for store in (one, two):
        store.create()
    one.append({"key": "k", "status": "error"})
    one.append({"key": "k", "status": "ok", "v": 1})
    two.append({"key": "m", "status": "ok"})
    merged = {r["key"]: r for r in read_runs([one.root, two.root])}
    assert merged["k"]["v"] == 1 and set(merged) == {"k", "m"}


def test_manifest_written_atomically(tmp_path):
    store = RunStore(tmp_path)
    store.write_manifest({"a": 1})
    assert json.loads(store.manifest_path.read_text()) == {"a": 1}
    assert not list(tmp_path.glob(".manifest.json.*"))
