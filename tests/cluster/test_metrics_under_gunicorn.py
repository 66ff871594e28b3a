"""/metrics under the README's gunicorn (two workers, SQLite): a small load of checkouts,
and the orders placed are the sum over both workers, as are the requests."""

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from core.extensions import db
from tests.cluster.nodes import Node, seed_shop
from tests.conftest import make_app
from tests.support.metrics import sample

pytestmark = [pytest.mark.cluster, pytest.mark.realtime]
ORDERS = 24


def test_metrics_sum_both_workers(migrated_database, tmp_path):
    url, drop = migrated_database("sqlite")
    instance, metrics_dir = tmp_path / "instance", tmp_path / "metrics"
    app = make_app(url, instance)
    shop = seed_shop(app)
    with app.app_context():
        db.engine.dispose()
    node = Node({"DATABASE_URL": url, "SHOP_INSTANCE_PATH": str(instance),
                 "SECRET_KEY": "test-secret", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
                tmp_path, workers=2).start()
    metrics_dir.mkdir(exist_ok=True)
    try:
        headers = {"Authorization": f"Bearer {shop['tokens']['customer']}"}
        body = {"lines": [{"sku": shop["skus"][0], "quantity": 1}],
                "fulfillment": {"method": "pickup", "center_id": shop["store"]},
                "payment_method": "pay_at_pickup"}

        def checkout(_n):
            with requests.Session() as http:  # a connection of its own: any worker takes it
                return http.post(node.url + "/api/v1/orders", json=body, headers=headers,
                                 timeout=30).status_code

        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(checkout, range(ORDERS)))
        assert statuses == [201] * ORDERS
        text = requests.get(node.url + "/metrics", timeout=10).text
        workers = {name.rsplit("_", 1)[1] for name in os.listdir(metrics_dir)
                   if name.startswith("counter_")}
        assert len(workers) == 2, f"both workers counted: {sorted(workers)}"
        assert sample(text, "shop_orders_placed_total", payment_method="pay_at_pickup") \
            == ORDERS
        assert sample(text, "shop_http_requests_total", endpoint="storefront_api.place_order",
                      method="POST", status="201") == ORDERS
        (tmp_path / "metrics-sample.txt").write_text(text)
        print("\n".join(line for line in text.splitlines()
                        if line.startswith(("shop_orders", "shop_http_requests_total"))))
    finally:
        node.stop()
        drop()
