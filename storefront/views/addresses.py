"""The address book's pages: the list (default first) with a form to add one, editing one,
deleting one and choosing the default. Another shopper's address is not found (404)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.errors import DomainError, ValidationFailed
from core.extensions import db
from core.forms import apply_domain_errors
from fulfillment.zones import delivery_areas

from ..addresses import services
from ..addresses.forms import AddressForm
from ..web import bp


def _save(form: AddressForm, action) -> int | None:
    """Validate, run ``action`` and commit; None on success, else the page's status (the
    errors are on the form, nothing is written)."""
    if not form.validate():
        return 400
    try:
        action()
    except ValidationFailed as err:
        db.session.rollback()
        apply_domain_errors(form, err)
        return err.status
    except DomainError as err:
        db.session.rollback()
        form.form_errors.append(str(err.message))
        return err.status
    db.session.commit()
    return None


def _page(template: str, form: AddressForm, status: int, **context):
    return render_template(template, form=form, areas=delivery_areas(),
                           max_addresses=services.MAX_ADDRESSES, **context), status


@bp.route("/account/addresses", methods=["GET", "POST"])
@login_required
def addresses():
    user = current_user._get_current_object()
    form = AddressForm()
    status = 200
    if request.method == "POST":
        status = _save(form, lambda: services.add_address(
            user, form.address(), make_default=form.is_default.data))
        if status is None:
            flash(_("The address is saved."), "success")
            return redirect(url_for(".addresses"))
    book = services.addresses_of(user)
    return _page("storefront/addresses.html", form, status, addresses=book,
                 full=len(book) >= services.MAX_ADDRESSES)


@bp.route("/account/addresses/<int:address_id>/edit", methods=["GET", "POST"])
@login_required
def address_edit(address_id: int):
    address = services.address_of(current_user, address_id)
    form = AddressForm(obj=address)
    status = 200
    if request.method == "POST":
        changes = form.address()
        if form.is_default.data:
            changes["is_default"] = True
        status = _save(form, lambda: services.update_address(address, changes))
        if status is None:
            flash(_("The address is saved."), "success")
            return redirect(url_for(".addresses"))
    return _page("storefront/address_edit.html", form, status, address=address)


@bp.route("/account/addresses/<int:address_id>/default", methods=["POST"])
@login_required
def address_default(address_id: int):
    services.set_default(services.address_of(current_user, address_id))
    db.session.commit()
    flash(_("Your default address is changed."), "success")
    return redirect(url_for(".addresses"))


@bp.route("/account/addresses/<int:address_id>/delete", methods=["POST"])
@login_required
def address_delete(address_id: int):
    services.delete_address(services.address_of(current_user, address_id))
    db.session.commit()
    flash(_("The address is deleted."), "success")
    return redirect(url_for(".addresses"))
