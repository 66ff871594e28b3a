"""``flask demo``: seed a believable shop, from the catalog to the customer center.

The catalog, the centers and the staff are a handful of rows written through the ORM.
Customers and 18 months of order history are generated in Python and written in bulk, a
chunk of customers at a time (COPY on PostgreSQL, executemany on SQLite; never a flush per
row); their ids are assigned up front so rows can refer to each other, and PostgreSQL's
sequences are moved past them at the end. Large shops take minutes, not hours.

Every rule the services keep holds for the generated rows: an open order's lines are in
``Stock.reserved`` (and ``reserved <= on_hand``), a fulfillment's status and timestamps
agree with its order's, a CRM profile's figures are those ``refresh_figures`` computes
from the orders (a test checks), a satisfaction call is due three days after each recent
hand-over or delivery.
"""

import time

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from core.cache import mark_changed
from core.extensions import db
from crm.customers.figures import recompute_figures
from crm.customers.tagging import apply_tag_rules
from storefront.models import Product

from .care import build_care
from .club import build_club
from .outcomes import build_outcomes
from .shop import DemoShop


@click.command("demo")
@click.option("--customers", type=click.IntRange(0, 10_000_000), default=300, show_default=True,
              help="Shopper accounts to create.")
@click.option("--orders", type=click.IntRange(0, 100_000_000), default=None,
              help="Orders over the last 18 months [default: 4 per customer].")
@click.option("--if-empty", is_flag=True,
              help="Do nothing (and say so) when the shop already has products.")
@click.option("--seed", type=int, default=None, help="Random seed, for the same shop again.")
@with_appcontext
def demo_command(customers, orders, if_empty, seed):
    """Seed a realistic shop and print its logins."""
    started = time.monotonic()
    if db.session.execute(sa.select(Product.id).limit(1)).first() is not None:
        if if_empty:
            click.echo("The shop already has products: nothing to seed.")
            return
        raise click.ClickException(
            "The shop already has products; `flask demo` seeds an empty database "
            "(use --if-empty to skip quietly).")
    if orders is None:
        orders = 4 * customers
    if orders and not customers:
        raise click.BadParameter("orders need customers", param_hint="--orders")

    shop = DemoShop(seed)
    shop.build_catalog()
    shop.build_centers()
    shop.build_staff()
    shop.build_customers(customers, orders)
    shop.build_stock()
    shop.fix_sequences()
    build_club()
    # the bulk inserts pass by the session's watch (core.cache.watch_tables): say what changed
    mark_changed(db.session, "catalog", "stock", "followups", "measures", "sales", "complaints",
                 "rfm")
    db.session.commit()
    click.echo("Figures, RFM segments and needs tags: "
               + "; ".join((recompute_figures(shop.now), apply_tag_rules(shop.now))))
    db.session.commit()
    if customers:
        care = build_care(shop.agent, shop.now, seed, customers=customers)
        db.session.commit()
        click.echo(f"Customer center: {care['complaints']} complaint(s), "
                   f"{care['coupons']} coupon(s) given.")
        outcomes = build_outcomes(shop.agent, shop.now, seed)
        db.session.commit()
        click.echo(f"Outcomes: {outcomes['snapshots']} monthly segment snapshot row(s), "
                   f"{outcomes['campaigns']} finished campaign(s) with a control group.")
    shop.report(time.monotonic() - started)
