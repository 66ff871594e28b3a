"""The kernel: money formatting, language switch, error shapes, security headers, jobs CLI."""

import pytest

from core.money import Money, format_money

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def test_money_is_integer_minor_units():
    assert (Money(12800) + Money(200)).amount == 13000
    with pytest.raises(TypeError):
        Money(12.5)
    with pytest.raises(ValueError):
        Money(1, "CNY") + Money(1, "USD")


@pytest.mark.parametrize("locale,amount,expected", [
    ("zh_CN", 12850, "¥128.50"), ("en", 12850, "¥128.50"), ("zh_Hans_CN", 12850, "¥128.50"),
    ("en", -123456, "-¥1,234.56"), ("zh_CN", 0, "¥0.00"), ("de", 12850, "128,50\xa0¥"),
])
def test_money_shows_the_shops_sign_in_every_language(locale, amount, expected):
    assert format_money(amount, "CNY", locale) == expected


def test_other_currencies_keep_babels_sign():
    assert format_money(12850, "USD", "en") == "$128.50"
    assert format_money(500, "JPY", "en") == "¥500"


def test_language_switch_sticks_and_refuses_open_redirects(client):
    response = client.get("/lang/en?next=/products")
    assert response.status_code == 302 and response.headers["Location"] == "/products"
    assert "lang=en" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert client.get("/lang/en?next=https://evil.example/").headers["Location"] == "/"
    assert client.get("/lang/en?next=//evil.example/").headers["Location"] == "/"
    assert client.get("/lang/en?next=/%5Cevil.example/").headers["Location"] == "/"


def test_api_errors_are_json_with_a_code(client):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_security_headers(client):
    response = client.get("/healthz")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_users_create_and_jobs_run_due(runner, shop, session):
    import sqlalchemy as sa

    from core.models import User

    result = runner.invoke(args=["users", "create", "clerk9@example.com", "--password",
                                 "longenough1", "--role", "staff", "--center", "SH-JA"])
    assert result.exit_code == 0, result.output
    user = session.execute(sa.select(User).where(User.email == "clerk9@example.com")).scalar_one()
    assert user.role == "staff" and user.center_id == shop.store.id
    bad = runner.invoke(args=["users", "create", "x@example.com", "--password", "longenough1",
                              "--role", "staff"])
    assert bad.exit_code != 0 and "--center" in bad.output
    unknown = runner.invoke(args=["users", "create", "y@example.com", "--password",
                                  "longenough1", "--role", "staff", "--center", "NOPE"])
    assert unknown.exit_code != 0
    assert runner.invoke(args=["jobs", "run-due", "--now", "yesterday"]).exit_code != 0


def test_jobs_run_due_runs_every_job_as_of_now(runner, shop, session, app):
    """Every registered job runs once, none fails, and ``--now`` is the moment they judge
    by: a pickup ready today is released as a no-show by a run dated eight days on."""
    from datetime import timedelta

    from core.clock import utcnow
    from fulfillment import services
    from storefront.orders import place_order

    order = place_order(shop.shopper, lines=[{"sku": shop.products[0].sku, "quantity": 1}],
                        fulfillment={"method": "pickup", "center_id": shop.store.id},
                        payment_method="pay_at_pickup")
    services.mark_ready(order.fulfillment, shop.clerk)
    session.commit()
    today = runner.invoke(args=["jobs", "run-due"])
    assert today.exit_code == 0, today.output
    lines = dict(line.split(": ", 1) for line in today.output.strip().splitlines())
    assert set(lines) == set(app.extensions["shop_jobs"])
    assert not [name for name, summary in lines.items() if summary.startswith("failed")]
    assert lines["release_no_shows"].startswith("0 ")
    later = (utcnow() + timedelta(days=8)).isoformat()
    run = runner.invoke(args=["jobs", "run-due", "--now", later])
    assert run.exit_code == 0, run.output
    assert "release_no_shows: 1 uncollected pickup(s) returned to stock" in run.output
    session.expire_all()
    assert order.fulfillment.status == "cancelled"


def test_paginate_counts_pages_and_keeps_the_page_in_range(session):
    import sqlalchemy as sa

    from core.database import paginate
    from storefront.models import Category

    session.add_all([Category(slug=f"p{n}", name_zh=f"类{n}", position=n) for n in range(7)])
    session.flush()
    query = sa.select(Category).where(Category.slug.like("p%")).order_by(Category.position)
    items, page, pages = paginate(query, page=2, per_page=3)
    assert ([c.slug for c in items], page, pages) == (["p3", "p4", "p5"], 2, 3)
    items, page, pages = paginate(query, page=99, per_page=3)  # past the end: the last page
    assert ([c.slug for c in items], page, pages) == (["p6"], 3, 3)
    assert paginate(query, page=0, per_page=3)[1] == 1
    rows, _, pages = paginate(sa.select(Category.slug, Category.position).where(
        Category.slug.like("p%")).order_by(Category.position), page=1, per_page=2, total=7,
        rows=True)
    assert (rows, pages) == ([("p0", 0), ("p1", 1)], 4)
