"""Every signed-in page of the bench (bench/signed_in_pages.py) issues as many SQL statements
on a demo shop of 20 customers (and 2 more of each thing below) as on one of 300 with 30 more
orders of the shopper, cart lines, complaints, stocked products and customers: no page's
statements grow with its rows.

The demo is seeded twice in one test (the small one rolled back to a savepoint first), so
both sizes are compared on the same backend and schema.
"""

import sqlalchemy as sa
from flask import g

from core.clock import utcnow
from core.extensions import cache, db
from core.models import Role, User
from crm.care.complaints import open_complaint
from crm.customers.models import Customer
from fulfillment import services as stock_services
from storefront import cart as carts
from storefront.loyalty.models import Membership
from storefront.models import Category, Order, Product
from storefront.orders import place_order
from tests.support.queries import count_statements

from .support.pages import session_token

PAGES = [
    ("shopper", "/products"), ("shopper", "/cart"), ("shopper", "/member"),
    ("shopper", "/orders"),
    ("clerk", "/desk"), ("clerk", "/desk/stock"),
    ("agent", "/crm"), ("agent", "/crm/customers"), ("agent", "/crm/dashboard"),
    ("agent", "/crm/complaints"),
    ("admin", "/admin/orders/"),
]


def _people() -> dict:
    """The bench's people in a demo shop: the member with the most orders, the clerk of the
    center with the most orders, the CRM agent, the admin."""
    per_user = (sa.select(Order.user_id, sa.func.count().label("n"))
                .group_by(Order.user_id).subquery())
    shopper = db.session.execute(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .join(per_user, per_user.c.user_id == User.id)
        .where(Membership.closed_at.is_(None), User.active.is_(True))
        .order_by(per_user.c.n.desc(), User.id).limit(1)).scalar_one()
    per_center = (sa.select(Order.center_id, sa.func.count().label("n"))
                  .group_by(Order.center_id).subquery())
    clerk = db.session.execute(
        sa.select(User).join(per_center, per_center.c.center_id == User.center_id)
        .where(User.role == Role.STAFF).order_by(per_center.c.n.desc(), User.id)
        .limit(1)).scalar_one()

    def first(role):
        return db.session.execute(sa.select(User).where(User.role == role)
                                  .order_by(User.id).limit(1)).scalar_one()

    return {"shopper": shopper, "clerk": clerk, "agent": first(Role.CRM),
            "admin": first(Role.ADMIN)}


def _statements(client, user, url) -> tuple[int, str]:
    """Statements of one request by ``user`` with a cold page cache."""
    token = session_token(user)
    db.session.expire_all()
    cache.clear()
    for name in ("_login_user", "_flask_babel", "csrf_token"):
        g.pop(name, None)
    with client.session_transaction() as s:
        s.clear()
        s["_user_id"] = token
        s["_fresh"] = True
    with count_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.location)
    html = response.get_data(as_text=True)
    assert user.name in html, f"{url} is not {user.name}'s signed-in page"
    return len(statements), html


def _count_pages(client) -> dict:
    people = _people()
    return {url: _statements(client, people[person], url)[0] for person, url in PAGES}


def _grow(people: dict, n: int) -> None:
    """``n`` more of what the pages list: the shopper's orders and cart lines, stocked
    products at the clerk's center, complaints, customers with orders."""
    shopper, clerk, agent = people["shopper"], people["clerk"], people["agent"]
    category = db.session.execute(sa.select(Category).limit(1)).scalar_one()
    made = []
    for i in range(n):
        product = Product(sku=f"GROW-{i:03d}", slug=f"grow-{i:03d}", name_zh=f"加量商品{i}",
                          name_en=f"More product {i}", price_amount=9900 + i,
                          category=category, active=True)
        db.session.add(product)
        made.append(product)
    db.session.flush()
    for product in made:
        stock_services.set_stock(clerk.center_id, product.id, 500, clerk)
    db.session.flush()
    for product in made[:max(n // 3, 1)]:
        carts.add_item(shopper, {}, product.id, 1)
    customers = []
    for i in range(n):
        buyer = User(email=f"grow{i}@example.com", name=f"加量顾客{i}", role=Role.CUSTOMER,
                     phone=f"1390000{i:04d}")
        db.session.add(buyer)
        customers.append(buyer)
    db.session.flush()
    for i, buyer in enumerate([shopper] * n + customers):
        product = made[i % len(made)]
        place_order(buyer, lines=[{"sku": product.sku, "quantity": 1}],
                    fulfillment={"method": "pickup", "center_id": clerk.center_id},
                    payment_method="pay_at_pickup")
    db.session.flush()
    profiles = db.session.execute(sa.select(Customer).order_by(Customer.id).limit(n)).scalars()
    for customer in profiles:
        open_complaint(actor=agent, customer=customer, category="quality",
                       description="Grew more complaints", now=utcnow())
    db.session.commit()


def test_signed_in_pages_issue_as_many_statements_for_many_rows_as_for_few(
        app, runner, session, client):
    outer = session.get_bind()  # the test's connection: a savepoint keeps the small shop apart
    small = outer.begin_nested()
    result = runner.invoke(args=["demo", "--customers", "20", "--orders", "120", "--seed", "5"])
    assert result.exit_code == 0, result.output
    _grow(_people(), 2)
    few = _count_pages(client)
    session.close()
    small.rollback()

    result = runner.invoke(args=["demo", "--customers", "300", "--orders", "1500", "--seed",
                                 "5"])
    assert result.exit_code == 0, result.output
    _grow(_people(), 30)
    many = _count_pages(client)
    grew = {url: (few[url], many[url]) for url in few if few[url] != many[url]}
    assert not grew, f"statements (few rows, many rows) that differ: {grew}"
    assert all(0 < n <= 20 for n in many.values()), many
