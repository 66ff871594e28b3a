"""Signing in and out, registering, and the account page. Signing in or registering merges
the guest's cart into the account's; staff land on their desk."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from core.errors import TooManyAttempts
from core.extensions import db
from core.models import Role
from core.ratelimit import attempts
from core.sessions import sign_in, sign_out
from core.urls import local_path

from .. import cart as carts
from ..accounts import authenticate, register_user
from ..errors import EmailTaken
from ..forms import LoginForm, RegisterForm
from ..loyalty.membership import membership_of
from ..pages import guest_cart
from ..web import bp

#: failed sign-ins allowed per e-mail address before the form asks to wait
LOGIN_LIMIT = "10 per 15 minutes"
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


def _merge_guest_cart(user) -> None:
    guest = dict(guest_cart())
    if guest:
        carts.merge_guest_cart(user, guest)
    session.pop("cart", None)


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for(".account"))
    form = LoginForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            limit_key = f"login:{form.email.data.lower()}"
            if attempts.blocked(limit_key, LOGIN_LIMIT):
                form.password.errors.append(str(TooManyAttempts.message))
            else:
                user = authenticate(form.email.data, form.password.data)
                if user is None:
                    attempts.fail(limit_key, LOGIN_LIMIT)
                    form.password.errors.append(_("Wrong e-mail or password."))
                else:
                    sign_in(user, remember=form.remember.data)
                    _merge_guest_cart(user)
                    db.session.commit()
                    flash(_("Welcome back, %(name)s.", name=user.name), "success")
                    return redirect(next_url or _landing(user))
    return render_template("storefront/login.html", form=form, next_url=next_url), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    next_url = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for(".account"))
    form = RegisterForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                user = register_user(email=form.email.data, password=form.password.data,
                                     name=form.name.data, phone=form.phone.data or None)
            except EmailTaken:
                db.session.rollback()
                form.email.errors.append(str(EmailTaken.message))
            else:
                sign_in(user)
                _merge_guest_cart(user)
                db.session.commit()
                flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
                return redirect(next_url or url_for(".account"))
    return render_template("storefront/register.html", form=form, next_url=next_url), status


@bp.route("/logout", methods=["POST"])
def logout():
    sign_out(current_user._get_current_object())
    db.session.commit()
    session.pop("cart", None)
    flash(_("You are signed out. See you soon."), "success")
    return redirect(url_for(".home"))


@bp.route("/account")
@login_required
def account():
    return render_template("storefront/account.html",
                           membership=membership_of(current_user._get_current_object()))
