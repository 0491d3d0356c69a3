"""Build a centralized_db deployment through Glance 33's own code, for a look or a screenshot.

    .venv/bin/python scripts/central_node_demo.py DIR

Makes ``DIR/glance.sqlite`` (schema by ``glance-manage db_sync``), image records
made with Glance's DB API (some deleted afterwards, as the v2 API deletes), two
nodes whose caches Glance's centralized_db driver fills and reads (hits), and
``DIR/glance-api.conf`` for node 1.  Prints the config's path:

    .venv/bin/cache-inspector --glance-config DIR/glance-api.conf

Needs the test extra (``./run test`` installs Glance into .venv).
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.services.glance_db import (
    CentralNode,
    FreshDatabases,
    create_image,
    delete_image,
    write_glance_conf,
)

NODES = ("http://glance-api-1.internal:9292", "http://glance-api-2.internal:9292")
MIB = 1024**2
IMAGES = (
    ("ubuntu-24.04-server-cloudimg-amd64", 58, False),
    ("debian-12-genericcloud-amd64", 42, False),
    ("cirros-0.6.2-x86_64-disk", 3, False),
    ("fedora-coreos-40.20240616", 51, True),
    ("rocky-9.4-GenericCloud-Base", 47, False),
    ("centos-stream-9-20240612", 44, True),
    ("windows-server-2022-eval-b", 64, False),
    ("k8s-node-1.30.2-20240701", 37, False),
    ("k8s-node-1.29.6-20240611", 36, True),
    ("gitlab-runner-base-v17", 29, False),
    ("postgres-appliance-16.3", 24, False),
    ("almalinux-9.4-GenericCloud", 45, False),
    ("opensuse-leap-15.6-minimal", 21, True),
    ("arch-linux-cloudimg-20240715", 19, False),
    ("flatcar-stable-3815.2.5", 18, False),
)


def main() -> int:
    root = Path(sys.argv[1]).resolve()
    root.mkdir(parents=True, exist_ok=True)
    # A synced copy of Glance's schema; the helper's own files go when it exits.
    dbs = FreshDatabases("sqlite")
    shutil.copyfile(dbs.new().removeprefix("sqlite:///"), root / "glance.sqlite")
    url = f"sqlite:///{root / 'glance.sqlite'}"
    rng = random.Random(7)
    made = []
    for name, mib, doomed in IMAGES:
        data = rng.randbytes(64) * (mib * MIB // 64)
        image = create_image(url, name=name, data=data)
        made.append((image["id"], data, doomed))
    nodes = [CentralNode(url, node, root / f"node-{n}") for n, node in enumerate(NODES, 1)]
    for n, (image_id, data, _doomed) in enumerate(made):
        for i, node in enumerate(nodes):
            if (n + i) % 3 != 2:  # each node caches what it served
                node.cache(image_id, data)
                node.read(image_id, times=rng.randint(0, 40))
    nodes[0].queue(str(__import__("uuid").uuid4()))
    for image_id, _data, doomed in made:
        if doomed:
            delete_image(url, image_id)
    for node in nodes:
        node.close()
    conf = write_glance_conf(
        root / "glance-api.conf",
        url,
        DEFAULT={
            "image_cache_dir": root / "node-1",
            "image_cache_driver": "centralized_db",
            "worker_self_reference_url": NODES[0],
            "image_cache_max_size": 512 * MIB,
            "image_cache_stall_time": 86400,
        },
    )
    print(conf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
