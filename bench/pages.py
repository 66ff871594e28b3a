"""Requests per second of the shop's catalog and product pages against a bare Flask app.

    .venv/bin/python bench/pages.py [--duration 5] [--rounds 3] [--loadgen auto|wrk|python]

Builds a fresh SQLite shop in a temporary instance folder (``flask db upgrade``, ``flask
demo``), serves it under gunicorn (2 sync workers) on a free loopback port, and serves
bench/bare_app.py under the same settings on another, whose pages have the byte length of
the shop's. Each page is loaded in turn (shop, bare, shop, bare, ... for ``--rounds``
rounds, after a warm-up) by ``wrk`` when it is installed, else by a small threaded Python
client; the table shows the best requests/s of each and the ratio shop/bare. Loopback only;
about a minute and a half with the defaults. See bench/README.md.
"""

import argparse
import http.client
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per page")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per page (best counts)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, both apps")
    parser.add_argument("--customers", type=int, default=300, help="flask demo --customers")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    args = parser.parse_args(argv)

    loadgen = args.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if shutil.which("wrk") else "python"
    elif loadgen == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk), use --loadgen python")

    started = time.monotonic()
    instance = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    env = _environment(instance)
    servers: list[subprocess.Popen] = []
    try:
        step(f"building the demo shop in {instance} (load average now "
             f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        _run([VENV_BIN / "flask", "db", "upgrade"], env)
        _run([VENV_BIN / "flask", "demo", "--seed", "42", "--customers", str(args.customers)],
             env)
        slug = _first_product_slug(instance / "shop.db")
        paths = {"catalog": "/products", "product": f"/products/{slug}"}

        shop_port = _free_port()
        servers.append(_gunicorn(["wsgi:app"], ROOT, shop_port, args.workers, env, instance,
                                 "shop"))
        _wait_healthy(shop_port, servers[-1])
        sizes = {}
        for page, path in paths.items():
            status, body = _fetch(shop_port, path)
            if status != 200:
                raise SystemExit(f"the shop answered {status} for {path}; nothing to measure")
            sizes[page] = len(body)
        queries = _query_counts(instance, paths)

        bare_port = _free_port()
        bare_env = dict(env, BARE_CATALOG_BYTES=str(sizes["catalog"]),
                        BARE_PRODUCT_BYTES=str(sizes["product"]))
        servers.append(_gunicorn(["bare_app:app"], ROOT / "bench", bare_port, args.workers,
                                 bare_env, instance, "bare"))
        _wait_healthy(bare_port, servers[-1])
        for page, path in paths.items():
            status, body = _fetch(bare_port, path)
            assert status == 200 and len(body) == sizes[page], (page, status, len(body))

        step(f"load: {loadgen}, {args.connections} connections, {args.rounds} x "
             f"{args.duration:g}s per page, {args.workers} sync workers each")
        targets = [(page, app, port, path) for page, path in paths.items()
                   for app, port in (("shop", shop_port), ("bare", bare_port))]
        for _page, _app, port, path in targets:
            _load(loadgen, port, path, args.warmup, args.connections)
        results = {(page, app): [] for page, app, _, _ in targets}
        for n in range(args.rounds):
            for page, app, port, path in targets:
                result = _load(loadgen, port, path, args.duration, args.connections)
                results[(page, app)].append(result)
                step(f"round {n + 1}: {app:4} {page:8} {result['rps']:9.1f} req/s"
                     + (f"  ({result['errors']} errors)" if result["errors"] else ""))
        _report(results, sizes, queries, paths, loadgen, args, time.monotonic() - started)
        return 0
    finally:
        for server in servers:
            _stop(server)
        if args.keep:
            step("kept", instance)
        else:
            shutil.rmtree(instance, ignore_errors=True)


def step(*parts) -> None:
    print("·", *parts, flush=True)


# --- set-up -----------------------------------------------------------------------------------


def _environment(instance: Path) -> dict:
    """The shop's environment: its own instance folder and SQLite file, in-memory cache."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FLASK_DEBUG")}
    env.update(SHOP_INSTANCE_PATH=str(instance), FLASK_APP="wsgi", PYTHONUNBUFFERED="1")
    return env


def _run(command: list, env: dict, timeout: float = 300) -> None:
    done = subprocess.run([str(c) for c in command], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{' '.join(str(c) for c in command)} failed ({done.returncode})")


def _first_product_slug(database: Path) -> str:
    with sqlite3.connect(database) as conn:
        row = conn.execute("SELECT slug FROM products WHERE active ORDER BY position, id "
                           "LIMIT 1").fetchone()
    if row is None:
        raise SystemExit("the demo shop has no products")
    return row[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _gunicorn(app: list, chdir: Path, port: int, workers: int, env: dict, instance: Path,
              name: str) -> subprocess.Popen:
    log = open(instance / f"gunicorn-{name}.log", "wb")  # noqa: SIM115 - closed with the process
    command = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
               "--bind", f"{HOST}:{port}", "--chdir", str(chdir), "--log-level", "warning",
               *app]
    process = subprocess.Popen(command, cwd=chdir, env=env, stdout=log, stderr=log)
    process.log = log
    return process


def _wait_healthy(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {process.log.name}")
        try:
            if _fetch(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn on port {port} did not come up; see {process.log.name}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.log.close()


def _fetch(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _query_counts(instance: Path, paths: dict) -> dict:
    """SQL statements per page, first request (cold cache) and the next (warm), in-process."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import event

    from core.app import create_app
    from core.extensions import db

    app = create_app({"INSTANCE_PATH": str(instance), "CACHE_TYPE": "SimpleCache",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'shop.db'}"})
    counts, seen = {}, [0]
    with app.app_context():
        engine = db.engine

    def count(*_args, **_kw):
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    client = app.test_client()
    for page, path in paths.items():
        per_request = []
        for _ in range(2):
            seen[0] = 0
            client.get(path)
            per_request.append(seen[0])
        counts[page] = tuple(per_request)
    event.remove(engine, "before_cursor_execute", count)
    with app.app_context():
        db.engine.dispose()
    return counts


# --- load -------------------------------------------------------------------------------------


def _load(loadgen: str, port: int, path: str, duration: float, connections: int) -> dict:
    if loadgen == "wrk":
        return _wrk(port, path, duration, connections)
    return _python_load(port, path, duration, connections)


def _wrk(port: int, path: str, duration: float, connections: int,
         headers: dict | None = None) -> dict:
    threads = max(1, min(2, connections))
    header_args = [arg for name, value in (headers or {}).items()
                   for arg in ("-H", f"{name}: {value}")]
    done = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(duration, 1):g}s",
         "--latency", *header_args, f"http://{HOST}:{port}{path}"],
        capture_output=True, text=True, timeout=duration + 30)
    out = done.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if done.returncode != 0 or rps is None:
        raise SystemExit(f"wrk failed: {out}{done.stderr}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        out)
    # A sync worker closes each connection after its response; wrk counts a close it reads
    # while reconnecting as a "read" error, so only connect/write/timeouts are failures.
    failures = int(non_2xx.group(1)) if non_2xx else 0
    if sockets:
        failures += int(sockets.group(1)) + int(sockets.group(3)) + int(sockets.group(4))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return {"rps": float(rps.group(1)), "errors": failures,
            "p50": p50.group(1) if p50 else "?", "p99": p99.group(1) if p99 else "?"}


def _python_load(port: int, path: str, duration: float, connections: int,
                 max_requests: int = 500_000, headers: dict | None = None) -> dict:
    """Threads with keep-alive HTTP/1.1 connections, reconnecting when the server closes.

    Bounded in time and in count. Python's GIL caps it at a few thousand requests/s, so
    against a fast bare page it measures the client as much as the server: prefer wrk.
    """
    stop_at = time.monotonic() + duration
    lock = threading.Lock()
    totals = {"ok": 0, "errors": 0, "latencies": []}

    def worker():
        conn, ok, errors, latencies = None, 0, 0, []
        while time.monotonic() < stop_at and ok + errors < max_requests // connections:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, port, timeout=10)
                t0 = time.perf_counter()
                conn.request("GET", path, headers=headers or {})
                response = conn.getresponse()
                response.read()
                latencies.append(time.perf_counter() - t0)
                if response.status == 200:
                    ok += 1
                else:
                    errors += 1
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                errors += 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with lock:
            totals["ok"] += ok
            totals["errors"] += errors
            totals["latencies"].extend(latencies)

    begin = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 15)
    elapsed = time.monotonic() - begin
    latencies = sorted(totals["latencies"]) or [0.0]

    def pct(q):
        return f"{latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000:.2f}ms"

    return {"rps": totals["ok"] / elapsed, "errors": totals["errors"], "p50": pct(0.5),
            "p99": pct(0.99)}


