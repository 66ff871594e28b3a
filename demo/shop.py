"""The demo shop: the catalog, the centers and the staff as a handful of ORM rows, the
stock the centers hold, and the report with the logins. The shoppers and their 18 months
of orders come from ``Shoppers`` and ``Orders`` (demo/shoppers.py, demo/orders.py)."""

import random
import secrets
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import click
import sqlalchemy as sa
from flask import current_app

from core.clock import shop_date, shop_zone, utcnow
from core.extensions import db
from core.models import Role, User
from fulfillment.models import (
    Center,
    CenterDistrict,
    CenterHoliday,
    CenterHours,
    DeliveryZone,
    SlotWindow,
    Stock,
    StockMovement,
)
from fulfillment.slots import open_slots
from storefront.models import Category, Product

from .data import CATEGORIES, CLERKS, O2O_SETTINGS, PROVINCE, catalog, centers_spec
from .orders import Orders
from .shoppers import HISTORY_DAYS, Shoppers

LOGINS_FILE = "demo-logins.txt"


class DemoShop(Shoppers, Orders):
    """Builds the demo shop; each ``build_*`` writes its rows, the caller commits."""

    def __init__(self, seed: int | None):
        self.rng = random.Random(seed)
        self.now = utcnow()
        self.zone = shop_zone()
        name = current_app.config["SHOP_NAME"]
        self.brand_en = name
        self.brand_zh = {"haiyun": "海韵"}.get(name.lower(), name)
        slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum()) or "shop"
        self.staff_domain = f"{slug}.example.com"
        self.logins: list[tuple[str, str, str]] = []
        self.counts: dict[str, int] = {}
        self.reserved: dict[tuple[int, int], int] = {}
        self.open_by_center: dict[str, int] = {}
        self.used_codes: set[str] = set()
        self.used_phones: set[str] = set()
        self.used_cards: set[str] = set()
        self.used_emails = set(db.session.execute(sa.select(User.email)).scalars())
        local_now = self.now.astimezone(self.zone)
        self.today_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        self.window_start = self.today_start - timedelta(days=HISTORY_DAYS)

    # catalog, centers, staff: a few ORM rows

    def build_catalog(self) -> None:
        categories = {}
        for position, (slug, zh, en) in enumerate(CATEGORIES, start=1):
            categories[slug] = Category(slug=slug, name_zh=zh, name_en=en, position=position)
            db.session.add(categories[slug])
        self.products = []
        for position, spec in enumerate(catalog(self.brand_zh, self.brand_en), start=1):
            product = Product(
                sku=spec["sku"], slug=spec["slug"], name_zh=spec["name_zh"],
                name_en=spec["name_en"], description_zh=spec["description_zh"],
                description_en=spec["description_en"], price_amount=spec["price"],
                member_price_amount=spec["member"], currency="CNY",
                category=categories[spec["category"]], days_of_supply=spec["days"],
                image=f"static/img/products/{spec['image']}", position=position, active=True,
                created_at=self.window_start - timedelta(days=30),
            )
            db.session.add(product)
            self.products.append((product, spec))
        db.session.flush()
        by_kind = {"sea": [], "formula": [], "gift": []}
        for product, spec in self.products:
            by_kind[spec["kind"]].append(SimpleNamespace(
                id=product.id, sku=product.sku, name_zh=product.name_zh, name_en=product.name_en,
                price=product.price_amount, member=product.member_price_amount, spec=spec))
        self.sea = by_kind["sea"]  # best grade first
        self.formula = {(p.spec["line"], p.spec["stage"]): p for p in by_kind["formula"]}
        self.gifts = by_kind["gift"]
        self.counts["products"] = len(self.products)

    def build_centers(self) -> None:
        self.centers = {}
        for spec in centers_spec(self.brand_zh, self.brand_en):
            city = spec["city"]
            center = Center(
                code=spec["code"], name_zh=spec["name_zh"], name_en=spec["name_en"],
                is_pickup=spec["is_pickup"], is_delivery=spec["is_delivery"],
                is_warehouse=spec.get("is_warehouse", False),
                province=PROVINCE[city], city=city, district=spec["district"],
                address_zh=spec["address_zh"], address_en=spec["address_en"], lat=spec["lat"],
                lng=spec["lng"], phone=spec["phone"], opens_at=spec["opens_at"],
                closes_at=spec["closes_at"], radius_km=spec["radius_km"], active=True,
                districts=[CenterDistrict(province=PROVINCE[city], city=city, district=d)
                           for d in spec["districts"]],
            )
            db.session.add(center)
            self.centers[spec["code"]] = center
        db.session.flush()
        for code, center in self.centers.items():
            self._o2o_settings(center, O2O_SETTINGS.get(code, {}))
        self.counts["centers"] = len(self.centers)

    def _o2o_settings(self, center: Center, spec: dict) -> None:
        """Contact, weekday hours, delivery zones and time slots for the days ahead."""
        center.contact_person = spec.get("contact")
        for weekday, hours in spec.get("hours", {}).items():
            center.hours.append(CenterHours(weekday=weekday, closed=hours is None,
                                            opens_at=(hours or ("00:00",))[0],
                                            closes_at=(hours or ("", "00:00"))[1]))
        new_year = date(self.now.year + 1, 1, 1)
        center.holidays.append(CenterHoliday(day=new_year, note="元旦"))
        rows = {d.district: d for d in center.districts}
        for name, fee, free_over, minimum, radius, districts in spec.get("zones", []):
            zone = DeliveryZone(center=center, name=name, fee_amount=fee,
                                free_over_amount=free_over, min_order_amount=minimum,
                                radius_km=radius)
            for district in districts:
                rows[district].zone = zone
        db.session.flush()
        for kind, starts, ends, places in spec.get("windows", []):
            db.session.add(SlotWindow(center_id=center.id, kind=kind, starts=starts, ends=ends,
                                      capacity=places))
        db.session.flush()
        open_slots(center, today=shop_date(self.now), days=7)

    def _account(self, role: str, email: str, name: str, label: str, center=None) -> User:
        local, domain = email.split("@")
        n = 1
        while email in self.used_emails:  # e.g. an admin made by hand before the demo
            n += 1
            email = f"{local}{n}@{domain}"
        password = secrets.token_urlsafe(9)
        user = User(email=email, name=name, role=role, phone=None, locale=None, active=True,
                    email_verified_at=self.window_start - timedelta(days=60),
                    center_id=center.id if center is not None else None,
                    created_at=self.window_start - timedelta(days=60))
        user.set_password(password)
        db.session.add(user)
        self.used_emails.add(email)
        self.logins.append((label, email, password))
        return user

    def build_staff(self) -> None:
        d = self.staff_domain
        self.admin = self._account(Role.ADMIN, f"admin@{d}", "周海涛", "admin")
        self.agent = self._account(Role.CRM, f"crm@{d}", "陈静", "crm agent")
        self.clerks = {}
        for code, center in self.centers.items():
            self.clerks[code] = self._account(
                Role.STAFF, f"staff.{code.lower().replace('-', '')}@{d}", CLERKS[code],
                f"staff {code}", center=center)
        db.session.flush()

    def build_stock(self) -> None:
        """What each center holds: a working stock, plus everything open orders reserved."""
        rng, rows = self.rng, []
        for code, center in self.centers.items():
            for product, spec in self.products:
                base = {"sea": (6, 30), "formula": (24, 80), "gift": (4, 20)}[spec["kind"]]
                on_hand = rng.randint(*base) * (2 if center.is_delivery else 1)
                if (code, spec["sku"]) in (("HZ-XH", "GB-CJ"), ("SH-JA", "NF-YJ-3")):
                    on_hand = 0  # sold out here: the pages show what that looks like
                elif (code, spec["sku"]) == ("SH-JA", "HS-ZZD-2030"):
                    on_hand = 2  # the last few
                reserved = self.reserved.get((center.id, product.id), 0)
                rows.append({"center_id": center.id, "product_id": product.id,
                             "on_hand": on_hand + reserved, "reserved": reserved,
                             "updated_at": self.now})
        db.session.execute(Stock.__table__.insert(), rows)
        # The ledger opens with what each center received and what open orders reserved.
        db.session.execute(StockMovement.__table__.insert(), [
            {"center_id": r["center_id"], "product_id": r["product_id"], "kind": kind,
             "on_hand_delta": on_hand, "reserved_delta": reserved, "reason": reason,
             "created_at": self.now}
            for r in rows
            for kind, on_hand, reserved, reason in (
                ("received", r["on_hand"], 0, "opening stock"),
                ("reserved", 0, r["reserved"], "open orders"))
            if on_hand or reserved])
        self.counts["stock"] = len(rows)

    def fix_sequences(self) -> None:
        """Ids were given explicitly: move PostgreSQL's sequences past them."""
        if db.session.get_bind().dialect.name != "postgresql":
            return
        for table in ("users", "customers", "orders", "fulfillments"):
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"))

    def report(self, seconds: float) -> None:
        c = self.counts
        click.echo(
            f"Seeded {self.brand_en} in {seconds:.1f}s: {c.get('products', 0)} products, "
            f"{c.get('centers', 0)} centers, {c.get('users', 0)} shoppers "
            f"({c.get('memberships', 0)} VIP), {c.get('customers', 0)} CRM profiles, "
            f"{c.get('orders', 0)} orders, {c.get('followups', 0)} follow-ups.")
        open_now = ", ".join(f"{code} {self.open_by_center.get(code, 0)}" for code in self.centers)
        click.echo(f"Open orders at the desks: {open_now}.")
        lines = ["Logins (passwords are random per run):"]
        for label, email, password in self.logins:
            lines.append(f"  {label:<14} {email:<34} password: {password}")
        if self.best_customer:
            email, count, name = self.best_customer
            lines.append(f"  {'shopper':<14} {email:<34} password: {self.customer_password}"
                         f"  ({name}, VIP, {count} orders)")
            lines.append(f"  (every demo shopper's password is {self.customer_password})")
        click.echo("\n".join(lines))
        path = Path(current_app.instance_path) / LOGINS_FILE
        try:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            path.chmod(0o600)
            click.echo(f"(saved to {path})")
        except OSError as exc:
            click.echo(f"(could not save the logins to {path}: {exc})", err=True)
