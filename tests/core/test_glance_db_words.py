"""What Glance's central database makes the inspector say, in the functions that say it:
a node the database does not record (with the nodes it does, the first ten named),
and an image's status (a deleted row is deleted whatever its status column holds)."""

from __future__ import annotations

import pytest

from inspector.core.errors import CacheError
from inspector.core.glance_db import Node, _no_such_node, image_status

DB = "sqlite:////var/lib/glance/glance.sqlite"


def nodes(n: int) -> list[Node]:
    return [Node(i, f"http://node-{i}:9292") for i in range(1, n + 1)]


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (0, "it records no node at all"),
        (1, "its nodes are: http://node-1:9292"),
        (10, "its nodes are: " + ", ".join(f"http://node-{i}:9292" for i in range(1, 11))),
        (
            11,
            "its nodes are: "
            + ", ".join(f"http://node-{i}:9292" for i in range(1, 11))
            + " and 1 more",
        ),
        (
            13,
            "its nodes are: "
            + ", ".join(f"http://node-{i}:9292" for i in range(1, 11))
            + " and 3 more",
        ),
    ],
)
def test_a_node_not_recorded_is_refused_naming_the_first_ten_it_records(
    count: int, said: str
) -> None:
    with pytest.raises(CacheError) as caught:
        _no_such_node(DB, "http://other:9292", nodes(count))
    assert str(caught.value) == f"Node http://other:9292 is not in Glance's database {DB}: {said}."


def test_a_deleted_image_row_is_deleted_whatever_its_status_says() -> None:
    assert image_status("pending_delete", True) == "deleted"  # delayed delete
    assert image_status("deleted", 1) == "deleted"
    assert image_status("active", False) == "active"
    assert image_status("queued", 0) == "queued"
