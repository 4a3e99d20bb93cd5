"""The built-in inverters' config hashes are part of every resume key and published row: a
refactor that changes one silently orphans old runs, so they are pinned here (golden table) and
checked against the hashes in the published leaderboards."""

from pathlib import Path

import pandas as pd
import pytest

from invbench.contracts.inverter import config_hash
from invbench.plugins.catalog import INVERTERS
from invbench.plugins.inverter_factory import make_inverter

LEADERBOARDS = Path(__file__).resolve().parents[2] / "leaderboard"

# (name, default config hash) as published with the mini leaderboards.
GOLDEN = {
    "asr-bridge": "1d3a8a4c9cd9",
    "captioner-bridge": "10ac42342827",
    "generator-bridge": "ac1843d0b61d",
    "noise": "2a3cdb310e6e",
    "pez": "1ffe04f3440f",
    "pixels-adam": "6d3d4c6bf24c",
    "pixels-perturb": "e7580464f195",
    "random-search": "8d1a2ddf6fa5",
    "random-tokens": "70f5d0314e5f",
    "reference": "f436d391b06c",
    "soft-prompt": "fb86238373f8",
    "tts-bridge": "9111e05dbe75",
    "waveform-adam": "2eaf9100f3c1",
    "waveform-perturb": "c6dd1664d79e",
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_default_config_hash_is_unchanged(name):
    assert config_hash(make_inverter(name)) == GOLDEN[name]


def test_every_published_row_uses_a_pinned_hash():
    csvs = sorted(LEADERBOARDS.glob("mini-*.csv"))
    assert len(csvs) == 3, csvs
    published = set()
    for path in csvs:
        table = pd.read_csv(path)
        published |= set(zip(table["inverter"], table["config_hash"], strict=True))
    pinned = {(name, chash) for name, chash in GOLDEN.items()}
    # every row of the published boards comes from a built-in at its pinned hash
    assert published - pinned == set()
    assert {name for name, _ in published} <= set(INVERTERS.builtin_names())
