"""Commands of the customer center: import customers, export a segment."""

import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from core.clock import utcnow
from core.errors import ValidationFailed
from core.extensions import db

from .care import recalls
from .customers import importing, segments
from .customers.models import SavedSegment
from .outreach.campaigns import send_campaign
from .outreach.models import Campaign

crm_cli = AppGroup("crm", help="Customer center: import and export, recalls.")


@crm_cli.command("import-customers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
def import_customers_command(path, dry_run):
    """Import prospects from a CSV file (UTF-8 or GB18030); known people are skipped."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        result = (importing.preview if dry_run else
                  lambda d: importing.import_customers(d, None))(data)
    except ValidationFailed as err:
        raise click.ClickException("; ".join(
            str(m) for ms in err.errors.values() for m in ms) or str(err.message)) from None
    for line, errors in result.bad:
        click.echo(f"line {line}: {'; '.join(errors)}", err=True)
    for line, why in result.known:
        click.echo(f"line {line}: skipped, {why}", err=True)
    if not dry_run:
        db.session.commit()
    verb = "would import" if dry_run else "imported"
    click.echo(f"{verb} {len(result.rows)}, skipped {len(result.known)} known, "
               f"{len(result.bad)} bad row(s)")


@crm_cli.command("export-segment")
@click.argument("segment")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
def export_segment_command(segment, output):
    """Write a saved segment (its id or name) as CSV."""
    row = db.session.execute(sa.select(SavedSegment).where(sa.or_(
        SavedSegment.name == segment,
        SavedSegment.id == (int(segment) if segment.isdigit() else -1)))).scalar_one_or_none()
    if row is None:
        raise click.ClickException(f"no segment {segment!r}")
    for chunk in segments.export_csv(row):
        output.write(chunk)
    if output is not sys.stdout:
        output.flush()


@crm_cli.command("recall")
@click.argument("lot")
@click.option("--advice", default=None, help="What the customers should do (else the default).")
def recall_command(lot, advice):
    """Open the recall of a lot (its id or batch number): a call for every customer who
    received units of it. Running it again plans only customers not called yet."""
    found = recalls.find_lots(lot)
    if not found:
        raise click.ClickException(f"no lot {lot!r}")
    try:
        for each in found:
            campaign, planned = recalls.open_recall(each, None, advice=advice)
            click.echo(f"lot {each.id} (batch {each.batch}): recall {campaign.id}, "
                       f"{planned} new call(s) planned")
    except ValidationFailed as err:
        raise click.ClickException("; ".join(
            str(m) for ms in err.errors.values() for m in ms)) from None
    db.session.commit()


@crm_cli.command("campaign-send")
@click.argument("campaign_id", type=int)
def campaign_send_command(campaign_id):
    """Send a campaign to every customer of its segment who has not had it yet."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign {campaign_id}")
    planned = send_campaign(campaign, None, utcnow())
    db.session.commit()
    click.echo(f"campaign {campaign_id}: {planned} new message(s) or call(s)")
