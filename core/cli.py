"""Commands of the kernel: users, jobs and the image store."""

from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from .clock import utcnow
from .extensions import db
from .jobs import run_due, run_job
from .models import Role, User
from .storage import LocalStorage, migrate_local_files, storage

users_cli = AppGroup("users", help="Manage accounts.")
jobs_cli = AppGroup("jobs", help="Run scheduled jobs.")


def create_user(email: str, password: str, name: str, role: str, center_code: str | None) -> User:
    """Create an account; staff must name their center (by code). Flushes, does not commit."""
    email = email.strip().lower()
    if role not in Role.ALL:
        raise click.BadParameter(f"unknown role {role!r}", param_hint="--role")
    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="--password")
    if db.session.execute(sa.select(User.id).where(User.email == email)).first():
        raise click.BadParameter(f"{email} already exists", param_hint="EMAIL")
    center_id = None
    if center_code:
        # The centers table belongs to fulfillment; refer to it by name, not by class.
        centers = db.metadata.tables["centers"]
        center_id = db.session.execute(
            sa.select(centers.c.id).where(centers.c.code == center_code)
        ).scalar()
        if center_id is None:
            raise click.BadParameter(f"no center {center_code!r}", param_hint="--center")
    if role == Role.STAFF and center_id is None:
        raise click.BadParameter("staff need --center CODE", param_hint="--center")
    # the operator vouches for the address: it signs in with its password at once
    user = User(email=email, name=name or email.split("@")[0], role=role, center_id=center_id,
                email_verified_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


@users_cli.command("create")
@click.argument("email")
@click.option("--password", required=True)
@click.option("--name", default="")
@click.option("--role", type=click.Choice(Role.ALL), default=Role.CUSTOMER, show_default=True)
@click.option("--center", "center_code", default=None, help="Center code (staff).")
def users_create(email, password, name, role, center_code):
    """Create an account, e.g. a store clerk bound to a center."""
    user = create_user(email, password, name, role, center_code)
    db.session.commit()
    click.echo(f"created {user.email} ({user.role})")


def _as_of(now_text: str | None) -> datetime:
    if not now_text:
        return utcnow()
    try:
        now = datetime.fromisoformat(now_text)
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2026-11-23T09:00:00+08:00",
                                 param_hint="--now") from None
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


@jobs_cli.command("run")
@click.argument("name")
@click.option("--now", "now_text", default=None, help="ISO 8601 time to run as of.")
def jobs_run(name, now_text):
    """Run one job by its name (as the schedule names it) as of --now; safe to repeat."""
    jobs = current_app.extensions.get("shop_jobs", {})
    if name not in jobs:
        raise click.BadParameter(f"no job {name!r}; the jobs: {', '.join(sorted(jobs))}",
                                 param_hint="NAME")
    click.echo(f"{name}: {run_job(name, _as_of(now_text))}")


@jobs_cli.command("run-due")
@click.option("--now", "now_text", default=None, help="ISO 8601 time to run as of.")
def jobs_run_due(now_text):
    """Run every due job (expiry, follow-up rules, ...) as of --now; safe to repeat."""
    now = _as_of(now_text)
    for name, summary in run_due(now):
        click.echo(f"{name}: {summary}")
    current_app.logger.info("jobs run as of %s", now.isoformat())


storage_cli = AppGroup("storage", help="The store of uploaded images.")


@storage_cli.command("migrate")
@click.option("--folder", default=None,
              help="The local folder to copy from (default: UPLOAD_FOLDER).")
def storage_migrate(folder: str | None) -> None:
    """Copy every image of the local upload folder to the store of STORAGE_URL (those
    already there are left alone; names stay, so pages need no change). Safe to repeat."""
    target = storage()
    if isinstance(target, LocalStorage):
        raise click.UsageError("STORAGE_URL is not set: the images already live in the folder")
    source = LocalStorage(folder or current_app.config["UPLOAD_FOLDER"])
    copied, present = migrate_local_files(source, target)
    click.echo(f"{copied} copied, {present} already in the store")
