"""Signing in (SMS code or password) and out, opening an account, and the account page.
Signing in merges the guest's cart into the account's; staff land on their desk."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.errors import TooManyRequests
from core.extensions import db
from core.privacy import mask_phone
from core.sessions import sign_out
from core.urls import local_path

from ..accounts import codes, edge, signin
from ..accounts.forms import CodeForm, ConfirmEmailForm, LoginForm, PhoneForm, RegisterForm
from ..accounts.models import Purpose
from ..accounts.pages import finish_sign_in, limited
from ..loyalty.membership import membership_of
from ..web import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for(".account"))
    form = LoginForm()
    phone_form = PhoneForm(formdata=None)
    context = {"form": form, "phone_form": phone_form, "next_url": next_url}
    if request.method != "POST":
        return render_template("storefront/login.html", **context)
    if not form.validate():
        return render_template("storefront/login.html", **context), 400
    try:
        user = edge.password_sign_in(form.identifier.data, form.password.data)
    except TooManyRequests as err:
        return limited("storefront/login.html", err, form.password, **context)
    except signin.InvalidCredentials as err:
        form.password.errors.append(str(err.message))
        return render_template("storefront/login.html", **context), 400
    return finish_sign_in(user, remember=form.remember.data, next_url=next_url)


@bp.route("/login/code/send", methods=["POST"])
def login_send_code():
    """Text a sign-in code to the phone typed, then ask for it."""
    next_url = local_path(request.args.get("next"))
    phone_form = PhoneForm()
    context = {"form": LoginForm(formdata=None), "phone_form": phone_form, "next_url": next_url}
    if not phone_form.validate():
        return render_template("storefront/login.html", **context), 400
    try:
        edge.send_code(phone_form.phone.data)
    except TooManyRequests as err:
        return limited("storefront/login.html", err, phone_form.phone, **context)
    except edge.SmsUnavailable as err:
        phone_form.phone.errors.append(str(err.message))
        return render_template("storefront/login.html", **context), 503
    session["code_phone"] = phone_form.phone.data
    return redirect(url_for(".login_code", next=next_url))


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    next_url = local_path(request.args.get("next"))
    phone = session.get("code_phone")
    if phone is None:
        return redirect(url_for(".login", next=next_url))
    form = CodeForm()
    context = {"form": form, "phone": mask_phone(phone, keep_prefix=3), "next_url": next_url}
    if request.method != "POST":
        return render_template("storefront/login_code.html", **context)
    if not form.validate():
        return render_template("storefront/login_code.html", **context), 400
    try:
        user, created = edge.code_sign_in(phone, form.code.data, name=form.name.data)
    except TooManyRequests as err:
        return limited("storefront/login_code.html", err, form.code, **context)
    except signin.WrongCode as err:
        form.code.errors.append(str(err.message))
        return render_template("storefront/login_code.html", **context), 400
    session.pop("code_phone", None)
    message = (_("Welcome, %(name)s! Your account is ready.", name=user.name) if created
               else None)
    return finish_sign_in(user, remember=form.remember.data, next_url=next_url, message=message)


@bp.route("/login/code/resend", methods=["POST"])
def login_resend_code():
    next_url = local_path(request.args.get("next"))
    phone = session.get("code_phone")
    if phone is None:
        return redirect(url_for(".login", next=next_url))
    form = CodeForm(formdata=None)
    context = {"form": form, "phone": mask_phone(phone, keep_prefix=3), "next_url": next_url}
    try:
        edge.send_code(phone)
    except TooManyRequests as err:
        return limited("storefront/login_code.html", err, form.code, **context)
    except edge.SmsUnavailable as err:
        form.code.errors.append(str(err.message))
        return render_template("storefront/login_code.html", **context), 503
    flash(_("A new code is on its way."), "info")
    return redirect(url_for(".login_code", next=next_url))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Open an account by e-mail: the answer is "look in your inbox" whether or not the
    address has an account (its owner is told by e-mail); the link signs the person in."""
    next_url = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for(".account"))
    form = RegisterForm()
    context = {"form": form, "next_url": next_url}
    if request.method != "POST":
        return render_template("storefront/register.html", **context)
    if not form.validate():
        return render_template("storefront/register.html", **context), 400
    try:
        edge.register(email=form.email.data, password=form.password.data,
                      name=form.name.data, phone=form.phone.data or None)
    except TooManyRequests as err:
        return limited("storefront/register.html", err, form.email, **context)
    return render_template("storefront/check_inbox.html", email=form.email.data.strip().lower())


@bp.route("/account/confirm-email", methods=["GET", "POST"])
def confirm_email():
    """The e-mailed link (its token in the query, which access logs redact): the person
    types the password they chose, which proves they opened the account (anyone could have
    typed this address); mail scanners that open links change nothing."""
    form = ConfirmEmailForm(token=request.args.get("token", ""))
    form.token.data = form.token.data or request.args.get("token", "")
    live = codes.peek_link(Purpose.VERIFY_EMAIL, form.token.data) is not None
    context = {"form": form, "live": live}
    if request.method != "POST" or not live:
        return render_template("storefront/confirm_email.html", **context), (200 if live else 400)
    if not form.validate():
        return render_template("storefront/confirm_email.html", **context), 400
    try:
        user = edge.confirm_email(form.token.data, form.password.data)
    except TooManyRequests as err:
        return limited("storefront/confirm_email.html", err, form.password, **context)
    except signin.InvalidCredentials:
        form.password.errors.append(_("This is not the password the account was opened with."))
        return render_template("storefront/confirm_email.html", **context), 400
    if current_user.is_authenticated:
        sign_out(current_user._get_current_object())
    return finish_sign_in(user, next_url=url_for(".account"), message=_(
        "Your e-mail is confirmed. Welcome, %(name)s!", name=user.name))


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
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
