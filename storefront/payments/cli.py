"""The payments commands (``flask payments ...``)."""

from datetime import UTC, datetime, timedelta

import click
from flask.cli import AppGroup

from core.clock import utcnow
from core.errors import DomainError

from . import gateway, jobs

payments_cli = AppGroup("payments", help="Online payments (Stripe).")


@payments_cli.command("reconcile")
@click.option("--since", "since_text", default=None,
              help="ISO 8601 time or a number of hours back (default: 48 hours).")
def reconcile_command(since_text):
    """Compare Stripe's PaymentIntents with the orders and repair those that disagree."""
    if not gateway.enabled():
        raise click.ClickException("STRIPE_SECRET_KEY is not set: online payment is off.")
    now = utcnow()
    if not since_text:
        since = now - timedelta(hours=48)
    elif since_text.isdigit():
        since = now - timedelta(hours=int(since_text))
    else:
        try:
            since = datetime.fromisoformat(since_text)
        except ValueError:
            raise click.BadParameter("use ISO 8601 (2026-11-23T09:00:00+08:00) or hours",
                                     param_hint="--since") from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
    try:
        result = jobs.reconcile(since)
    except DomainError as err:
        raise click.ClickException(str(err.message)) from None
    click.echo(f"{result['seen']} intent(s) since {since.isoformat()}, "
               f"{result['changed']} order(s) repaired, {result['refunds']} refund(s) retried")