# --- report -----------------------------------------------------------------------------------


def _report(results, sizes, queries, paths, loadgen, args, seconds) -> None:
    """The best round of each page (noise from other work only ever lowers a figure), the
    ratio of the bests, and each round's ratio of its neighbouring shop and bare runs."""
    print()
    print(f"pages under gunicorn ({args.workers} sync workers each), load by {loadgen}, "
          f"{args.connections} connections, best of {args.rounds} x {args.duration:g}s")
    header = (f"{'page':<9} {'path':<44} {'bytes':>7} {'queries':>8} {'shop req/s':>11} "
              f"{'bare req/s':>11} {'ratio':>6} {'per round':>17}  {'shop p50 / p99':>18}")
    print(header)
    print("-" * len(header))
    for page, path in paths.items():
        shop, bare = results[(page, "shop")], results[(page, "bare")]
        best_shop = max(shop, key=lambda r: r["rps"])
        best_bare = max(r["rps"] for r in bare)
        ratio = best_shop["rps"] / best_bare if best_bare else 0.0
        rounds = " ".join(f"{s['rps'] / b['rps']:.2f}" if b["rps"] else "-"
                          for s, b in zip(shop, bare, strict=True))
        cold, warm = queries[page]
        latency = f"{best_shop['p50']} / {best_shop['p99']}"
        print(f"{page:<9} {path:<44} {sizes[page]:>7} {f'{cold}/{warm}':>8} "
              f"{best_shop['rps']:>11.1f} {best_bare:>11.1f} {ratio:>6.2f} {rounds:>17}  "
              f"{latency:>18}")
    print()
    print("queries: SQL statements of the first request (cold cache) / the next (warm).")
    print("per round: shop/bare of each round's neighbouring runs.")
    for page in paths:
        for app in ("shop", "bare"):
            rps = [r["rps"] for r in results[(page, app)]]
            errors = sum(r["errors"] for r in results[(page, app)])
            print(f"  {app} {page:<8} req/s by round: " + ", ".join(f"{x:.0f}" for x in rps)
                  + (f"   ERRORS: {errors}" if errors else ""))
    load = os.getloadavg()[0]
    cpus = os.cpu_count() or 1
    print(f"total time {seconds:.0f}s; load average {load:.1f} on {cpus} CPUs"
          + ("  (the machine was busy with other work: figures are low and noisy)"
             if load > cpus + 1 else ""))


if __name__ == "__main__":
    sys.exit(main())
