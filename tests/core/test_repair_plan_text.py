"""``audit --repair``: the repair plan as the user reads it before answering, in this process.

A copy of a sqlite cache Glance wrote, with every problem its kind can have
(``tests/core/test_audit.py``'s injections); without ``--yes`` and without a
terminal the plan is shown, the question refused, and nothing changes.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from inspector.cli import main
from tests.core.test_audit import _broken
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, IDS, disk_state

PROG = "cache-inspector-cli"


@pytest.mark.parametrize(
    ("choice", "fix", "what"),
    [
        ("--adopt", "adopt", "record the file's 4,002 bytes as the service does on commit"),
        ("--delete-untracked", "delete file", "delete 4,002 bytes no metadata knows"),
    ],
)
@pytest.mark.parametrize("kind", ["sqlite"])
def test_the_plan_names_each_fix_and_the_question_counts_them(
    glance: GlanceService,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    choice: str,
    fix: str,
    what: str,
) -> None:
    root = _broken(glance, tmp_path)
    before = disk_state(root)
    out = io.StringIO()
    code = main(["audit", str(root), "--repair", choice], out=out)
    assert code == 2
    text = out.getvalue()
    plan = text[text.index("Repair plan:\n") :].splitlines()
    assert [" ".join(line.split()) for line in plan[1:6]] == [
        "REPAIR ID WHAT",
        f"drop row {CACHED[2]} drop the row: its file is not there",
        f"{fix} {CACHED[3]} {what}",
        f"correct size {CACHED[4]} record 5,002 bytes (the file's), not 12",
        f"remove empty file {CACHED[5]} remove the empty file and its metadata",
    ]
    assert [" ".join(line.split()) for line in plan[9:11]] == [
        "not-an-image notes.txt not an image: never touched (delete it yourself if it is junk)",
        f"stray-symlink {IDS[15]} a symbolic link: never touched (remove it with delete)",
    ]
    assert capsys.readouterr().err == (
        f"{PROG}: error: Repair 4 entries in {root} (1 drop row, 1 {fix}, 1 correct size, "
        "1 remove empty file): refused without --yes (standard input is not a terminal).\n"
    )
    assert disk_state(root) == before


@pytest.mark.parametrize("kind", ["sqlite"])
def test_without_a_choice_a_file_without_a_row_is_left_alone_and_says_why(
    glance: GlanceService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _broken(glance, tmp_path)
    out = io.StringIO()
    assert main(["audit", str(root), "--repair"], out=out) == 2
    left = out.getvalue()[out.getvalue().index("Not repaired:\n") :].splitlines()
    assert (
        f"file-without-row {CACHED[3]} file without a row: choose --adopt or --delete-untracked"
    ) in [" ".join(line.split()) for line in left[2:]]
    assert "(1 drop row, 1 correct size, 1 remove empty file)" in capsys.readouterr().err
