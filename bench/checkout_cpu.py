"""A checkout's cost per order, in-process: the shop against the floor, and the shop's own
statements on a bare driver.

    .venv/bin/python bench/checkout_cpu.py [--orders 300] [--rounds 3] [--previous REV]
        [--lots] [--keep]

Builds the same PostgreSQL database as bench/checkout.py (the demo shop, stock at every
store, 32 shoppers with tokens for the shop and 32 for the floor), then places ``--orders``
pickup orders of the hot product, one at a time on one thread, in a process of its own for
each of:

- ``shop``: ``POST /api/v1/orders`` through Flask's test client (the figures left to the
  job, ``CRM_FIGURES_AFTER_REQUEST=0``, so only the checkout counts);
- ``previous`` (with ``--previous REV``): that git revision of the shop, the same way;
- ``floor``: bench/bare_checkout.py through its test client;
- ``floor statements``, ``shop statements``, ``merged statements``: no Flask, no ORM, psycopg
  alone, one transaction per order: the floor's 8 statements; the 13 statements the shop
  runs for a non-member's pickup (tests/api/test_orders.py lists them for a member); the same
  work in 4 statements, the writes before the stock row merged into one with
  PostgreSQL's data-modifying WITH.

For each it prints the CPU an order costs: the whole machine's (from /proc/stat), the
process's own (Python and the driver) and PostgreSQL's (the backends of that process, found
by their application_name), the best of ``--rounds`` rounds, and each one's machine figure
against the floor's. On a quiet machine only: the machine figure counts everything running.
Under load (bench/checkout.py) the shop's orders/s against the floor's follows the machine
figure's ratio. About two minutes. See bench/README.md.

``--instructions`` counts instead, under valgrind's callgrind, the instructions the process
spends on an order (Python, Flask, the ORM, the driver; not PostgreSQL's): the same for the
same code whatever else the machine does, so a step of a few percent shows on a noisy
machine. Only the app kinds (shop, ``--previous``, floor), one round each, ``--orders``
100 by default: about three minutes a kind (valgrind runs Python some fifty times slower).
"""

import argparse
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import checkout  # noqa: E402 - bench/checkout.py: the database it builds, its worktrees
import pages as common  # noqa: E402 - bench/pages.py

APPS = ("shop", "previous", "floor")
STATEMENTS = ("floor statements", "shop statements", "merged statements")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, help="orders per round and kind (300; 100 with "
                        "--instructions)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--customers", type=int, default=300, help="flask demo --customers")
    parser.add_argument("--previous", metavar="REV", help="also measure this git revision")
    parser.add_argument("--lots", action="store_true",
                        help="the shop's orders go to products kept in lots")
    parser.add_argument("--keep", action="store_true", help="keep the database and folder")
    parser.add_argument("--instructions", action="store_true",
                        help="count the process's instructions per order under callgrind")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one kind, one round
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.orders is None:
        args.orders = 100 if args.instructions else 300
    if args.measure:
        measure = _count if args.instructions else _measure
        print(json.dumps(measure(args.measure, Path(args.folder), args.orders)))
        return 0
    if args.instructions and not shutil.which("valgrind"):
        raise SystemExit("--instructions needs valgrind (Debian's package valgrind)")

    name, folder, env = created()
    try:
        build(folder, env, customers=args.customers, lots=args.lots)
        where = {"shop": ROOT, "floor": ROOT,
                 "previous": args.previous and checkout._checkout_of(args.previous, folder)}
        kinds = [k for k in APPS if k != "previous" or args.previous]
        if args.instructions:
            counted = {}
            for kind in kinds:
                counted[kind] = _count_kind(kind, where[kind], folder, args.orders, env)
                common.step("counted", kind, f"{counted[kind] / 1e6:.2f} M instructions")
            _report_counts(counted, args)
            return 0
        kinds += list(STATEMENTS)
        rounds: dict[str, list[dict]] = {}
        for n in range(args.rounds):  # in turn, so that noise touches every kind alike
            for kind in kinds:
                run = _run_kind(kind, where.get(kind, ROOT), folder, args.orders, env)
                rounds.setdefault(kind, []).append(run)
                common.step(f"round {n + 1}", kind, *(f"{k} {v:.2f} ms" for k, v in run.items()))
        _report(rounds, args)
        return 0
    finally:
        dropped(name, folder, keep=args.keep)
        if args.previous and not args.keep:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], check=False)


