"""Where a checkout's CPU goes, in-process: each part of the shop's ``POST /api/v1/orders``,
its share of an order.

    .venv/bin/python bench/checkout_parts.py [--orders 1000] [--hot] [--lots] [--keep]

On the database bench/checkout_cpu.py builds (the demo shop, stock at every store, the bench's
shoppers and their tokens), it places ``--orders`` pickup orders through Flask's test client
on one thread, the figures left to the job: one unit of a random product at a random store
(``--hot``: the hot product at one store). While they run, each part of the checkout named in
``PARTS`` is timed by the thread's own CPU clock (``time.thread_time``: a wait for the database
is not counted): the request, its hooks, the token's user, the body, the placing and its steps,
the answer, the reservation, the commit, and across them the driver's statements and the ORM's
bookkeeping. It prints, per part, microseconds of CPU an order and calls an order, each part's
time including its sub-parts' (indented under it), and the CPU an order in all, measured
before the parts were wrapped and after (the clock reads cost a little themselves).

In-process profilers mislead here: a sampling one charges the time just after a statement's
wait to the line that follows it, and a tracing one inflates code that makes many small
calls. Whole functions on the thread's clock do neither. Quiet machine only; about two minutes.
See bench/README.md.
"""

import argparse
import functools
import importlib
import json
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import checkout  # noqa: E402 - bench/checkout.py: the shoppers and targets it writes
import checkout_cpu  # noqa: E402 - bench/checkout_cpu.py: the database it builds

#: ``(label, "module:attribute path")``, in the order printed; two spaces of indent a level.
#: ``hooks:before`` and ``hooks:after`` are the app's before- and after-request functions.
PARTS = (
    ("request", "flask.app:Flask.wsgi_app"),
    ("  before-request hooks", "hooks:before"),
    ("  the token's user", "core.sessions:user_holding"),
    ("  the body (marshmallow)", "core.api:load_body"),
    ("  placing", "storefront.orders:place_order"),
    ("    products, store, membership", "storefront.orders:_products_at"),
    ("    the order's family written", "storefront.orders:write_order"),
    ("    recorded", "storefront.orders:record_order"),
    ("      order_placed's listeners", "core.signals:order_placed.send"),
    ("        the confirmation", "crm.outreach.confirmations:notify_order_confirmed"),
    ("        the figures due", "crm.customers.refresh:mark"),
    ("      the answer (marshmallow)", "storefront.api:_dump_order"),
    ("      the reservation", "fulfillment.services:reserve_fulfillment"),
    ("        lots planned", "fulfillment.lots:plan_lines"),
    ("        stock reserved", "fulfillment.services:reserve_stock"),
    ("  the commit", "core.database:commit_answered"),
    ("  after-request hooks", "hooks:after"),
    ("across: statements on the driver", "core.sql:_execute"),
    ("across: objects read made the session's", "core.sql:_as_loaded"),
    ("across: objects written made the session's", "core.sql:_as_inserted"),
    ("across: values bound for an INSERT", "core.sql:_insert_values"),
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--hot", action="store_true", help="the hot product at one store")
    parser.add_argument("--customers", type=int, default=300, help="flask demo --customers")
    parser.add_argument("--lots", action="store_true", help="products kept in lots")
    parser.add_argument("--keep", action="store_true", help="keep the database and folder")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: the folder
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(_measure(Path(args.measure), args.orders, args.hot)))
        return 0
    name, folder, env = checkout_cpu.created()
    try:
        checkout_cpu.build(folder, env, customers=args.customers, lots=args.lots)
        done = subprocess.run(
            [str(checkout.VENV_BIN / "python"), __file__, "--measure", str(folder),
             "--orders", str(args.orders), *(["--hot"] if args.hot else [])],
            cwd=ROOT, env=dict(env, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
            timeout=1800)
        if done.returncode != 0:
            raise SystemExit(f"the measure failed:\n{done.stdout}{done.stderr[-3000:]}")
        _report(json.loads(done.stdout.strip().splitlines()[-1]), args)
        return 0
    finally:
        checkout_cpu.dropped(name, folder, keep=args.keep)


def _measure(folder: Path, orders: int, hot: bool) -> dict:
    from wsgi import app

    tokens = (folder / "tokens-bench.txt").read_text().split()
    targets = [line.split("\t") for line in (folder / "targets-bench.txt").read_text()
               .splitlines()]
    client, pick = app.test_client(), random.Random(42)

    def place(n: int) -> None:
        sku, center = targets[0] if hot else pick.choice(targets)
        answer = client.post("/api/v1/orders", json={
            "lines": [{"sku": sku, "quantity": 1}], "payment_method": "pay_at_pickup",
            "fulfillment": {"method": "pickup", "center_id": int(center)}},
            headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"})
        if answer.status_code != 201:
            raise SystemExit(f"{answer.status_code} {answer.get_data(as_text=True)}")

    def placed(first: int) -> float:  # CPU an order, in microseconds
        started = time.thread_time()
        for n in range(first, first + orders):
            place(n)
        return (time.thread_time() - started) / orders * 1e6

    for n in range(50):  # connections made, statements prepared, caches warm
        place(n)
    bare = placed(50)
    spent, calls = Counter(), Counter()
    for label, where in PARTS:
        _wrap(app, label, where, spent, calls)
    for n in range(20):
        place(n)
    spent.clear()
    calls.clear()
    wrapped = placed(70 + orders)
    return {"bare": bare, "wrapped": wrapped,
            "parts": {label: [spent[label] / orders * 1e6, calls[label] / orders]
                      for label, _ in PARTS}}


def _timed(function, label: str, spent: Counter, calls: Counter):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.thread_time() - started
            calls[label] += 1

    return timed


def _wrap(app, label: str, where: str, spent: Counter, calls: Counter) -> None:
    """Time ``where`` under ``label``: the attribute replaced on its owner, and on every
    module that imported the same function by name."""
    module, path = where.split(":")
    if module == "hooks":
        hooks = app.before_request_funcs if path == "before" else app.after_request_funcs
        for key, functions in hooks.items():
            hooks[key] = [_timed(f, label, spent, calls) for f in functions]
        return
    owner = importlib.import_module(module)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    function = getattr(owner, name)
    timed = _timed(function, label, spent, calls)
    setattr(owner, name, timed)
    for loaded in list(sys.modules.values()):
        names = getattr(loaded, "__dict__", None) or {}
        for key, value in list(names.items()):
            if value is function and loaded is not owner:
                setattr(loaded, key, timed)


def _report(measured: dict, args) -> None:
    print(f"\nCPU of an order's parts, in-process, one thread, {args.orders} orders "
          f"({'the hot product' if args.hot else 'a random product and store'}"
          f"{', lots' if args.lots else ''}); a part includes the parts under it")
    print(f"{'part':48} {'µs an order':>12} {'calls':>6}")
    for label, (micro, calls) in measured["parts"].items():
        print(f"{label:48} {micro:12.0f} {calls:6.1f}")
    print(f"an order in all: {measured['bare']:.0f} µs unwrapped, {measured['wrapped']:.0f} µs "
          "with the parts timed")


if __name__ == "__main__":
    sys.exit(main())
