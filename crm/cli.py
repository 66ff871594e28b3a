"""Commands of the customer center: import customers, export a segment, recalls, send a
campaign (with its control group) and print its uplift."""

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
from .outreach import uplift
from .outreach.campaigns import choose_control, send_campaign
from .outreach.models import Campaign, CampaignHoldout

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
@click.option("--holdout", "holdout", type=int, default=None, metavar="PERCENT",
              help="Hold out this share of the audience (0-50 %%) at random: they get "
                   "nothing and are the control group. Chosen at the first sending only.")
@click.option("--attribution-days", type=int, default=None,
              help="Days after the sending that its outcome is measured (1-365; default 30).")
def campaign_send_command(campaign_id, holdout, attribution_days):
    """Send a campaign to every customer of its segment who has not had it yet, holding
    out a control group the first time when --holdout says so."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign {campaign_id}")
    if holdout is not None or attribution_days is not None:
        if campaign.sent_at is not None:
            raise click.ClickException(
                f"campaign {campaign_id} was sent: its hold-out share "
                f"({campaign.holdout_percent} %) and window ({campaign.attribution_days} days) "
                "were chosen then; send again without --holdout or --attribution-days")
        try:
            choose_control(campaign,
                           holdout_percent=campaign.holdout_percent if holdout is None
                           else holdout,
                           attribution_days=campaign.attribution_days
                           if attribution_days is None else attribution_days)
        except ValidationFailed as err:
            raise click.ClickException("; ".join(
                f"{field}: {m}" for field, ms in err.errors.items() for m in ms)) from None
    held_out = sa.select(sa.func.count()).where(CampaignHoldout.campaign_id == campaign.id)
    before = db.session.execute(held_out).scalar_one()
    planned = send_campaign(campaign, None, utcnow())
    held = db.session.execute(held_out).scalar_one() - before
    db.session.commit()
    click.echo(f"campaign {campaign_id}: {planned} new message(s) or call(s)"
               + (f", {held} held out ({campaign.holdout_percent} %)" if held else ""))


def _share(x: float) -> str:
    return f"{x * 100:.1f} %"


def _points(x: float) -> str:
    return f"{x * 100:+.1f}"


@crm_cli.command("campaign-uplift")
@click.argument("campaign_id", type=int)
def campaign_uplift_command(campaign_id):
    """Print what a campaign caused: contacted against held out, once its attribution
    window is over (customers who ordered, orders and revenue per customer, store visits),
    each difference with its 95 % interval and whether it is within noise."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign {campaign_id}")
    result = uplift.outcome(campaign, utcnow())
    click.echo(f"campaign {campaign.id}: {campaign.name}")
    click.echo(f"hold-out share {campaign.holdout_percent} %, "
               f"attribution window {campaign.attribution_days} days")
    if result["state"] == "none":
        click.echo("no control group to compare with (nobody held out, or nobody contacted "
                   "yet)")
        return
    if result["state"] == "measuring":
        click.echo(f"measuring: {result['contacted']} contacted, {result['held_out']} held "
                   f"out; results after {result['until'].isoformat(timespec='minutes')}")
        return
    click.echo(f"contacted {result['contacted']}, held out {result['held_out']}; orders "
               f"within {result['days']} days of each one's sending")
    click.echo(f"{'measure':<28}{'contacted':>12}{'held out':>12}{'uplift':>10}"
               f"{'95 % interval':>22}  verdict")
    for key, label in (("ordered", "customers who ordered"),
                       ("orders", "orders per customer"),
                       ("revenue", "revenue per customer (yuan)"),
                       ("store", "came to a store (pickup)")):
        d = result[key]
        if key in uplift.SHARES:  # shares, their difference in percentage points
            row = (_share(d.contacted), _share(d.held_out), f"{_points(d.diff)} pt",
                   f"[{_points(d.low)}, {_points(d.high)}] pt")
        else:
            row = (f"{d.contacted:.2f}", f"{d.held_out:.2f}", f"{d.diff:+.2f}",
                   f"[{d.low:+.2f}, {d.high:+.2f}]")
        verdict = ("too few customers to tell" if d.too_few else
                   "within noise" if d.noise else "a real difference")
        click.echo(f"{label:<28}{row[0]:>12}{row[1]:>12}{row[2]:>10}{row[3]:>22}  {verdict}")
