"""Under ``./run mutate`` only: the tests of a mutant's session run fastest first.

mutmut stops a session at its first failing test, and hands the tests over in no
useful order, so a mutant that a 0.1 s test kills could wait behind a live node's
tests first.  A pytest plugin of its own (``pytest_plugins`` in ``tests/conftest.py``)
so that its hook runs after every other: after the markers that ``-m`` selects by are
set, and after pytest's own ordering by fixture.
"""

from __future__ import annotations

import json
import os

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    fastest_first(items)


def fastest_first(items: list[pytest.Item]) -> None:
    """Under a mutant's run, order ``items`` by the duration mutmut measured for each.

    mutmut runs in its ``mutants/`` copy and keeps the durations there, by test id
    (without that prefix); a test it has not measured goes last, in its own order.
    """
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    try:
        with open("mutmut-stats.json", "rb") as f:
            took = json.load(f)["duration_by_test"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    never = float("inf")
    items.sort(key=lambda item: took.get(item.nodeid.removeprefix("mutants/"), never))
