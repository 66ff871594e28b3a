"""/metrics under the README's gunicorn (``scripts/serve``: ``gunicorn --config
gunicorn.conf.py --workers 2``, no metrics folder named, SQLite): a small load of checkouts,
and the orders placed are the sum over both workers, as are the requests."""

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from core.extensions import db
from tests.cluster.nodes import Node, seed_shop
from tests.conftest import make_app
from tests.support.metrics import sample

pytestmark = [pytest.mark.cluster, pytest.mark.realtime]
ROUND = 24  # orders a round; rounds go on until both workers have placed some
ROUNDS = 10

#: the lines an operator reads for a checkout load (printed, and kept as a sample)
SAMPLE_PREFIXES = ("shop_orders_placed_total", 'shop_http_requests_total{endpoint="storefront_api',
                   'shop_http_request_seconds_count{endpoint="storefront_api')


def _orders_in(metrics_dir, pid: int, tmp_path) -> float:
    """The orders one worker counted: its counter file alone, read as /metrics reads all."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    alone = tmp_path / f"worker-{pid}"
    alone.mkdir()
    shutil.copy(metrics_dir / f"counter_{pid}.db", alone)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(alone))
    return sample(generate_latest(registry).decode(), "shop_orders_placed_total",
                  payment_method="pay_at_pickup")


def test_metrics_sum_both_workers(migrated_database, tmp_path):
    url, drop = migrated_database("sqlite")
    instance = tmp_path / "instance"
    app = make_app(url, instance)
    shop = seed_shop(app)
    with app.app_context():
        db.engine.dispose()
    # as the README runs it: no PROMETHEUS_MULTIPROC_DIR, gunicorn.conf.py names one
    node = Node({"DATABASE_URL": url, "SHOP_INSTANCE_PATH": str(instance),
                 "SECRET_KEY": "test-secret"}, tmp_path, workers=2, metrics_dir=False).start()
    try:
        pids = node.worker_pids()
        assert len(pids) == 2, pids
        headers = {"Authorization": f"Bearer {shop['tokens']['customer']}"}
        body = {"lines": [{"sku": shop["skus"][0], "quantity": 1}],
                "fulfillment": {"method": "pickup", "center_id": shop["store"]},
                "payment_method": "pay_at_pickup"}

        def checkout(_n):
            with requests.Session() as http:  # a connection of its own: any worker takes it
                return http.post(node.url + "/api/v1/orders", json=body, headers=headers,
                                 timeout=30).status_code

        # which sync worker accepts a connection is the kernel's choice, and one worker may
        # take a whole round; the rounds go on until each has served orders of its own
        placed = 0
        with ThreadPoolExecutor(4) as pool:
            for _round in range(ROUNDS):
                statuses = list(pool.map(checkout, range(ROUND)))
                assert statuses == [201] * ROUND
                placed += ROUND
                if all(node.metrics_files(pid) for pid in pids):
                    break
        text = requests.get(node.url + "/metrics", timeout=10).text
        # both workers count in files of one folder, the one gunicorn.conf.py made
        files = {pid: node.metrics_files(pid) for pid in pids}
        assert all(files.values()), f"both workers counted: {files}"
        folders = {path.parent for paths in files.values() for path in paths}
        assert len(folders) == 1, folders
        metrics_dir = folders.pop()
        assert metrics_dir.name.startswith("haiyun-metrics-")
        assert {int(name.rsplit("_", 1)[1].removesuffix(".db")) for name in
                os.listdir(metrics_dir) if name.startswith("counter_")} == set(pids)
        assert sample(text, "shop_orders_placed_total", payment_method="pay_at_pickup") \
            == placed
        assert sample(text, "shop_http_requests_total", endpoint="storefront_api.place_order",
                      method="POST", status="201") == placed
        assert sample(text, "shop_http_request_seconds_count",
                      endpoint="storefront_api.place_order", method="POST") == placed
        # each worker's own file read alone: the figure served is their sum
        by_worker = {pid: _orders_in(metrics_dir, pid, tmp_path) for pid in pids}
        assert sum(by_worker.values()) == placed, by_worker
        assert all(by_worker.values()), by_worker
        excerpt = [line for line in text.splitlines() if line.startswith(SAMPLE_PREFIXES)]
        excerpt += [f"# worker {pid} alone: {int(n)} orders placed" for pid, n in
                    sorted(by_worker.items())]
        (tmp_path / "metrics-sample.txt").write_text("\n".join(excerpt) + "\n")
        print("\n".join(excerpt))
    finally:
        node.stop()
        drop()
    assert not metrics_dir.exists()  # the master removes the folder it made
