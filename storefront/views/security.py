"""Keeping an account safe: a forgotten password (by e-mail link or SMS code), changing it,
signing out everywhere, and proving the phone and e-mail are the person's own."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.errors import TooManyRequests
from core.extensions import db
from core.phones import mobile_number
from core.privacy import mask_phone
from core.sessions import end_sessions, sign_out

from ..accounts import codes, edge, recovery, signin
from ..accounts.forms import (
    ChangePasswordForm,
    NewPasswordForm,
    PhoneForm,
    ResetCodeForm,
    ResetRequestForm,
    VerifyPhoneForm,
)
from ..accounts.models import Purpose
from ..accounts.pages import finish_sign_in, limited
from ..web import bp


@bp.route("/password-reset", methods=["GET", "POST"])
def password_reset():
    form = ResetRequestForm()
    if request.method != "POST":
        return render_template("storefront/password_reset.html", form=form)
    status = 400
    if form.validate():
        phone = mobile_number(form.identifier.data)
        email = form.identifier.data if "@" in form.identifier.data else None
        if phone is None and email is None:
            form.identifier.errors.append(_("Enter the e-mail or mobile number of your account."))
        else:
            try:
                edge.request_reset(email=email, phone=phone)
            except TooManyRequests as err:
                return limited("storefront/password_reset.html", err, form.identifier, form=form)
            if phone:
                session["reset_phone"] = phone
                return redirect(url_for(".password_reset_code"))
            return render_template("storefront/check_inbox.html", email=email.lower(),
                                   reset=True)
    return render_template("storefront/password_reset.html", form=form), status


@bp.route("/password-reset/code", methods=["GET", "POST"])
def password_reset_code():
    phone = session.get("reset_phone")
    if phone is None:
        return redirect(url_for(".password_reset"))
    form = ResetCodeForm()
    context = {"form": form, "phone": mask_phone(phone, keep_prefix=3)}
    if request.method != "POST":
        return render_template("storefront/password_reset_code.html", **context)
    if not form.validate():
        return render_template("storefront/password_reset_code.html", **context), 400
    try:
        user = edge.reset_by_code(phone, form.code.data, form.password.data)
    except TooManyRequests as err:
        return limited("storefront/password_reset_code.html", err, form.code, **context)
    except recovery.InvalidOrExpired as err:
        form.code.errors.append(str(err.message))
        return render_template("storefront/password_reset_code.html", **context), 400
    session.pop("reset_phone", None)
    return _signed_in_with_new_password(user)


@bp.route("/password-reset/new", methods=["GET", "POST"])
def password_reset_link():
    """The e-mailed link, its token in the query (which access logs redact) and then in the
    form's hidden field."""
    form = NewPasswordForm(token=request.args.get("token", ""))
    token = form.token.data = form.token.data or request.args.get("token", "")
    live = codes.peek_link(Purpose.PASSWORD_RESET, token) is not None
    context = {"form": form, "live": live}
    if not live:
        return render_template("storefront/password_new.html", **context), 400
    if request.method != "POST":
        return render_template("storefront/password_new.html", **context)
    if not form.validate():
        return render_template("storefront/password_new.html", **context), 400
    try:
        user = recovery.reset_with_link(token, form.password.data)
    except recovery.InvalidOrExpired:
        db.session.rollback()
        return render_template("storefront/password_new.html", form=form, live=False), 400
    return _signed_in_with_new_password(user)


def _signed_in_with_new_password(user):
    if current_user.is_authenticated:
        sign_out(current_user._get_current_object())
    return finish_sign_in(user, next_url=url_for(".account_security"), message=_(
        "Your new password is set. Every other device was signed out."))


@bp.route("/account/security", methods=["GET"])
@login_required
def account_security():
    return render_template("storefront/security.html", form=ChangePasswordForm(formdata=None),
                           phone_form=PhoneForm(formdata=None))


@bp.route("/account/password", methods=["POST"])
@login_required
def account_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    context = {"form": form, "phone_form": PhoneForm(formdata=None)}
    if not form.validate():
        return render_template("storefront/security.html", **context), 400
    try:
        edge.change_password(user, form.current.data, form.password.data,
                             keep_session=user.session_token)
    except TooManyRequests as err:
        return limited("storefront/security.html", err, form.current, **context)
    except signin.InvalidCredentials:
        form.current.errors.append(_("The current password is wrong."))
        return render_template("storefront/security.html", **context), 400
    db.session.commit()
    flash(_("Your new password is set. Every other device was signed out."), "success")
    return redirect(url_for(".account_security"))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """End every session and API token of the account, this browser's too."""
    end_sessions(current_user._get_current_object())
    sign_out(current_user._get_current_object())
    db.session.commit()
    flash(_("You are signed out on every device, this one too."), "success")
    return redirect(url_for(".login"))


@bp.route("/account/phone/send", methods=["POST"])
@login_required
def account_phone_send():
    """Text a code to the phone to prove it is the account's (it then signs in too)."""
    form = PhoneForm()
    context = {"form": ChangePasswordForm(formdata=None), "phone_form": form}
    if not form.validate():
        return render_template("storefront/security.html", **context), 400
    try:
        edge.send_code(form.phone.data, Purpose.VERIFY_PHONE)
    except TooManyRequests as err:
        return limited("storefront/security.html", err, form.phone, **context)
    except edge.SmsUnavailable as err:
        form.phone.errors.append(str(err.message))
        return render_template("storefront/security.html", **context), 503
    session["verify_phone"] = form.phone.data
    return redirect(url_for(".account_phone"))


@bp.route("/account/phone", methods=["GET", "POST"])
@login_required
def account_phone():
    phone = session.get("verify_phone")
    if phone is None:
        return redirect(url_for(".account_security"))
    form = VerifyPhoneForm()
    context = {"form": form, "phone": mask_phone(phone, keep_prefix=3)}
    if request.method != "POST":
        return render_template("storefront/verify_phone.html", **context)
    if not form.validate():
        return render_template("storefront/verify_phone.html", **context), 400
    user = current_user._get_current_object()
    try:
        edge.check_code(phone, form.code.data, Purpose.VERIFY_PHONE)
        signin.verify_phone(user, phone)
    except TooManyRequests as err:
        return limited("storefront/verify_phone.html", err, form.code, **context)
    except (signin.WrongCode, signin.PhoneTaken) as err:
        db.session.rollback()  # a wrong code was committed already; a taken phone changes nothing
        form.code.errors.append(str(err.message))
        return render_template("storefront/verify_phone.html", **context), 400
    session.pop("verify_phone", None)
    db.session.commit()
    flash(_("Your mobile number is confirmed; you can sign in with it."), "success")
    return redirect(url_for(".account_security"))


@bp.route("/account/email/confirm", methods=["POST"])
@login_required
def account_email_confirm():
    user = current_user._get_current_object()
    if user.email and user.email_verified_at is None:
        try:
            edge.send_confirmation(user)
        except TooManyRequests as err:
            flash(str(err.message), "error")
            return redirect(url_for(".account_security"))
        flash(_("We sent a link to %(email)s. Open it to confirm the address.",
                email=user.email), "info")
    return redirect(url_for(".account_security"))
