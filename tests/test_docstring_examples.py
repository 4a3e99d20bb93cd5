"""The runnable examples in contract, metric and leaderboard docstrings stay runnable."""

import doctest
import importlib
import pkgutil

import pytest

import invbench.contracts
import invbench.leaderboard
import invbench.metrics

MODULES = sorted(
    f"{package.__name__}.{info.name}"
    for package in (invbench.contracts, invbench.metrics, invbench.leaderboard)
    for info in pkgutil.iter_modules(package.__path__)
)


@pytest.mark.parametrize("name", MODULES)
def test_examples_pass(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_examples_exist():
    attempted = sum(doctest.testmod(importlib.import_module(n)).attempted for n in MODULES)
    assert attempted >= 10