def created() -> tuple[str, Path, dict]:
    """A new empty PostgreSQL database and folder, and the environment that names them (the
    figures left to the job, so only the checkout counts)."""
    import psycopg

    name = f"bench_checkout_cpu_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(checkout.PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = checkout.PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    folder = Path(tempfile.mkdtemp(prefix="bench-checkout-cpu-"))
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_DEBUG")}
    env.update(SHOP_INSTANCE_PATH=str(folder / "instance"), FLASK_APP="wsgi",
               DATABASE_URL=url, SECRET_KEY="bench-checkout-cpu", PYTHONUNBUFFERED="1",
               CRM_FIGURES_AFTER_REQUEST="0")
    return name, folder, env


def build(folder: Path, env: dict, *, customers: int, lots: bool) -> None:
    """bench/checkout.py's shop in it: the demo, stock at every store, the shoppers' tokens."""
    common.step("building the demo shop on PostgreSQL", env["DATABASE_URL"].rsplit("/", 1)[1])
    common._run([checkout.VENV_BIN / "flask", "db", "upgrade"], env, timeout=900)
    common._run([checkout.VENV_BIN / "flask", "demo", "--customers", str(customers),
                 "--seed", "42"], env, timeout=900)
    common._run([checkout.VENV_BIN / "python", checkout.__file__, "--prepare", str(folder)],
                dict(env, BENCH_LOTS="1" if lots else "0"), timeout=900)


def dropped(name: str, folder: Path, *, keep: bool) -> None:
    """Drop the database and the folder ``created`` made, unless kept."""
    if keep:
        common.step("kept", folder, name)
        return
    import psycopg

    with psycopg.connect(checkout.PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(folder, ignore_errors=True)


def _run_kind(kind: str, where: Path, folder: Path, orders: int, env: dict) -> dict:
    """One round of one kind, in a process of its own (the revision's packages first)."""
    done = subprocess.run(
        [str(checkout.VENV_BIN / "python"), __file__, "--measure", kind, "--folder", str(folder),
         "--orders", str(orders)], cwd=where, capture_output=True, text=True, timeout=900,
        env=dict(env, PYTHONPATH=str(where), PGAPPNAME=f"bench-cpu-{uuid.uuid4().hex[:8]}"))
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _count_kind(kind: str, where: Path, folder: Path, orders: int, env: dict) -> float:
    """The instructions one order of ``kind`` costs its process, under callgrind: counted
    only inside the loop that places the orders (``_count`` runs it through
    ``itertools.starmap``, whose C function turns the counting on and off)."""
    out = folder / f"callgrind-{kind}.out"
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--collect-atstart=no",
         "--toggle-collect=starmap_next", f"--callgrind-out-file={out}",
         str(checkout.VENV_BIN / "python"), __file__, "--measure", kind, "--instructions",
         "--folder", str(folder), "--orders", str(orders)],
        cwd=where, capture_output=True, text=True, timeout=3600,
        env=dict(env, PYTHONPATH=str(where)))
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stdout}{done.stderr[-3000:]}")
    totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M)
    return int(totals.group(1)) / orders


def _report_counts(counted: dict, args) -> None:
    floor = counted["floor"]
    print(f"\nInstructions per order, in-process (callgrind), one thread, {args.orders} orders "
          f"of the hot product{', lots' if args.lots else ''}; PostgreSQL's own not counted")
    for kind, count in counted.items():
        print(f"{kind:20} {count / 1e6:7.2f} M  floor/this {floor / count:.2f}x")
    if args.previous:
        print(f"shop against previous ({args.previous}): "
              f"{counted['previous'] / counted['shop']:.3f}x")


