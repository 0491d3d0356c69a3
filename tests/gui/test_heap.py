"""The window's C heap gives back the big blocks it frees (inspector/gui/heap.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from inspector.gui.heap import tune_heap

#: Frees a 16 MiB block (glibc then serves blocks up to that size from its heap and
#: keeps them), then makes and frees 40 blocks of 1 MiB, as a refresh's tables come
#: and go while a later block is held; prints how much more memory the process holds
#: afterwards, in MiB.
GROWTH = """
import sys
from inspector.gui.heap import tune_heap
if sys.argv[1] == "tuned":
    assert tune_heap()
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
big = b"x" * (16 * 2**20)  # written: its pages are really used
del big
before = rss()
blocks = [b"x" * 2**20 for _ in range(40)]
still = b"y" * 2**17  # a block made after them and still held (the next reading's)
del blocks
print(rss() - before)
"""


def growth(mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", GROWTH, mode], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


@pytest.mark.skipif(not tune_heap(), reason="not glibc: the heap is the platform's own")
def test_blocks_freed_after_a_big_one_go_back_to_the_system() -> None:
    untuned = growth("as-is")
    assert growth("tuned") < 4 < 30 < untuned  # glibc's default would have kept the 40 MiB
