"""Requests per second of the shop's signed-in pages against a bare Flask page rendering a template.

    .venv/bin/python bench/signed_in_pages.py [--duration 5] [--rounds 3] [--loadgen wrk|python]

Builds a fresh SQLite shop in a temporary instance folder (``flask db upgrade``, ``flask demo
--customers 2000``) and, inside the app, signs four people in as the shop does: a shopper (a
member with orders, whose cart then holds three products), a clerk (the staff member of the
store with the most orders), the CRM agent and the admin. Each gets a real server-side session
(``core.sessions.start_session``) and the Flask-Login session cookie that names it, with the
session-protection identifier of the load generator's address and User-Agent and a CSRF token
already in it, so every request is that person's and no response has to set a new cookie.

Serves the shop under gunicorn (2 sync workers, as ``./scripts/serve``) and
bench/bare_app.py's ``/template`` (a Jinja template: a base layout and a table of 50 rows)
under the same settings, checks every page answers 200 with the signed-in page (the person's
name in it, no redirect to the sign-in page, no new cookie), then loads each page and the
bare page back to back (shop, bare, shop, bare, ...) for ``--rounds`` rounds with wrk (``-H
"Cookie: ..."``) when it is installed, else a small threaded Python client. The table shows
the best requests/s of each, the ratio, the shop's p50/p99, the bytes and the SQL statements
per request (counted in-process with the same cookie: first request with a cold cache / the
next). See bench/README.md.
"""

import argparse
import http.client
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages as common  # noqa: E402 - bench/pages.py, beside this file

ROOT = common.ROOT
VENV_BIN = common.VENV_BIN
HOST = common.HOST
#: what the load generator says it is; the session's protection identifier is made for it
USER_AGENT = "shop-bench/1"
LOAD_HEADERS = {"User-Agent": USER_AGENT}

