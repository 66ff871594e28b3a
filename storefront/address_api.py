"""The address book in the API (``/api/v1/me/addresses``), on the storefront's blueprint.
Another user's address is not found (404); a full book is a 409 ``address_book_full``."""

from flask import g

from core.api import load_body, ok, route
from core.auth import api_auth
from core.extensions import db

from .addresses import services
from .addresses.schemas import (
    SavedAddressCreateSchema,
    SavedAddressListSchema,
    SavedAddressPatchSchema,
    SavedAddressSchema,
)
from .api import bp


@route(bp, "/me/addresses", summary="My saved delivery addresses, the default first",
       tag="accounts", response=SavedAddressListSchema)
@api_auth()
def my_addresses():
    return ok({"items": SavedAddressSchema(many=True).dump(services.addresses_of(g.api_user))})


@route(bp, "/me/addresses", ("POST",), summary="Save a delivery address (the first one, or "
       "one sent with is_default, becomes the default)", tag="accounts",
       body=SavedAddressCreateSchema, response=SavedAddressSchema, status=201,
       errors=("400:validation_error", "409:address_book_full"))
@api_auth()
def add_my_address():
    data = load_body(SavedAddressCreateSchema())
    make_default = data.pop("is_default")
    address = services.add_address(g.api_user, data, make_default=make_default)
    body = SavedAddressSchema().dump(address)
    db.session.commit()
    return ok(body, 201)


@route(bp, "/me/addresses/<int:address_id>", ("PATCH",), summary="Change a saved address "
       "(the fields given; is_default true makes it the default)", tag="accounts",
       body=SavedAddressPatchSchema, response=SavedAddressSchema,
       errors=("400:validation_error", "404:not_found"))
@api_auth()
def change_my_address(address_id: int):
    address = services.address_of(g.api_user, address_id)
    data = load_body(SavedAddressPatchSchema())
    body = SavedAddressSchema().dump(services.update_address(address, data))
    db.session.commit()
    return ok(body)


@route(bp, "/me/addresses/<int:address_id>", ("DELETE",), summary="Delete a saved address "
       "(when it was the default, the newest one left becomes it)", tag="accounts",
       status=204, errors=("404:not_found",))
@api_auth()
def delete_my_address(address_id: int):
    services.delete_address(services.address_of(g.api_user, address_id))
    db.session.commit()
    return "", 204
