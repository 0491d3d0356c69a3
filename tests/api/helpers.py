"""What the tests of nodes read through their cache API share: the CLI, images, nodes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.services import wait_until

CLI = str(Path(sys.executable).parent / "cache-inspector-cli")


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any OpenStack credentials, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(extra)
    return env


def cli(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(env) if env is not None else clean_env(),
        stdin=subprocess.DEVNULL,
    )


def cli_json(*args: str, env: Mapping[str, str] | None = None) -> Any:
    r = cli(*args, "--json", env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def images(node: Any, sizes: list[int], prefix: str = "img") -> list[str]:
    """Images uploaded through ``node``'s image API, one per size (distinct bytes)."""
    return [
        node.upload_image(f"{prefix}-{n}", bytes([65 + n % 26]) * size)
        for n, size in enumerate(sizes)
    ]


def wait_hits(node: Any, image_id: str, hits: int) -> None:
    """Glance counts a hit when the response is closed, just after the last byte."""

    def counted() -> bool:
        rows = {r["image_id"]: r for r in node.cache_state()["cached_images"]}
        return rows.get(image_id, {}).get("hits") == hits

    wait_until(counted, timeout=10, what=f"hit {hits} of {image_id}")
