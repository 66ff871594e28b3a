"""The texts of codes and links, and sending them at once (they are no use on a schedule).

These run at the edge after the commit, never while rows are locked. A code's SMS names
neither the account nor what it unlocks beyond the purpose; e-mails carry the link only.
"""

from flask import current_app, url_for
from flask_babel import gettext as _

from core.messaging import send_email, send_sms

from .models import Purpose


def send_code(phone: str, code: str, purpose: str) -> None:
    """Text ``code`` to ``phone``. Raises ``core.messaging.DeliveryError``."""
    shop = current_app.config["SHOP_NAME"]
    minutes = current_app.config["CODE_MINUTES"]
    if purpose == Purpose.PASSWORD_RESET:
        body = _("[%(shop)s] %(code)s is your code to choose a new password. It is good for "
                 "%(minutes)d minutes. Never tell it to anyone.", shop=shop, code=code,
                 minutes=minutes)
    else:
        body = _("[%(shop)s] %(code)s is your sign-in code. It is good for %(minutes)d "
                 "minutes. Never tell it to anyone.", shop=shop, code=code, minutes=minutes)
    send_sms(phone, body)


def send_reset_link(email: str, token: str) -> None:
    shop = current_app.config["SHOP_NAME"]
    link = url_for("storefront.password_reset_link", token=token, _external=True)
    send_email(email, _("Choose a new password for %(shop)s", shop=shop), _(
        "Someone asked to choose a new password for the %(shop)s account of this address.\n\n"
        "To choose one, open this link within %(minutes)d minutes:\n%(link)s\n\n"
        "If it was not you, ignore this e-mail: your password stays as it is.",
        shop=shop, link=link, minutes=current_app.config["LINK_MINUTES"]))


def send_confirm_link(email: str, token: str) -> None:
    shop = current_app.config["SHOP_NAME"]
    link = url_for("storefront.confirm_email", token=token, _external=True)
    send_email(email, _("Confirm your e-mail for %(shop)s", shop=shop), _(
        "To confirm that this address is yours and finish opening your %(shop)s account, "
        "open this link within %(minutes)d minutes:\n%(link)s\n\n"
        "If it was not you, ignore this e-mail.",
        shop=shop, link=link, minutes=current_app.config["LINK_MINUTES"]))


def send_already_registered(email: str) -> None:
    shop = current_app.config["SHOP_NAME"]
    send_email(email, _("Your %(shop)s account", shop=shop), _(
        "Someone tried to open a %(shop)s account with this address, which already has one.\n\n"
        "If it was you, sign in: %(login)s\nForgot the password? Choose a new one: %(reset)s\n\n"
        "If it was not you, ignore this e-mail.", shop=shop,
        login=url_for("storefront.login", _external=True),
        reset=url_for("storefront.password_reset", _external=True)))
