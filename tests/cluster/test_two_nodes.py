"""Two gunicorn nodes of the shop on loopback ports (two workers each, instance folders of
their own) with one PostgreSQL database, one Redis and one S3 server: what one node does,
the other sees."""

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from core.extensions import db
from tests.cluster.nodes import PASSWORD, ROOT, Node, free_port, seed_shop
from tests.conftest import make_app
from tests.support.images import png_bytes
from tests.support.metrics import sample
from tests.support.s3 import S3_KEYS

pytestmark = [pytest.mark.cluster, pytest.mark.realtime]

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf(http: requests.Session, url: str) -> str:
    page = http.get(url, timeout=10)
    assert page.status_code == 200, (url, page.status_code)
    found = _CSRF.search(page.text)
    assert found, f"no CSRF token on {url}"
    return found.group(1) or found.group(2)


@pytest.fixture(scope="module")
def cluster(pg_database, cluster_redis, s3_server, tmp_path_factory):
    from types import SimpleNamespace

    base = tmp_path_factory.mktemp("cluster")
    bucket = s3_server.bucket()
    app = make_app(pg_database, base / "seed-instance")
    shop = seed_shop(app)
    env = {"DATABASE_URL": pg_database, "REDIS_URL": cluster_redis,
           "STORAGE_URL": f"s3://{bucket}/images", "S3_ENDPOINT_URL": s3_server.url,
           "SECRET_KEY": "cluster-secret", "SMS_PROVIDER": "tests.cluster.sms:FileSms",
           "CLUSTER_SMS_LOG": str(base / "sms.log"), "LOG_FORMAT": "json", **S3_KEYS}
    nodes = []
    try:
        for name in ("a", "b"):
            nodes.append(Node({**env, "SHOP_INSTANCE_PATH": str(base / f"instance-{name}")},
                              base, workers=2, name=name).start())
        yield SimpleNamespace(a=nodes[0], b=nodes[1], app=app, shop=shop, env=env, base=base)
    finally:
        for node in nodes:
            node.stop()
        with app.app_context():
            db.engine.dispose()


