"""``flask stock ...``: check the stock ledger and the lots."""

import click
from flask.cli import with_appcontext

from .ledger import verify_ledger
from .lot_moves import verify_lots


@click.group("stock", help="The stock ledger of the centers.")
def stock_cli():
    pass


@stock_cli.command("verify", help="Check that every stock row equals the sum of its movements "
                                  "and, where it is kept in lots, the sum of its lots.")
@click.option("--center", "center_id", type=int, default=None, help="Only this center (id).")
@with_appcontext
def verify(center_id):
    problems = verify_ledger(center_id)
    lot_problems = verify_lots(center_id)
    if not problems and not lot_problems:
        click.echo("stock ledger OK: every stock row equals the sum of its movements and of "
                   "its lots")
        return
    for p in problems:
        click.echo(
            f"center {p['center_id']} product {p['product_id']}: on_hand {p['on_hand']} "
            f"(ledger {p['ledger_on_hand']}), reserved {p['reserved']} "
            f"(ledger {p['ledger_reserved']})", err=True)
    for p in lot_problems:
        click.echo(
            f"center {p['center_id']} product {p['product_id']}: on_hand {p['on_hand']} "
            f"(lots {p['lots_on_hand']}), reserved {p['reserved']} "
            f"(lots {p['lots_reserved']})", err=True)
    raise SystemExit(1)
