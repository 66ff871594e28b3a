"""What an operator reads: /healthz, /readyz naming what is down, /metrics (Prometheus) only
for METRICS_ALLOW, counting requests, orders placed on commit and jobs."""

import pytest

from core import metrics
from core.jobs import register_job, run_job
from core.metrics import allowed_networks, client_allowed
from core.storage import LocalStorage
from tests.conftest import make_app
from tests.support.metrics import sample


def test_healthz_answers_while_the_process_serves(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_names_each_part(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "not_configured",
                                   "storage": "ok"}


def test_readyz_is_503_naming_what_is_down(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nobody listens

    def broken():
        raise OSError("disk gone")

    store = LocalStorage(app.config["UPLOAD_FOLDER"])
    monkeypatch.setattr(store, "check", broken)
    monkeypatch.setitem(app.extensions, "shop_storage", store)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "ok", "redis": "down", "storage": "down",
                                   "down": ["redis", "storage"]}


def test_metrics_only_for_allowed_addresses(client):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 403
    assert b"shop_http" not in outside.data


def test_metrics_behind_a_proxy_see_the_real_client(tmp_path):
    """Behind nginx every request comes from loopback; with PROXY_HOPS=1 the address that
    counts is the client's, so a stranger is refused and an allowed monitor is let in."""
    app = make_app(f"sqlite:///{tmp_path / 'shop.db'}", tmp_path / "instance", PROXY_HOPS=1,
                   METRICS_ALLOW="10.0.0.0/8")
    client = app.test_client()
    stranger = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    monitor = client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"})
    assert (stranger.status_code, monitor.status_code) == (403, 200)


def test_metrics_allow_is_read_strictly():
    networks = allowed_networks("127.0.0.0/8, ::1,10.0.0.0/8")
    assert client_allowed("127.0.0.1", networks) and client_allowed("::1", networks)
    assert client_allowed("::ffff:10.2.3.4", networks)
    assert not client_allowed("192.168.1.1", networks) and not client_allowed("", networks)
    with pytest.raises(ValueError, match="METRICS_ALLOW"):
        allowed_networks("localhost")


def test_requests_are_counted_by_endpoint_and_status(client):
    before = client.get("/metrics").get_data(as_text=True)
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page")
    after = client.get("/metrics").get_data(as_text=True)
    assert after.startswith("# HELP") and "text/plain" in client.get("/metrics").content_type
    for name, labels, grew in (
            ("shop_http_requests_total", {"endpoint": "core.health", "status": "200"}, 2),
            ("shop_http_requests_total", {"endpoint": "none", "status": "404"}, 1),
            ("shop_http_request_seconds_count", {"endpoint": "core.health"}, 2)):
        assert sample(after, name, **labels) - sample(before, name, **labels) == grew
    # the path as typed is never a label (it can hold an order number or a code)
    assert "no-such-page" not in after


def test_orders_placed_are_counted_when_they_commit(client, session, shop, token_for):
    headers = token_for(shop.shopper)
    session.commit()
    label = {"payment_method": "pay_at_pickup"}
    before = sample(metrics.exposition().decode(), "shop_orders_placed_total", **label)
    body = {"lines": [{"sku": shop.products[0].sku, "quantity": 1}],
            "fulfillment": {"method": "pickup", "center_id": shop.store.id},
            "payment_method": "pay_at_pickup"}
    assert client.post("/api/v1/orders", headers=headers, json=body).status_code == 201
    too_many = {**body, "lines": [{"sku": shop.products[0].sku, "quantity": 20}]}
    assert client.post("/api/v1/orders", headers=headers, json=too_many).status_code == 409
    after = sample(metrics.exposition().decode(), "shop_orders_placed_total", **label)
    assert after - before == 1


def test_jobs_run_and_failed_are_counted(app, session, monkeypatch):
    jobs = dict(app.extensions["shop_jobs"])
    monkeypatch.setitem(app.extensions, "shop_jobs", jobs)

    def breaks(now):
        raise RuntimeError("no")

    register_job(app, "probe_ok", lambda now: "done")
    register_job(app, "probe_broken", breaks)
    text = metrics.exposition().decode()
    ok, failed = (sample(text, "shop_jobs_total", job="probe_ok", outcome="ok"),
                  sample(text, "shop_jobs_total", job="probe_broken", outcome="failed"))
    run_job("probe_ok", None)
    assert run_job("probe_broken", None) == "failed: no"
    text = metrics.exposition().decode()
    assert sample(text, "shop_jobs_total", job="probe_ok", outcome="ok") == ok + 1
    assert sample(text, "shop_jobs_total", job="probe_broken", outcome="failed") == failed + 1


def test_payments_are_counted_when_they_commit_and_not_when_rolled_back(client, session,
                                                                        shop, token_for):
    from core.signals import order_paid, order_refunded
    from storefront.models import Order

    headers = token_for(shop.shopper)
    session.commit()
    body = {"lines": [{"sku": shop.products[0].sku, "quantity": 1}],
            "fulfillment": {"method": "pickup", "center_id": shop.store.id},
            "payment_method": "pay_at_pickup"}
    public_id = client.post("/api/v1/orders", headers=headers, json=body).get_json()["id"]
    order = session.query(Order).filter_by(public_id=public_id).one()

    def figures():
        text = metrics.exposition().decode()
        return (sample(text, "shop_payments_total", event="paid"),
                sample(text, "shop_payments_amount_fen_total", event="paid"),
                sample(text, "shop_payments_total", event="refunded"))

    paid, amount, refunded = figures()
    order_refunded.send(order, amount=500)
    session.rollback()  # the refund did not happen
    order = session.query(Order).filter_by(public_id=public_id).one()
    order_paid.send(order)
    session.commit()
    assert figures() == (paid + 1, amount + order.total_amount, refunded)


def test_outbox_deliveries_are_counted(app, session, sms):
    from crm.outreach.models import OutboxMessage

    session.add(OutboxMessage(channel="sms", kind="notice", purpose="service",
                              to="13900001111", body="您的订单已备好", status="pending"))
    session.commit()
    before = sample(metrics.exposition().decode(), "shop_outbox_messages_total",
                    outcome="sent")
    from core.clock import utcnow

    assert "1 sent" in run_job("deliver_outbox", utcnow())
    after = sample(metrics.exposition().decode(), "shop_outbox_messages_total", outcome="sent")
    assert after == before + 1