def admin_session(node) -> requests.Session:
    """An admin signed in through ``node``'s own sign-in page."""
    http = requests.Session()
    http.cookies.set("lang", "en")
    token = csrf(http, node.url + "/login")
    answer = http.post(node.url + "/login", data={
        "identifier": "admin@example.com", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return http


def test_a_session_made_on_a_works_on_b(cluster):
    http = admin_session(cluster.a)
    on_b = http.get(cluster.b.url + "/admin/", allow_redirects=False, timeout=10,
                    headers={"X-Request-ID": "lb-request-000042"})
    assert on_b.status_code == 200
    # B's JSON log line of that request: its id (the proxy's), the admin by id, nothing more
    time.sleep(0.2)
    logged = [json.loads(line) for line in cluster.b.log().splitlines()
              if line.startswith("{") and "lb-request-000042" in line]
    assert [(line["endpoint"], line["status"], line["user_id"]) for line in logged] == [
        ("storefront_admin.index", 200, cluster.shop["admin"])]
    for node in (cluster.a, cluster.b):
        assert "admin@example.com" not in node.log() and PASSWORD not in node.log()
    stranger = requests.get(cluster.b.url + "/admin/", allow_redirects=False, timeout=10)
    assert stranger.status_code in (302, 403)


def test_each_node_is_ready_with_the_shared_parts_and_counts_its_own(cluster):
    for node in (cluster.a, cluster.b):
        assert requests.get(node.url + "/healthz", timeout=10).json() == {"status": "ok"}
        ready = requests.get(node.url + "/readyz", timeout=10)
        assert (ready.status_code, ready.json()) == (
            200, {"database": "ok", "redis": "ok", "storage": "ok"})
        figures = requests.get(node.url + "/metrics", timeout=10)
        assert figures.status_code == 200
        assert sample(figures.text, "shop_http_requests_total", method="GET",
                      endpoint="core.ready", status="200") >= 1


def test_an_image_uploaded_through_a_is_served_by_b(cluster):
    from storefront.models import Product

    http = admin_session(cluster.a)
    image = png_bytes(note=uuid.uuid4().hex)
    slug = f"gift-{uuid.uuid4().hex[:8]}"
    form = {"sku": slug.upper(), "slug": slug, "name_zh": "礼盒", "name_en": "Gift box",
            "description_zh": "礼盒", "description_en": "", "position": "1", "active": "y",
            "category_id": "1", "price": "88.00", "member_price": "", "days_of_supply": "",
            "csrf_token": csrf(http, cluster.a.url + "/admin/products/new")}
    answer = http.post(cluster.a.url + "/admin/products/new", data=form,
                       files={"image": ("box.png", image, "image/png")},
                       allow_redirects=False, timeout=20)
    assert answer.status_code == 302, answer.text[:800]
    with cluster.app.app_context():
        name = db.session.execute(sa.select(Product.image).where(Product.slug == slug)
                                  ).scalar_one()
    served = requests.get(f"{cluster.b.url}/uploads/{name}", timeout=10)
    assert served.status_code == 200 and served.content == image
    assert "immutable" in served.headers["Cache-Control"]
    assert f"/uploads/{name}" in requests.get(f"{cluster.b.url}/products/{slug}",
                                              timeout=10).text


def test_a_price_changed_through_a_is_on_bs_cached_catalog_within_a_second(cluster):
    from storefront.models import Product

    with cluster.app.app_context():
        product = db.session.execute(sa.select(Product).where(Product.sku == "SKU-2")
                                     ).scalar_one()
        product_id, slug = product.id, product.slug
    page = f"{cluster.b.url}/products/{slug}"
    catalog = f"{cluster.b.url}/products"
    for _ in range(3):  # B has the pages cached (Redis) from here on
        assert "128.00" in requests.get(page, timeout=10).text
        listed = requests.get(catalog, timeout=10)
        assert "128.00" in listed.text
    # B answers the catalog from its cache: the same copy, so "not modified" to a revisit
    etag = listed.headers["ETag"]
    again = requests.get(catalog, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304
    http = admin_session(cluster.a)
    edit = f"{cluster.a.url}/admin/products/{product_id}/edit"
    form = {"sku": "SKU-2", "slug": slug, "name_zh": "商品2", "name_en": "Product 2",
            "description_zh": "描述", "description_en": "", "position": "0", "active": "y",
            "category_id": "1", "price": "234.56", "member_price": "",
            "days_of_supply": "", "csrf_token": csrf(http, edit)}
    assert http.post(edit, data=form, allow_redirects=False, timeout=10).status_code == 302
    changed = time.monotonic()
    waiting = {page, catalog}
    while waiting:
        assert time.monotonic() - changed < 1.0, f"B still shows the old price after 1 s: {waiting}"
        waiting = {url for url in waiting
                   if "234.56" not in requests.get(url, timeout=10).text}
        time.sleep(0.05 if waiting else 0)
    fresh = requests.get(catalog, headers={"If-None-Match": etag}, timeout=10)
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert fresh.text.count("128.00") < listed.text.count("128.00")  # SKU-1's price stays


def _place_order(node, shop, key=None, timeout=20):
    headers = {"Authorization": f"Bearer {shop['tokens']['customer']}"}
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(node.url + "/api/v1/orders", headers=headers, timeout=timeout, json={
        "lines": [{"sku": shop["skus"][0], "quantity": 1}],
        "fulfillment": {"method": "pickup", "center_id": shop["store"]},
        "payment_method": "pay_at_pickup"})


def _ready_for_pickup(cluster) -> tuple[int, str]:
    """An order placed and made ready for pickup; its fulfillment's id and code."""
    from fulfillment.models import Fulfillment
    from storefront.models import Order

    shop = cluster.shop
    order = _place_order(cluster.a, shop)
    assert order.status_code == 201
    with cluster.app.app_context():
        fid = db.session.execute(sa.select(Fulfillment.id).join(
            Order, Order.id == Fulfillment.order_id).where(
            Order.public_id == order.json()["id"])).scalar_one()
    ready = requests.post(f"{cluster.b.url}/api/v1/staff/fulfillments/{fid}/ready",
                          headers=_clerk(shop), timeout=10)
    assert ready.status_code == 200, ready.text
    with cluster.app.app_context():
        return fid, db.session.get(Fulfillment, fid).pickup_code


def _clerk(shop) -> dict:
    return {"Authorization": f"Bearer {shop['tokens']['staff']}"}


def _wrong_codes(nodes, shop, fid: int, code: str, tries: int = 8) -> list[int]:
    """Wrong codes for one fulfillment, taking turns over ``nodes``; the answers' statuses."""
    wrong = "000000" if code != "000000" else "111111"
    return [requests.post(f"{nodes[n % len(nodes)].url}/api/v1/staff/fulfillments/{fid}"
                          "/handover", headers=_clerk(shop), json={"code": wrong},
                          timeout=10).status_code for n in range(tries)]


def test_wrong_pickup_codes_split_across_nodes_are_limited_at_the_same_total(cluster):
    alone_fid, alone_code = _ready_for_pickup(cluster)
    split_fid, split_code = _ready_for_pickup(cluster)
    on_one_node = _wrong_codes([cluster.a], cluster.shop, alone_fid, alone_code)
    split = _wrong_codes([cluster.a, cluster.b], cluster.shop, split_fid, split_code)
    # HANDOVER_WRONG_CODE_LIMIT is 5 per 15 minutes: five wrong codes in all, then 429,
    # whether they all reach one node or alternate between two
    assert on_one_node == [400] * 5 + [429] * 3
    assert split == on_one_node
    for node in (cluster.a, cluster.b):  # the desk waits, on every node
        right = requests.post(f"{node.url}/api/v1/staff/fulfillments/{split_fid}/handover",
                              headers=_clerk(cluster.shop), json={"code": split_code},
                              timeout=10)
        assert right.status_code == 429


def _celery_worker(cluster, queue: str, name: str, beat: bool = False):
    metrics_dir = cluster.base / f"metrics-{name}"
    metrics_dir.mkdir()
    port = free_port()
    env = {**os.environ, **cluster.env, "CELERY_BROKER_URL": cluster.env["REDIS_URL"],
           "CELERY_QUEUE": queue, "OUTBOX_BATCH": "5",
           "SHOP_INSTANCE_PATH": str(cluster.base / f"instance-{name}"),
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
           "WORKER_METRICS_BIND": f"127.0.0.1:{port}"}
    args = [sys.executable, "-m", "celery", "-A", "wsgi:celery", "worker", "--pool", "solo",
            "-Q", queue, "-n", f"{name}@%h", "--without-heartbeat", "--without-gossip",
            "--without-mingle", "--loglevel", "WARNING"]
    if beat:
        args += ["-B", "-s", str(cluster.base / f"beat-{name}")]
    log = open(cluster.base / f"{name}.log", "ab")  # noqa: SIM115 - closed below
    try:
        worker = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()
    worker.metrics_url = f"http://127.0.0.1:{port}/metrics"
    return worker


def test_the_outbox_job_delivers_each_message_once_with_two_workers(cluster):
    from crm.outreach.models import OutboxMessage

    phones = [f"1390000{n:04d}" for n in range(60)]
    with cluster.app.app_context():
        db.session.add_all([OutboxMessage(channel="sms", kind="notice", purpose="service",
                                          to=phone, body="您的订单已备好", status="pending")
                            for phone in phones])
        db.session.commit()
    queue = f"shop-cluster-{uuid.uuid4().hex[:8]}"
    # one worker with the beat (it sends deliver_outbox every minute), one without
    workers = [_celery_worker(cluster, queue, "w1", beat=True),
               _celery_worker(cluster, queue, "w2")]
    try:
        from core.tasks import make_celery

        app = make_app(cluster.env["DATABASE_URL"], cluster.base / "sender",
                       CELERY_BROKER_URL=cluster.env["REDIS_URL"], CELERY_QUEUE=queue)
        with app.app_context():
            celery = make_celery(app)
            results = [celery.send_task("shop.jobs.deliver_outbox", queue=queue)
                       for _ in range(6)]
            summaries = [result.get(timeout=120) for result in results]
        sent_by = {}
        for line in (cluster.base / "sms.log").read_text().splitlines():
            pid, to = line.split()
            if to in phones:
                sent_by.setdefault(to, []).append(pid)
        assert sorted(sent_by) == sorted(phones)
        assert all(len(pids) == 1 for pids in sent_by.values()), "a message went out twice"
        both = {pid for pids in sent_by.values() for pid in pids}
        assert len(both) == 2, f"both workers delivered: {summaries}"
        with cluster.app.app_context():
            statuses = db.session.execute(sa.select(OutboxMessage.status).where(
                OutboxMessage.to.in_(phones))).scalars().all()
        assert statuses == ["sent"] * len(phones)
        # each worker's figures for Prometheus: the jobs it ran and what it delivered
        texts = [requests.get(worker.metrics_url, timeout=10).text for worker in workers]
        with cluster.app.app_context():  # the pickup test's notice went out too
            every_sent = db.session.execute(sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.status == "sent")).scalar_one()
        assert sum(sample(t, "shop_outbox_messages_total", outcome="sent")
                   for t in texts) == every_sent >= len(phones)
        assert sum(sample(t, "shop_jobs_total", job="deliver_outbox", outcome="ok")
                   for t in texts) >= len(results)
        # the beat sends the jobs on its own: the test sent none but deliver_outbox, and
        # refresh_figures_due (every 10 s) is run by one of the workers within half a minute
        deadline = time.monotonic() + 30
        while not sum(sample(requests.get(worker.metrics_url, timeout=10).text,
                             "shop_jobs_total", job="refresh_figures_due", outcome="ok")
                      for worker in workers):
            assert time.monotonic() < deadline, "the beat sent no job in 30 s"
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()


def test_killing_a_node_mid_checkout_loses_nothing(cluster):
    """200 checkouts over both nodes, node A killed part-way: every 201 is an order in the
    database with its stock reserved, every other attempt got an answer or a connection
    error, and retrying those on B with their Idempotency-Key places each exactly once."""
    from fulfillment.models import Fulfillment, Stock
    from storefront.models import IdempotencyKey, Order, OrderLine

    shop = cluster.shop
    with cluster.app.app_context():
        orders_before = db.session.execute(sa.select(sa.func.count(Order.id))).scalar_one()
        reserved_before = db.session.execute(sa.select(Stock.reserved).where(
            Stock.product_id == shop["products"][0])).scalar_one()
    keys = [f"kill-{uuid.uuid4().hex}" for _ in range(200)]
    outcome: dict[str, object] = {}
    lock = threading.Lock()

    def attempt(n_key):
        n, key = n_key
        node = (cluster.a, cluster.b)[n % 2]
        try:
            answer = _place_order(node, shop, key, timeout=30)
        except requests.RequestException as exc:
            result = ("connection", type(exc).__name__)
        else:  # an answer is the API's JSON: the order, or an error's code (raises otherwise)
            body = answer.json()
            result = (answer.status_code,
                      body["id"] if answer.status_code == 201 else body["code"])
        with lock:
            outcome[key] = result
            if len(outcome) == 80:
                cluster.a.kill()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(attempt, enumerate(keys)))
    assert cluster.a.process.poll() is not None, "node A was killed"
    created = {key: oid for key, (status, oid) in outcome.items() if status == 201}
    failed = [key for key, (status, _) in outcome.items() if status != 201]
    # what did not get its order got an error's code, or lost its connection (no hang)
    assert all(isinstance(status, int) and isinstance(what, str) and what
               or what in ("ConnectionError", "ChunkedEncodingError")
               for status, what in outcome.values()), Counter(outcome.values())
    assert failed, "some attempts met the dead node"
    print("checkouts while node A died:", Counter(status for status, _ in outcome.values()))
    with cluster.app.app_context():  # every 201 is in the database, its stock reserved
        held = dict(db.session.execute(
            sa.select(Order.public_id, Fulfillment.status)
            .join(Fulfillment, Fulfillment.order_id == Order.id)
            .where(Order.public_id.in_(list(created.values())))).all())
        lines = dict(db.session.execute(
            sa.select(Order.public_id, sa.func.sum(OrderLine.quantity))
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.public_id.in_(list(created.values())))
            .group_by(Order.public_id)).all())
    assert set(held) == set(created.values())
    assert {str(status) for status in held.values()} == {"reserved"}
    assert set(lines.values()) == {1}
    # retry every other attempt on B with its key: each lands once (a replay if A had
    # committed it before it died)
    for key in failed:
        answer = _place_order(cluster.b, shop, key)
        assert answer.status_code == 201, answer.text
        created[key] = answer.json()["id"]
    for key in list(created)[:20]:  # and a second retry only replays
        assert _place_order(cluster.b, shop, key).json()["id"] == created[key]
    assert len(set(created.values())) == len(keys)
    with cluster.app.app_context():
        orders_after = db.session.execute(sa.select(sa.func.count(Order.id))).scalar_one()
        reserved_after = db.session.execute(sa.select(Stock.reserved).where(
            Stock.product_id == shop["products"][0])).scalar_one()
        keyed = db.session.execute(sa.select(sa.func.count(IdempotencyKey.id)).where(
            IdempotencyKey.key.like("kill-%"))).scalar_one()
    assert orders_after - orders_before == len(keys) == keyed
    assert reserved_after - reserved_before == len(keys)  # one unit reserved per order
