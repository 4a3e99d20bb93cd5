import pytest

from invbench.cli.evaluate import parse_shard
from invbench.contracts.errors import InvbenchError
from invbench.harness.evaluation import select_items
from invbench.targets.target_set import TargetItem, TargetSet


def _set(n):
    items = [TargetItem(f"t{i:03d}", {"text": "x"}) for i in range(n)]
    return TargetSet("s", 1, "0" * 64, root=None, manifest={}, items=items)


@pytest.mark.parametrize(("n", "limit", "shards"), [(10, None, 3), (10, 7, 2), (5, None, 5)])
def test_shards_partition_the_selected_targets(n, limit, shards):
    target_set = _set(n)
    whole = [item.id for item in select_items(target_set, limit, None)]
    parts = [[item.id for item in select_items(target_set, limit, (i, shards))]
             for i in range(1, shards + 1)]
    assert sorted(sum(parts, [])) == whole  # disjoint and complete
    assert parts == [[item.id for item in select_items(target_set, limit, (i, shards))]
                     for i in range(1, shards + 1)]  # deterministic


@pytest.mark.parametrize(("text", "expected"), [("1/4", (1, 4)), ("4/4", (4, 4)), ("", None)])
def test_parse_shard(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/4", "5/4", "1-4", "a/b"])
def test_parse_shard_rejects(text):
    with pytest.raises(InvbenchError, match="i/N"):
        parse_shard(text)
