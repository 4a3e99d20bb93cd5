"""Every registered metric has a card, and the card agrees with the class it describes."""

from __future__ import annotations

import re

import pytest

from invbench.contracts.errors import UnknownNameError
from invbench.contracts.metric import Metric
from invbench.metrics.cards import REQUIRED_KEYS, cards_dir, list_cards, load_card
from invbench.plugins.catalog import METRICS

NAMES = METRICS.names()


def test_cards_folder_is_the_repository_one() -> None:
    assert cards_dir().name == "metrics"
    assert (cards_dir() / "wer.yaml").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_every_registered_metric_has_a_card(name: str) -> None:
    assert name in list_cards()
    card = load_card(name)
    assert card["name"] == name
    for key in REQUIRED_KEYS:
        assert card[key], f"card {name!r}: empty {key!r}"
    assert isinstance(card["references"], list) and card["references"]
    assert isinstance(card["caveats"], list) and card["caveats"]


@pytest.mark.parametrize("name", NAMES)
def test_card_outputs_match_the_class(name: str) -> None:
    cls = METRICS.get(name)
    assert issubclass(cls, Metric)
    assert cls.name == name
    card = load_card(name)
    assert card.get("class", f"{cls.__module__}:{cls.__qualname__}") == (
        f"{cls.__module__}:{cls.__qualname__}"
    )
    if "requires" in card:
        assert tuple(card["requires"]) == cls.requires
    assert [o["name"] for o in card["outputs"]] == [o.name for o in cls.outputs]
    for from_card, declared in zip(card["outputs"], cls.outputs, strict=True):
        assert from_card["higher_is_better"] is declared.higher_is_better
        assert tuple(from_card["range"]) == declared.value_range


@pytest.mark.parametrize("name", NAMES)
def test_signature_ends_with_version_and_lists_the_card_fields(name: str) -> None:
    metric = METRICS.get(name)()
    signature = metric.signature()
    assert re.fullmatch(rf"{re.escape(name)}(\|[a-z_0-9]+:[^|]+)*\|version:\d+", signature)
    keys = [part.split(":", 1)[0] for part in signature.split("|")[1:]]
    assert set(keys) == set(load_card(name)["signature_fields"])


def test_unknown_card_suggests_a_name() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'wer'"):
        load_card("wre")


def test_cards_are_fresh_copies() -> None:
    load_card("wer")["outputs"].clear()
    assert load_card("wer")["outputs"]
