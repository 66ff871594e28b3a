"""The composition root: the one place that names every module.

Nothing else in ``core`` imports a domain module; information flows back up through
signals, connected here.
"""

import logging
import os

from flask import Flask, g
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

from . import cache as _cache  # noqa: F401  (connects the after-commit cache listener)
from . import database as _database  # noqa: F401  (SQLite settings)
from .accesslog import redact_development_server_log
from .config import load_config
from .database import include_in_migrations
from .errors import register_errorhandlers
from .extensions import babel, cache, csrf, db, login_manager, migrate
from .i18n import register_i18n, select_locale, select_timezone
from .inputs import register_inputs
from .instance import secure_folder
from .metrics import register_metrics
from .privacy import redact_logged_errors
from .ratelimit import attempts
from .requestlog import configure_logging, init_error_reporting, register_request_log
from .security import register_security


class _CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie, its signer made once for each secret: Flask makes one on every
    request, one without a cookie (an API call) included."""

    _signer: tuple | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = self._signer
        if made is None or made[0] != keys:
            made = self._signer = (keys, super().get_signing_serializer(app))
        return made[1]


class ShopFlask(Flask):
    """Flask, remembering what it works out again on every request: whether a view or hook
    is a coroutine (``inspect`` for each hook of each request), and the session cookie's
    signer."""

    #: functions found not to be coroutines (at most this many remembered)
    _SYNC_AT_MOST = 4096

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.session_interface = _CookieSessions()
        self._sync: set = set()

    def ensure_sync(self, func):
        if func in self._sync:
            return func
        made = super().ensure_sync(func)
        if made is func and len(self._sync) < self._SYNC_AT_MOST:
            self._sync.add(func)
        return made


def create_app(config: dict | None = None) -> Flask:
    """Build the app; ``config`` overrides the environment (tests pass theirs)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get(
        "SHOP_INSTANCE_PATH", os.path.join(root, "instance")
    )
    app = ShopFlask(
        __name__,
        instance_path=instance_path,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    secure_folder(app.instance_path)  # 0700: the key, the database, uploads
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    # A form's CSRF token is good as long as the session it belongs to: Flask refuses a
    # session cookie older than PERMANENT_SESSION_LIFETIME, and from now on a token too
    # (a desk page left open all day still submits; a token copied from an old page does not).
    app.config.setdefault("WTF_CSRF_TIME_LIMIT",
                          int(app.permanent_session_lifetime.total_seconds()))
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", os.path.join(root, "translations"))
    logging.basicConfig(level=logging.INFO)
    configure_logging(app.config.get("LOG_FORMAT", "text"))
    init_error_reporting(app)
    redact_development_server_log()  # gunicorn's access log: gunicorn.conf.py
    # where failures are logged (unhandled errors, jobs, the outbox): no row values
    redact_logged_errors(logging.getLogger("core.errors"), app.logger)

    register_security(app)
    register_request_log(app)
    register_metrics(app)
    register_inputs(app)
    register_extensions(app)
    register_blueprints(app)
    register_listeners(app)
    register_jobs(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_context(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True,
                     include_object=include_in_migrations)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    cache.init_app(app)
    attempts.init_app(app)
    register_i18n(app)
    # Make sure every module's tables are in the metadata (migrations, create_all).
    from crm.care import models as _crm_care_models  # noqa: F401
    from crm.club import models as _crm_club_models  # noqa: F401
    from crm.customers import models as _crm_customers_models  # noqa: F401
    from crm.followups import models as _crm_followups_models  # noqa: F401
    from crm.outreach import models as _crm_outreach_models  # noqa: F401
    from crm.reports import models as _crm_reports_models  # noqa: F401
    from fulfillment import models as _fulfillment_models  # noqa: F401
    from storefront import models as _storefront_models  # noqa: F401
    from storefront.accounts import models as _storefront_accounts_models  # noqa: F401
    from storefront.addresses import models as _storefront_addresses_models  # noqa: F401
    from storefront.loyalty import models as _storefront_loyalty_models  # noqa: F401
    from storefront.payments import models as _storefront_payments_models  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from crm import api as crm_api
    from crm import web as crm_web

    # the _crm_*_views modules put their pages on crm_web.bp as they are imported
    from crm.care import views as _crm_care_views  # noqa: F401
    from crm.club import api as club_api
    from crm.club import desk_views as club_desk_views
    from crm.club import member_views as club_member_views
    from crm.club import staff_views as club_staff_views
    from crm.customers import segment_views as _crm_segment_views  # noqa: F401
    from crm.customers import views as _crm_customers_views  # noqa: F401
    from crm.followups import views as _crm_followups_views  # noqa: F401
    from crm.outreach import views as _crm_outreach_views  # noqa: F401
    from crm.reports import views as _crm_reports_views  # noqa: F401
    from fulfillment import admin as fulfillment_admin
    from fulfillment import web as fulfillment_web

    # fulfillment's routes put themselves on its blueprints as they are imported
    from fulfillment.api import common as fulfillment_api
    from fulfillment.api import desk as _fulfillment_desk_api  # noqa: F401
    from fulfillment.api import quote as _fulfillment_quote_api  # noqa: F401
    from fulfillment.api import slots as _fulfillment_slots_api  # noqa: F401
    from fulfillment.api import transfers as _fulfillment_transfers_api  # noqa: F401
    from fulfillment.views import delivery as _fulfillment_delivery_views  # noqa: F401
    from fulfillment.views import desk as _fulfillment_desk_views  # noqa: F401
    from fulfillment.views import lots as _fulfillment_lots_views  # noqa: F401
    from fulfillment.views import pickup as _fulfillment_pickup_views  # noqa: F401
    from fulfillment.views import stock as _fulfillment_stock_views  # noqa: F401
    from fulfillment.views import transfers as _fulfillment_transfers_views  # noqa: F401

    # the address book's API puts its routes on storefront_api.bp as it is imported
    from storefront import address_api as _storefront_address_api  # noqa: F401
    from storefront import admin as storefront_admin
    from storefront import api as storefront_api
    from storefront import order_admin as storefront_order_admin
    from storefront import web as storefront_web
    from storefront.accounts import api as _storefront_accounts_api  # noqa: F401

    # the counter's API puts its routes on storefront_api.bp as it is imported
    from storefront.counter import api as _storefront_counter_api  # noqa: F401
    from storefront.counter import views as storefront_counter_views
    from storefront.payments import api as storefront_payment_api
    from storefront.payments import views as storefront_payment_views

    # the storefront's pages put themselves on storefront_web.bp as they are imported
    from storefront.views import account as _storefront_account_views  # noqa: F401
    from storefront.views import addresses as _storefront_address_views  # noqa: F401
    from storefront.views import cart as _storefront_cart_views  # noqa: F401
    from storefront.views import catalog as _storefront_catalog_views  # noqa: F401
    from storefront.views import checkout as _storefront_checkout_views  # noqa: F401
    from storefront.views import city as _storefront_city_views  # noqa: F401
    from storefront.views import orders as _storefront_orders_views  # noqa: F401
    from storefront.views import security as _storefront_security_views  # noqa: F401
    from storefront.views import vip as _storefront_vip_views  # noqa: F401

    from . import views as core_views

    app.register_blueprint(core_views.bp)
    app.register_blueprint(storefront_web.bp)
    app.register_blueprint(storefront_admin.bp)
    app.register_blueprint(storefront_payment_views.bp)
    app.register_blueprint(storefront_order_admin.bp)
    app.register_blueprint(storefront_counter_views.bp)
    app.register_blueprint(fulfillment_web.bp)
    app.register_blueprint(fulfillment_admin.bp)
    app.register_blueprint(crm_web.bp)
    app.register_blueprint(club_member_views.bp)
    app.register_blueprint(club_staff_views.bp)
    app.register_blueprint(club_desk_views.bp)
    for api_bp in (storefront_api.bp, storefront_payment_api.bp, fulfillment_api.bp, crm_api.bp,
                   club_api.bp):
        csrf.exempt(api_bp)  # the API authenticates with bearer tokens, not cookies
        app.register_blueprint(api_bp)


def register_listeners(app: Flask) -> None:
    from crm import listeners as crm_listeners
    from storefront import listeners as storefront_listeners

    storefront_listeners.connect()
    crm_listeners.connect()


def register_jobs(app: Flask) -> None:
    from crm.care import complaints
    from crm.club import events
    from crm.customers import figures, import_previews, refresh, snapshots, tagging
    from crm.followups import rules as followup_rules
    from crm.outreach import outbox
    from crm.reports import measures
    from fulfillment import pickup, slots
    from storefront import coupons, idempotency
    from storefront.accounts import codes
    from storefront.loyalty import points, tiers
    from storefront.payments import jobs as payment_jobs
    from storefront.payments import refunds

    from .jobs import register_job

    register_job(app, "expire_reservations", payment_jobs.expire_unpaid_orders)
    register_job(app, "purge_idempotency_keys", idempotency.purge_idempotency_keys)
    register_job(app, "purge_sign_ins", codes.purge_sign_ins)
    register_job(app, "open_slots", slots.open_slots_job)
    register_job(app, "release_no_shows", pickup.release_no_shows)
    # after the no-shows: their Stripe refunds are asked for once the job has committed
    register_job(app, "pending_refunds", refunds.execute_pending_refunds_job)
    register_job(app, "points_expiry", points.expire_points)
    register_job(app, "coupon_expiry", coupons.expire_coupons)
    register_job(app, "tier_review", tiers.review_tiers)
    register_job(app, "birthday_perks", points.grant_birthday_perks)
    register_job(app, "refresh_figures_due", refresh.refresh_figures_due)
    register_job(app, "recompute_figures", figures.recompute_figures)
    register_job(app, "segment_snapshot", snapshots.take_snapshot)
    # after the snapshot: the measures read the month's snapshot
    register_job(app, "measure_months", measures.store_months)
    register_job(app, "tag_rules", tagging.apply_tag_rules)
    register_job(app, "followup_rules", followup_rules.run_rules)
    register_job(app, "complaint_escalation", complaints.escalate_overdue)
    register_job(app, "event_reminders", events.send_due_reminders)
    register_job(app, "deliver_outbox", outbox.deliver_outbox)
    register_job(app, "import_previews", import_previews.purge_import_previews)


def register_commands(app: Flask) -> None:
    from crm.cli import crm_cli
    from demo.command import demo_command
    from fulfillment.cli import stock_cli
    from storefront.payments.cli import payments_cli

    from .cli import jobs_cli, storage_cli, users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(payments_cli)
    app.cli.add_command(stock_cli)
    app.cli.add_command(crm_cli)


def register_template_context(app: Flask) -> None:
    @app.context_processor
    def shop_context():
        return {"shop_name": app.config["SHOP_NAME"], "user": current_user}

    @app.before_request
    def _reset_request_state():
        g.pop("api_user", None)