#: (person, page, path); paths with ``{center}`` are filled in the prepare step
PAGES = [
    ("shopper", "products", "/products"),
    ("shopper", "cart", "/cart"),
    ("shopper", "member", "/member"),
    ("shopper", "orders", "/orders"),
    ("clerk", "desk", "/desk"),
    ("clerk", "desk stock", "/desk/stock"),
    ("agent", "crm", "/crm"),
    ("agent", "customers", "/crm/customers"),
    ("agent", "dashboard", "/crm/dashboard"),
    ("agent", "complaints", "/crm/complaints"),
    ("admin", "admin orders", "/admin/orders/"),
]
BARE_PATH = "/template"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per page")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per page (best counts)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, both apps")
    parser.add_argument("--customers", type=int, default=2000, help="flask demo --customers")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--only", action="append", default=[], metavar="PATH",
                        help="measure only this path (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    args = parser.parse_args(argv)

    loadgen = args.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"
    elif loadgen == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk), use --loadgen python")
    chosen = [p for p in PAGES if not args.only or p[2] in args.only]
    if not chosen:
        parser.error("--only matches none of the pages")

    started = time.monotonic()
    instance = Path(tempfile.mkdtemp(prefix="shop-bench-signed-in-"))
    env = common._environment(instance)
    servers = []
    try:
        common.step(f"building the demo shop ({args.customers} customers) in {instance} (load "
                    f"average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        common._run([VENV_BIN / "flask", "db", "upgrade"], env)
        common._run([VENV_BIN / "flask", "demo", "--seed", "42", "--customers",
                     str(args.customers)], env)
        common.step("signing the shopper, the clerk, the agent and the admin in")
        people = prepare_sessions(instance)
        for person, info in people.items():
            common.step(f"  {person:8} {info['name']} ({info['about']})")

        queries = statement_counts(instance, people, chosen)

        shop_port = common._free_port()
        servers.append(common._gunicorn(["wsgi:app"], ROOT, shop_port, args.workers, env,
                                        instance, "shop"))
        common._wait_healthy(shop_port, servers[-1])
        sizes = {}
        for person, page, path in chosen:
            sizes[page] = check_signed_in_page(shop_port, path, people[person])

        bare_port = common._free_port()
        servers.append(common._gunicorn(["bare_app:app"], ROOT / "bench", bare_port,
                                        args.workers, env, instance, "bare"))
        common._wait_healthy(bare_port, servers[-1])
        status, body, _response = _get(bare_port, BARE_PATH, {})
        if status != 200:
            raise SystemExit(f"the bare app answered {status} for {BARE_PATH}")
        sizes["bare"] = len(body)

        common.step(f"load: {loadgen}, {args.connections} connections, {args.rounds} x "
                    f"{args.duration:g}s per page, {args.workers} sync workers each")
        targets = []
        for person, page, path in chosen:
            headers = dict(LOAD_HEADERS, Cookie=people[person]["cookie"])
            targets.append((page, "shop", shop_port, path, headers))
            targets.append((page, "bare", bare_port, BARE_PATH, LOAD_HEADERS))
        for _page, _app, port, path, headers in targets:
            _load(loadgen, port, path, args.warmup, args.connections, headers)
        results = {(page, app): [] for page, app, *_ in targets}
        for n in range(args.rounds):
            for page, app, port, path, headers in targets:
                result = _load(loadgen, port, path, args.duration, args.connections, headers)
                results[(page, app)].append(result)
                common.step(f"round {n + 1}: {app:4} {page:12} {result['rps']:9.1f} req/s"
                            + (f"  ({result['errors']} errors)" if result["errors"] else ""))
        report(results, sizes, queries, chosen, loadgen, args, time.monotonic() - started)
        return 0
    finally:
        for server in servers:
            common._stop(server)
        if args.keep:
            common.step("kept", instance)
        else:
            shutil.rmtree(instance, ignore_errors=True)


# --- the people and their sessions ------------------------------------------------------------


def _bench_app(instance: Path):
    sys.path.insert(0, str(ROOT))
    from core.app import create_app

    return create_app({"INSTANCE_PATH": str(instance), "CACHE_TYPE": "SimpleCache",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'shop.db'}"})


def prepare_sessions(instance: Path) -> dict:
    """``{person: {"cookie", "name", "about"}}``: each a real signed-in session."""
    import sqlalchemy as sa
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from core.extensions import db
    from core.models import Role, User
    from core.sessions import start_session
    from storefront import cart as carts
    from storefront.loyalty.models import Membership
    from storefront.models import Order, Product

    app = _bench_app(instance)
    people = {}
    with app.app_context():
        orders_of = (sa.select(Order.user_id, sa.func.count().label("n"))
                     .group_by(Order.user_id).subquery())
        shopper = db.session.execute(
            sa.select(User).join(Membership, Membership.user_id == User.id)
            .join(orders_of, orders_of.c.user_id == User.id)
            .where(Membership.closed_at.is_(None), User.active.is_(True))
            .order_by(orders_of.c.n.desc(), User.id).limit(1)).scalar_one()
        by_center = (sa.select(Order.center_id, sa.func.count().label("n"))
                     .group_by(Order.center_id).subquery())
        clerk = db.session.execute(
            sa.select(User).join(by_center, by_center.c.center_id == User.center_id)
            .where(User.role == Role.STAFF, User.active.is_(True))
            .order_by(by_center.c.n.desc(), User.id).limit(1)).scalar_one()
        agent = db.session.execute(sa.select(User).where(User.role == Role.CRM)
                                   .order_by(User.id).limit(1)).scalar_one()
        admin = db.session.execute(sa.select(User).where(User.role == Role.ADMIN)
                                   .order_by(User.id).limit(1)).scalar_one()
        for product_id in db.session.execute(
                sa.select(Product.id).where(Product.active.is_(True))
                .order_by(Product.position, Product.id).limit(3)).scalars():
            carts.add_item(shopper, {}, product_id, 2)
        db.session.commit()
        n_orders = db.session.execute(sa.select(sa.func.count()).select_from(Order)
                                      .where(Order.user_id == shopper.id)).scalar()
        about = {"shopper": f"member, {n_orders} orders, 3 products in the cart",
                 "clerk": f"staff of center {clerk.center_id}",
                 "agent": "CRM", "admin": "admin"}
        chosen = {"shopper": shopper.id, "clerk": clerk.id, "agent": agent.id,
                  "admin": admin.id}
        names = {"shopper": shopper.name, "clerk": clerk.name, "agent": agent.name,
                 "admin": admin.name}
        db.engine.dispose()
    serializer = app.session_interface.get_signing_serializer(app)
    for person, user_id in chosen.items():
        # Its own app context: ``g`` (the CSRF token, the signed-in user) starts empty. The
        # address and User-Agent are the load generator's: Flask-Login's session protection
        # compares its identifier with them on every request.
        with app.app_context(), app.test_request_context(
                "/", environ_base={"REMOTE_ADDR": HOST}, headers=LOAD_HEADERS):
            user = db.session.get(User, user_id)
            start_session(user)
            login_user(user)
            generate_csrf()  # in the session now: no page needs to add it
            value = serializer.dumps(dict(session))
            db.session.commit()  # before the request's teardown ends the transaction
        people[person] = {"cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}",
                          "name": names[person], "about": about[person]}
    with app.app_context():
        db.engine.dispose()
    return people


def statement_counts(instance: Path, people: dict, chosen: list) -> dict:
    """SQL statements per page, first request (cold cache) and the next (warm), in-process,
    each with its person's cookie."""
    from sqlalchemy import event

    from core.extensions import db

    app = _bench_app(instance)
    counts, seen = {}, [0]
    with app.app_context():
        engine = db.engine

    def count(*_args, **_kw):
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    client = app.test_client(use_cookies=False)  # a cookie jar would drop our header
    try:
        for person, page, path in chosen:
            headers = dict(LOAD_HEADERS, Cookie=people[person]["cookie"])
            per_request = []
            for _ in range(2):
                seen[0] = 0
                response = client.get(path, headers=headers,
                                      environ_base={"REMOTE_ADDR": HOST})
                if response.status_code != 200:
                    raise SystemExit(f"in-process {path} answered {response.status_code}")
                per_request.append(seen[0])
            counts[page] = tuple(per_request)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        with app.app_context():
            db.engine.dispose()
    return counts


def _get(port: int, path: str, headers: dict) -> tuple[int, bytes, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response
    finally:
        conn.close()


def check_signed_in_page(port: int, path: str, person: dict) -> int:
    """The page's byte length, after checking it is this person's signed-in page."""
    headers = dict(LOAD_HEADERS, Cookie=person["cookie"])
    for attempt in range(2):  # the second request is the one the load repeats
        status, body, response = _get(port, path, headers)
        if status != 200:
            where = response.getheader("Location") or ""
            raise SystemExit(f"{path} answered {status} {where} for {person['name']}: "
                             "the session is not taken")
        if person["name"].encode() not in body:
            raise SystemExit(f"{path} does not show {person['name']}: not the signed-in page")
        cookie = response.getheader("Set-Cookie")
        if cookie and attempt:
            raise SystemExit(f"{path} sets a cookie on every request ({cookie[:60]}...): the "
                             "session the load sends would go stale")
    return len(body)


# --- load -------------------------------------------------------------------------------------


def _load(loadgen, port, path, duration, connections, headers) -> dict:
    if loadgen == "wrk":
        return common._wrk(port, path, duration, connections, headers=headers)
    return common._python_load(port, path, duration, connections, headers=headers)


# --- report -----------------------------------------------------------------------------------


def report(results, sizes, queries, chosen, loadgen, args, seconds) -> None:
    print()
    print(f"signed-in pages under gunicorn ({args.workers} sync workers each), load by "
          f"{loadgen}, {args.connections} connections, best of {args.rounds} x "
          f"{args.duration:g}s; reference: bare Flask {BARE_PATH} (Jinja template, 50 rows, "
          f"{sizes['bare']} bytes)")
    header = (f"{'person':<8} {'path':<16} {'bytes':>7} {'SQL':>7} {'shop req/s':>11} "
              f"{'bare req/s':>11} {'ratio':>6} {'per round':>17}  {'shop p50 / p99':>20}")
    print(header)
    print("-" * len(header))
    for person, page, path in chosen:
        shop, bare = results[(page, "shop")], results[(page, "bare")]
        best_shop = max(shop, key=lambda r: r["rps"])
        best_bare = max(r["rps"] for r in bare)
        ratio = best_shop["rps"] / best_bare if best_bare else 0.0
        rounds = " ".join(f"{s['rps'] / b['rps']:.2f}" if b["rps"] else "-"
                          for s, b in zip(shop, bare, strict=True))
        cold, warm = queries[page]
        latency = f"{best_shop['p50']} / {best_shop['p99']}"
        print(f"{person:<8} {path:<16} {sizes[page]:>7} {f'{cold}/{warm}':>7} "
              f"{best_shop['rps']:>11.1f} {best_bare:>11.1f} {ratio:>6.2f} {rounds:>17}  "
              f"{latency:>20}" + ("" if ratio >= 0.3 else "  < 0.3"))
    print()
    print("SQL: statements of the first request (cold cache) / the next (warm), in-process.")
    print("per round: shop/bare of each round's neighbouring runs. Goal: every ratio >= 0.3.")
    errors = {key: sum(r["errors"] for r in rs) for key, rs in results.items()}
    for (page, app), n in errors.items():
        if n:
            print(f"  ERRORS: {app} {page}: {n}")
    load = os.getloadavg()[0]
    cpus = os.cpu_count() or 1
    print(f"total time {seconds:.0f}s; load average {load:.1f} on {cpus} CPUs"
          + ("  (the machine was busy with other work: figures are low and noisy)"
             if load > cpus + 1 else ""))


if __name__ == "__main__":
    sys.exit(main())
