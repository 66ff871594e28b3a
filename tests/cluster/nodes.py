"""Real processes for the cluster tests: gunicorn nodes of the shop as the README starts them,
and a small shop written into a fresh database."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PASSWORD = "correct horse 42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30, process=None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the server ended ({process.returncode})\n"
                               + _tail(process))
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {seconds} s\n" + _tail(process))


def _tail(process) -> str:
    log = getattr(process, "log_path", None)
    return Path(log).read_text(errors="replace")[-3000:] if log and Path(log).exists() else ""


class Node:
    """``gunicorn --config gunicorn.conf.py --workers N wsgi:app`` (scripts/serve's command)
    on a loopback port, with its own environment; its output goes to a file."""

    def __init__(self, env: dict, log_dir: Path, workers: int = 2, name: str = "node",
                 metrics_dir: bool = True):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}-{self.port}.log"
        # the workers' metrics folder: the test's, or one in the node's log folder; with
        # metrics_dir=False none at all, as the README starts it (gunicorn.conf.py makes one)
        self.env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        if metrics_dir:
            self.env["PROMETHEUS_MULTIPROC_DIR"] = str(log_dir / f"metrics-{name}-{self.port}")
        self.env.update(env)
        self.workers = workers
        self.process = None

    def start(self) -> "Node":
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [GUNICORN, "--config", "gunicorn.conf.py", "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--access-logfile", "-", "--timeout", "60",
             "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.process.log_path = self.log_path
        log.close()
        wait_for(self.url + "/healthz", process=self.process)
        return self

    def worker_pids(self) -> list[int]:
        """The master's children: its workers (Linux's /proc)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:  # "pid (name) state ppid ...": the name may hold spaces, not ")"
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # a process that ended meanwhile
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    @staticmethod
    def metrics_files(pid: int) -> set[Path]:
        """The Prometheus files a worker has mapped (multiprocess mode's ``*_<pid>.db``)."""
        maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
        return {Path(line.split(None, 5)[5]) for line in maps
                if len(line.split(None, 5)) == 6 and line.endswith(f"_{pid}.db")}

    def kill(self) -> None:
        """Gone at once, workers and all (a machine that dies)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def seed_shop(app, *, stock: int = 1000) -> dict:
    """A pickup store with two products in stock, a shopper with an API token, an admin and
    a clerk; returns their ids, SKUs and tokens."""
    from core.clock import utcnow
    from core.extensions import db
    from core.models import ApiToken, Role, User
    from fulfillment.ledger import record_movement
    from fulfillment.models import Center, Stock
    from storefront.models import Category, Product
    from tests.conftest import password_hash

    with app.app_context():
        store = Center(code="SH-JA", name_zh="静安店", name_en="Jing'an", is_pickup=True,
                       is_delivery=False, is_warehouse=False, province="上海市", city="上海市",
                       district="静安区", address_zh="上海市静安区测试路1号",
                       address_en="1 Test Road", lat=31.2286, lng=121.4547)
        category = Category(slug="sea-cucumber", name_zh="海参", name_en="Sea cucumber")
        products = [Product(sku=f"SKU-{n}", slug=f"product-{n}", name_zh=f"商品{n}",
                            name_en=f"Product {n}", price_amount=12800, category=category,
                            description_zh="描述", active=True) for n in (1, 2)]
        db.session.add_all([store, category, *products])
        db.session.flush()
        for product in products:
            db.session.add(Stock(center_id=store.id, product_id=product.id, on_hand=stock,
                                 reserved=0))
            db.session.flush()
            record_movement(store.id, product.id, "adjusted", on_hand=stock, reason="test")
        users = {}
        for role, email in ((Role.CUSTOMER, "shopper@example.com"),
                            (Role.ADMIN, "admin@example.com"),
                            (Role.STAFF, "clerk@example.com")):
            user = User(email=email, name=email.split("@")[0], role=role,
                        center_id=store.id if role == Role.STAFF else None,
                        email_verified_at=utcnow())  # confirmed: signs in by password
            user.password_hash = password_hash(PASSWORD)
            db.session.add(user)
            db.session.flush()
            users[role] = user
        tokens = {role: ApiToken.issue(user, 30)[1] for role, user in users.items()}
        db.session.commit()
        return {"store": store.id, "skus": [p.sku for p in products],
                "products": [p.id for p in products],
                "shopper": users[Role.CUSTOMER].id, "admin": users[Role.ADMIN].id,
                "clerk": users[Role.STAFF].id,
                "tokens": {str(role): token for role, token in tokens.items()}}


def count(app, model, *where) -> int:
    from core.extensions import db

    with app.app_context():
        return db.session.execute(
            sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()
