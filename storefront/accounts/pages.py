"""What the sign-in pages share: finishing a sign-in, and "too many attempts" on a form."""

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from core.errors import TooManyRequests
from core.extensions import db
from core.i18n import localized
from core.models import Role
from core.sessions import sign_in

from .. import cart as carts
from ..pages import guest_cart

#: where staff land after signing in without a ``next``
LANDING = {Role.STAFF: "fulfillment.desk", Role.CRM: "crm.index",
           Role.ADMIN: "storefront_admin.index"}


def _landing(user) -> str:
    endpoint = LANDING.get(user.role)
    if endpoint:
        try:
            return url_for(endpoint)
        except BuildError:
            pass
    return url_for(".account")


def finish_sign_in(user, *, remember=False, next_url=None, message=None):
    """Sign ``user`` in on this browser, bring the guest's cart along, commit, go on."""
    sign_in(user, remember=remember)
    guest = dict(guest_cart())
    had_items, added_up = carts.merge_guest_cart(user, guest) if guest else (False, [])
    session.pop("cart", None)
    db.session.commit()
    flash(message or _("Welcome back, %(name)s.", name=user.name), "success")
    if added_up:
        flash(_("Your cart now also holds what you chose before signing in; the quantities "
                "of %(names)s were added up. Please check them in the cart.",
                names="、".join(localized(p, "name") for p in added_up)), "warning")
    elif had_items:
        flash(_("What you chose before signing in was added to the items already in your "
                "cart. Please check the cart."), "warning")
    return redirect(next_url or _landing(user))


def limited(template: str, err: TooManyRequests, field, **context):
    """The form again with "too many attempts", as 429 with ``Retry-After``."""
    field.errors.append(str(err.message))
    return (render_template(template, **context), 429,
            {"Retry-After": str(err.retry_after)})
