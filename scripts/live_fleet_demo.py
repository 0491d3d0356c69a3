"""Run a real two-node Glance fleet on loopback for a look at the Fleet view (or a screenshot).

    .venv/bin/python scripts/live_fleet_demo.py [SECONDS]

Starts two glance-api nodes (Glance 33's WSGI app, centralized_db cache, one SQLite
database and image store), uploads images through the API, has each node serve (and
so cache) some of them, deletes one image in Glance, prints the database URL on a line
of its own, then keeps the nodes running for SECONDS (default 600) or until Ctrl+C:

    .venv/bin/cache-inspector --fleet --db URL

Needs the test extra (``./run test`` installs Glance into .venv).
"""

from __future__ import annotations

import contextlib
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.services.glance_api import Fleet

IMAGES = (
    ("ubuntu-24.04-server-cloudimg", 9, (0, 1)),
    ("debian-12-genericcloud", 7, (0, 1)),
    ("cirros-0.6.2", 1, (0, 1)),
    ("rocky-9.4-GenericCloud", 8, (0,)),
    ("k8s-node-1.30.2", 6, (1,)),
    ("windows-server-2022-eval", 12, (1,)),
    ("postgres-appliance-16.3", 4, (0,)),
    ("fedora-coreos-40", 8, (0, 1)),
)
#: Deleted in Glance once cached: the waste the Fleet view points at.
DOOMED = "fedora-coreos-40"
MIB = 1024**2


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 600.0
    rng = random.Random(13)
    with Fleet(2) as fleet:
        nodes = list(fleet)
        for name, mib, served_by in IMAGES:
            image_id = nodes[0].upload_image(name, rng.randbytes(64) * (mib * MIB // 64))
            for n in served_by:
                for _ in range(rng.randint(1, 4)):
                    nodes[n].download(image_id)
            if name == DOOMED:
                nodes[0].delete_image(image_id)
        print(fleet.db_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
