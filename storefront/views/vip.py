"""The VIP club's page in the shop: what the club offers, and joining it online. The member
area itself (``/member``) is crm's (``crm.club.member_views``)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.extensions import db, login_manager

from ..errors import AlreadyMember
from ..forms import VipForm
from ..loyalty.membership import membership_of, sign_up_member
from ..web import bp


@bp.route("/vip", methods=["GET", "POST"])
def vip():
    if not current_user.is_authenticated:
        if request.method == "POST":
            return login_manager.unauthorized()
        return render_template("storefront/vip.html", membership=None, form=None)
    user = current_user._get_current_object()
    membership = membership_of(user)
    if membership is not None:
        return render_template("storefront/vip.html", membership=membership, form=None)
    if request.method == "POST":
        form = VipForm()
    else:
        form = VipForm(data={"name": user.name, "phone": user.phone or ""})
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                membership = sign_up_member(
                    user, name=form.name.data, phone=form.phone.data,
                    birthday=form.birthday.data, baby_birthday=form.baby_birthday.data,
                    city=form.city.data, interests=form.interests.data,
                    marketing_consent=form.marketing_consent.data)
                db.session.commit()
            except AlreadyMember:
                db.session.rollback()
            else:
                flash(_("Welcome to the club! Your card number is %(number)s.",
                        number=membership.card_number), "success")
            return redirect(url_for(".vip"))
    return render_template("storefront/vip.html", membership=None, form=form), status
