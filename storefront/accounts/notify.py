"""The texts of codes and links, and sending them at once (they are no use on a schedule).

Each function writes its message in the request's language and returns a ``deliver()``
that sends it; the edge calls it after the commit, never while rows are locked. An SMS
names neither the account nor what it unlocks beyond the
purpose; e-mails carry the link only, its token in the query (which access logs redact).
"""

from collections.abc import Callable

from flask import current_app, url_for
from flask_babel import gettext as _

from core.messaging import send_email, send_sms

from .models import Purpose


def code_sms(phone: str, code: str, purpose: str) -> Callable[[], str]:
    """The SMS carrying ``code``. Its ``deliver()`` raises ``core.messaging.DeliveryError``."""
    values = {"shop": current_app.config["SHOP_NAME"], "code": code,
              "minutes": current_app.config["CODE_MINUTES"]}
    if purpose == Purpose.PASSWORD_RESET:
        body = _("[%(shop)s] %(code)s is your code to choose a new password. It is good for "
                 "%(minutes)d minutes. Never tell it to anyone.", **values)
    elif purpose == Purpose.VERIFY_PHONE:
        body = _("[%(shop)s] %(code)s is your code to add this number to a %(shop)s account "
                 "that is signed in now. It is good for %(minutes)d minutes. If you did not "
                 "ask for it, never tell it to anyone.", **values)
    else:
        body = _("[%(shop)s] %(code)s is your sign-in code. It is good for %(minutes)d "
                 "minutes. Never tell it to anyone.", **values)
    return lambda: send_sms(phone, body)


def reset_link_mail(email: str, token: str) -> Callable[[], str]:
    shop = current_app.config["SHOP_NAME"]
    link = url_for("storefront.password_reset_link", token=token, _external=True)
    subject = _("Choose a new password for %(shop)s", shop=shop)
    body = _(
        "Someone asked to choose a new password for the %(shop)s account of this address.\n\n"
        "To choose one, open this link within %(minutes)d minutes:\n%(link)s\n\n"
        "If it was not you, ignore this e-mail: your password stays as it is.",
        shop=shop, link=link, minutes=current_app.config["LINK_MINUTES"])
    return lambda: send_email(email, subject, body)


def confirm_link_mail(email: str, token: str) -> Callable[[], str]:
    shop = current_app.config["SHOP_NAME"]
    link = url_for("storefront.confirm_email", token=token, _external=True)
    subject = _("Confirm your e-mail for %(shop)s", shop=shop)
    body = _(
        "To confirm that this address is yours and finish opening your %(shop)s account, "
        "open this link within %(minutes)d minutes:\n%(link)s\n\n"
        "If it was not you, ignore this e-mail.",
        shop=shop, link=link, minutes=current_app.config["LINK_MINUTES"])
    return lambda: send_email(email, subject, body)


def already_registered_mail(email: str) -> Callable[[], str]:
    shop = current_app.config["SHOP_NAME"]
    subject = _("Your %(shop)s account", shop=shop)
    body = _(
        "Someone tried to open a %(shop)s account with this address, which already has one.\n\n"
        "If it was you, sign in: %(login)s\nForgot the password? Choose a new one: %(reset)s\n\n"
        "If it was not you, ignore this e-mail.", shop=shop,
        login=url_for("storefront.login", _external=True),
        reset=url_for("storefront.password_reset", _external=True))
    return lambda: send_email(email, subject, body)
