"""Running a piece of a test as another user: a forked child that becomes ``nobody``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

NOBODY = 65534


def as_nobody(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """What ``work()`` returns when run by the user nobody (a forked child; root only).

    The child drops its group and user, runs ``work`` and sends its result back as
    JSON through a pipe; the test fails if the child did not get that far.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_fd)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.write(write_fd, json.dumps(work()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as f:
        out = f.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child running as nobody failed"
    result: dict[str, Any] = json.loads(out)
    return result