def _report(rounds: dict, args) -> None:
    best = {kind: min(runs, key=lambda r: r["machine"]) for kind, runs in rounds.items()}
    floor = best["floor"]["machine"]
    print(f"\nCPU per order, in-process, one thread, {args.orders} orders of the hot product, "
          f"best of {args.rounds}{', lots' if args.lots else ''}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg()[:2])}")
    print(f"{'':20} {'machine':>9} {'process':>9} {'postgres':>9}  floor/this (machine), "
          "each round")
    for kind, run in best.items():
        each = " ".join(f"{floor / r['machine']:.2f}" for r in rounds[kind])
        print(f"{kind:20} {run['machine']:7.2f}ms {run['process']:7.2f}ms "
              f"{run['postgres']:7.2f}ms  {floor / run['machine']:.2f}x ({each})")
    if args.previous:
        print(f"shop against previous ({args.previous}), machine: "
              f"{best['previous']['machine'] / best['shop']['machine']:.2f}x")


# --- inside one process: one kind, one round -----------------------------------------------------


def _measure(kind: str, folder: Path, orders: int) -> dict:
    import psycopg

    url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    who = "bench" if kind in ("shop", "previous") else "floor"
    tokens = (folder / f"tokens-{who}.txt").read_text().split()
    sku, center = (folder / f"targets-{who}.txt").read_text().splitlines()[0].split("\t")
    place = (_statement_list(kind, url, tokens, sku, int(center)) if kind in STATEMENTS
             else _through_the_app(kind, tokens, sku, int(center)))
    for n in range(30):  # connections made, statements prepared, caches warm
        place(n)
    me = os.environ["PGAPPNAME"]
    with psycopg.connect(url, autocommit=True, application_name="bench-cpu-observer") as watch:
        backends = [pid for (pid,) in watch.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (me,))]
        machine, process, server = _machine(), time.process_time(), _cpu(backends)
        for n in range(orders):
            place(n)
        return {"machine": (_machine() - machine) / orders * 1000,
                "process": (time.process_time() - process) / orders * 1000,
                "postgres": (_cpu(backends) - server) / orders * 1000}


def _count(kind: str, folder: Path, orders: int) -> dict:
    """``--instructions``' inside: warm up, then place the orders through starmap (the
    function callgrind counts in) and nothing else."""
    who = "bench" if kind in ("shop", "previous") else "floor"
    tokens = (folder / f"tokens-{who}.txt").read_text().split()
    sku, center = (folder / f"targets-{who}.txt").read_text().splitlines()[0].split("\t")
    place = _through_the_app(kind, tokens, sku, int(center))
    for n in range(30):
        place(n)
    for _ in itertools.starmap(place, ((n,) for n in range(orders))):
        pass
    return {}


def _through_the_app(kind: str, tokens: list[str], sku: str, center: int):
    sys.path.insert(0, str(Path.cwd()))  # the revision measured: its folder, not this one's
    if kind == "floor":
        from bench.bare_checkout import app
    else:
        from wsgi import app
    client = app.test_client()
    body = {"lines": [{"sku": sku, "quantity": 1}], "payment_method": "pay_at_pickup",
            "fulfillment": {"method": "pickup", "center_id": center}}

    def place(n: int) -> None:
        answer = client.post("/api/v1/orders", json=body,
                             headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"})
        if answer.status_code != 201:
            raise SystemExit(f"{kind}: {answer.status_code} {answer.get_data(as_text=True)}")

    return place


def _machine() -> float:
    """CPU seconds the whole machine has spent, all cores, since it started."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle, iowait


def _cpu(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


# --- the statement lists, on psycopg alone ----------------------------------------------------

_ORDER_COLUMNS = ("public_id, user_id, status, currency, subtotal_amount, delivery_fee_amount, "
                  "total_amount, paid_amount, payment_method, fulfillment_method, center_id, "
                  "created_at, disputed, points_redeemed, points_discount_amount, "
                  "coupon_discount_amount, channel")
_ORDER_VALUES = ("%(public)s, %(user)s, 'confirmed', 'CNY', %(price)s, 0, %(price)s, 0, "
                 "'pay_at_pickup', 'pickup', %(center)s, now(), false, 0, 0, 0, 'web'")
_OUTBOX = ("INSERT INTO outbox_messages (channel, kind, purpose, customer_id, user_id, \"to\", "
           "subject, body, dedupe_key, status, send_after, attempts, created_at) "
           "SELECT 'email', 'order_confirmed', 'service', (SELECT id FROM customers "
           "WHERE user_id = %(user)s), %(user)s, %(email)s, 'Order received', 'Thank you', "
           "'confirmed:' || {order} || ':email', 'pending', now(), 0, now() {source}")
_MERGED = f"""
WITH o AS (
  INSERT INTO orders (id, number, {_ORDER_COLUMNS})
  SELECT n.id, %(prefix)s || lpad(n.id::text, greatest(4, length(n.id::text)), '0'),
         {_ORDER_VALUES}
  FROM (SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id) AS n RETURNING *),
ol AS (
  INSERT INTO order_lines (order_id, product_id, sku, name_zh, quantity, unit_price_amount,
                           line_total_amount, member_price)
  SELECT o.id, %(product)s, %(sku)s, %(name)s, 1, %(price)s, %(price)s, false FROM o
  RETURNING *),
f AS (
  INSERT INTO fulfillments (order_id, center_id, method, status, created_at, failed_attempts)
  SELECT o.id, %(center)s, 'pickup', 'reserved', now(), 0 FROM o RETURNING *),
fl AS (
  INSERT INTO fulfillment_lines (fulfillment_id, product_id, sku, name_zh, quantity,
                                 collected_quantity)
  SELECT f.id, %(product)s, %(sku)s, %(name)s, 1, 0 FROM f RETURNING *),
due AS (
  INSERT INTO crm_figures_due (user_id, since) VALUES (%(user)s, now())
  ON CONFLICT (user_id) DO UPDATE SET since = excluded.since),
ob AS ({_OUTBOX.format(order="o.id", source="FROM o")} RETURNING *),
mv AS (
  INSERT INTO stock_movements (center_id, product_id, kind, on_hand_delta, reserved_delta,
                               fulfillment_id, created_at)
  SELECT %(center)s, %(product)s, 'reserved', 0, 1, f.id, now() FROM f)
SELECT o.id, f.id, (SELECT count(*) FROM ol), (SELECT count(*) FROM fl), (SELECT count(*) FROM ob),
       (SELECT array_agg(l.id ORDER BY l.expires_on) FROM lots l
        WHERE l.center_id = %(center)s AND l.product_id = %(product)s AND l.on_hand > l.reserved)
FROM o, f"""
_RESERVE = ("UPDATE stock SET reserved = reserved + 1, updated_at = now() WHERE center_id = %s "
            "AND product_id = %s AND on_hand - reserved >= 1 RETURNING id")


def _statement_list(kind: str, url: str, tokens: list[str], sku: str, center: int):
    import psycopg

    conn = psycopg.connect(url)
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in tokens]
    one = {"floor statements": _floor_statements, "shop statements": _shop_statements,
           "merged statements": _merged_statements}[kind]

    def place(n: int) -> None:
        with conn.transaction():
            one(conn, hashes[n % len(hashes)], sku, center)

    return place


def _floor_statements(conn, token_hash: str, sku: str, center: int) -> None:
    """bench/bare_checkout.py's, in its order."""
    (user,) = conn.execute("SELECT user_id FROM api_tokens WHERE token_hash = %s "
                           "AND expires_at > now()", (token_hash,)).fetchone()
    product, price, name = conn.execute("SELECT id, price_amount, name_zh FROM products "
                                        "WHERE sku = %s AND active", (sku,)).fetchone()
    conn.execute(_RESERVE, (center, product)).fetchone()
    values = dict(public=secrets.token_urlsafe(12), user=user, price=price, center=center,
                  product=product, sku=sku, name=name)
    order = conn.execute(f"INSERT INTO orders ({_ORDER_COLUMNS}) VALUES ({_ORDER_VALUES}) "
                         "RETURNING id", values).fetchone()[0]
    fulfillment = _order_rows(conn, order, values, read_back=False)
    _movement(conn, center, product, fulfillment)


def _shop_statements(conn, token_hash: str, sku: str, center: int) -> None:
    """What the shop runs for a non-member's pickup, one statement each, in its order."""
    user, email = conn.execute(
        "SELECT users.id, users.email FROM users JOIN api_tokens ON api_tokens.user_id = "
        "users.id WHERE token_hash = %s AND expires_at > now() AND users.active",
        (token_hash,)).fetchone()
    conn.execute("SET LOCAL lock_timeout = 3000")
    product, price, name = conn.execute(
        "SELECT p.id, p.price_amount, p.name_zh, c.* FROM products p JOIN centers c "
        "ON c.id = %s WHERE p.sku = ANY(%s) AND p.active", (center, [sku])).fetchone()[:3]
    conn.execute("SELECT * FROM memberships WHERE user_id = %s AND closed_at IS NULL",
                 (user,)).fetchone()
    values = dict(public=secrets.token_urlsafe(12), user=user, price=price, center=center,
                  product=product, sku=sku, name=name, email=email, prefix="SH-20261205-")
    order = conn.execute(
        f"INSERT INTO orders (id, number, {_ORDER_COLUMNS}) SELECT n.id, %(prefix)s || "
        "lpad(n.id::text, greatest(4, length(n.id::text)), '0'), "
        f"{_ORDER_VALUES} FROM (SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id) "
        "AS n RETURNING *", values).fetchone()[0]
    fulfillment = _order_rows(conn, order, values, read_back=True)
    conn.execute("INSERT INTO crm_figures_due (user_id, since) VALUES (%s, now()) "
                 "ON CONFLICT (user_id) DO UPDATE SET since = excluded.since", (user,))
    conn.execute(_OUTBOX.format(order="%(order)s", source="") + " RETURNING *",
                 dict(values, order=order)).fetchone()
    conn.execute("SELECT id FROM lots WHERE center_id = %s AND product_id = %s "
                 "AND on_hand > reserved ORDER BY expires_on", (center, product)).fetchall()
    _movement(conn, center, product, fulfillment)
    conn.execute(_RESERVE, (center, product)).fetchone()


def _order_rows(conn, order: int, values: dict, *, read_back: bool) -> int:
    """The order's line, its fulfillment and the fulfillment's line; ``read_back``: every
    column returned, as the shop reads its rows back. Returns the fulfillment's id."""
    back = " RETURNING *" if read_back else ""
    row = dict(values, order=order)
    conn.execute("INSERT INTO order_lines (order_id, product_id, sku, name_zh, quantity, "
                 "unit_price_amount, line_total_amount, member_price) VALUES (%(order)s, "
                 "%(product)s, %(sku)s, %(name)s, 1, %(price)s, %(price)s, false)" + back, row)
    fulfillment = conn.execute(
        "INSERT INTO fulfillments (order_id, center_id, method, status, created_at, "
        "failed_attempts) VALUES (%(order)s, %(center)s, 'pickup', 'reserved', now(), 0) "
        + (back or " RETURNING id"), row).fetchone()[0]
    conn.execute("INSERT INTO fulfillment_lines (fulfillment_id, product_id, sku, name_zh, "
                 "quantity, collected_quantity) VALUES (%(fulfillment)s, %(product)s, %(sku)s, "
                 "%(name)s, 1, 0)" + back, dict(row, fulfillment=fulfillment))
    return fulfillment


def _movement(conn, center: int, product: int, fulfillment: int) -> None:
    conn.execute("INSERT INTO stock_movements (center_id, product_id, kind, on_hand_delta, "
                 "reserved_delta, fulfillment_id, created_at) VALUES (%s, %s, 'reserved', 0, 1, "
                 "%s, now())", (center, product, fulfillment))


def _merged_statements(conn, token_hash: str, sku: str, center: int) -> None:
    """The shop's work in four statements: the user with their membership (and the lock
    wait's limit), the product with the center, every write before the lock in one, the
    stock row."""
    user, email, _membership, _limit = conn.execute(
        "SELECT users.id, users.email, m.id, set_config('lock_timeout', '3000', true) "
        "FROM users JOIN api_tokens ON api_tokens.user_id = users.id LEFT JOIN memberships m "
        "ON m.user_id = users.id AND m.closed_at IS NULL WHERE token_hash = %s "
        "AND expires_at > now() AND users.active", (token_hash,)).fetchone()
    product, price, name, _center = conn.execute(
        "SELECT p.id, p.price_amount, p.name_zh, c.id FROM products p, centers c "
        "WHERE p.sku = ANY(%s) AND p.active AND c.id = %s", ([sku], center)).fetchone()
    conn.execute(_MERGED, dict(public=secrets.token_urlsafe(12), user=user, price=price,
                               center=center, product=product, sku=sku, name=name, email=email,
                               prefix="SH-20261205-")).fetchone()
    conn.execute(_RESERVE, (center, product)).fetchone()


if __name__ == "__main__":
    sys.exit(main())
