"""The address book: its rules (one default, the cap, the checkout's checks), its pages, and
checkout offering the saved addresses and placing an order to one of them."""

import pytest
import sqlalchemy as sa

from core.errors import NotFound, ValidationFailed
from fulfillment.models import DeliveryZone
from storefront.addresses import services
from storefront.addresses.models import Address
from storefront.models import Order

from .test_pages import (  # noqa: F401 (the fixture resets request state)
    ADDRESS,
    _fresh_request_state,
    _refused,
    add_to_cart,
    checkout_data,
    counts,
    login,
    page,
)

HOME = dict(ADDRESS)  # 上海市徐汇区: the shop's delivery center serves it
OFFICE = dict(ADDRESS, name="王经理", district="静安区", street="南京西路 1266 号")


def book(session, user) -> list[tuple[str, bool]]:
    """(street, is default) of the user's addresses as the database holds them, in order."""
    session.expire_all()
    return [(a.street, a.is_default) for a in services.addresses_of(user)]


def defaults(session, user) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(Address).where(
        Address.user_id == user.id, Address.is_default.is_(True))).scalar_one()


# --- the rules ---------------------------------------------------------------------------------


def test_the_first_address_is_the_default_and_a_new_default_replaces_it(session, make_user):
    user = make_user()
    first = services.add_address(user, HOME)
    second = services.add_address(user, OFFICE)
    assert (first.is_default, second.is_default) == (True, False)
    third = services.add_address(user, dict(HOME, street="天钥桥路 1 号"), make_default=True)
    assert book(session, user) == [("天钥桥路 1 号", True), (OFFICE["street"], False),
                                   (HOME["street"], False)]
    services.set_default(second)
    assert defaults(session, user) == 1
    assert book(session, user)[0] == (OFFICE["street"], True)
    assert not session.get(Address, third.id).is_default


def test_deleting_the_default_makes_the_newest_left_the_default(session, make_user, clock):
    from datetime import timedelta

    user = make_user()
    first = services.add_address(user, HOME)
    clock.shift(timedelta(minutes=1))
    services.add_address(user, dict(HOME, street="天钥桥路 1 号"))
    clock.shift(timedelta(minutes=1))
    services.add_address(user, OFFICE)
    services.delete_address(first)
    assert book(session, user) == [(OFFICE["street"], True), ("天钥桥路 1 号", False)]
    services.delete_address(services.addresses_of(user)[0])
    assert book(session, user) == [("天钥桥路 1 号", True)]
    services.delete_address(services.addresses_of(user)[0])
    assert book(session, user) == []


def test_deleting_another_address_keeps_the_default(session, make_user):
    user = make_user()
    services.add_address(user, HOME)
    other = services.add_address(user, OFFICE)
    services.delete_address(other)
    assert book(session, user) == [(HOME["street"], True)]


def test_one_default_per_user_is_held_by_the_database(session, make_user):
    user, someone = make_user(), make_user()
    services.add_address(user, HOME)
    services.add_address(someone, HOME)  # another user's default is no conflict
    with pytest.raises(sa.exc.IntegrityError):
        with session.begin_nested():
            session.add(Address(user_id=user.id, is_default=True, **OFFICE))
    with pytest.raises(sa.exc.IntegrityError):
        with session.begin_nested():
            session.add(Address(user_id=user.id, lat=31.2, **OFFICE))  # half a position
    assert defaults(session, user) == 1


def test_the_book_holds_twenty_addresses(session, make_user):
    user = make_user()
    for n in range(services.MAX_ADDRESSES):
        services.add_address(user, dict(HOME, street=f"漕溪北路 {n} 号"))
    with pytest.raises(services.AddressBookFull) as refused:
        services.add_address(user, OFFICE, make_default=True)
    assert refused.value.code == "address_book_full" and refused.value.status == 409
    assert len(book(session, user)) == services.MAX_ADDRESSES
    assert book(session, user)[0] == ("漕溪北路 0 号", True)  # the default did not move
    assert services.remember_address(user, OFFICE) is None  # checkout: full, not saved


@pytest.mark.parametrize("change, field", [
    ({"phone": "call me"}, "phone"), ({"phone": "12 3"}, "phone"),
    ({"district": ""}, "district"), ({"district": "   "}, "district"),
    ({"province": "省" * 41}, "province"), ({"street": "路" * 201}, "street"),
    ({"name": None}, "name"), ({"lat": 91.0, "lng": 1.0}, "lat"),
    ({"lat": float("nan"), "lng": 1.0}, "lat"), ({"lat": 31.2}, "lng"),
])
def test_bad_input_is_refused_and_writes_nothing(session, make_user, change, field):
    user = make_user()
    with pytest.raises(ValidationFailed) as refused:
        services.add_address(user, dict(HOME, **change))
    assert field in refused.value.errors
    assert book(session, user) == []
    saved = services.add_address(user, HOME)
    with pytest.raises(ValidationFailed):
        services.update_address(saved, change)
    session.expire_all()
    assert session.get(Address, saved.id).as_delivery() == HOME


def test_an_address_is_trimmed_and_keeps_a_real_position(session, make_user):
    user = make_user()
    saved = services.add_address(user, dict(HOME, street=" 漕溪北路 88 号 ", lat=31.19,
                                            lng=121.43))
    assert saved.as_delivery() == dict(HOME, lat=31.19, lng=121.43)
    services.update_address(saved, {"name": "王先生"})  # the place stays: so does the position
    assert (saved.name, saved.lat) == ("王先生", 31.19)
    services.update_address(saved, {"street": "漕溪北路 90 号"})  # moved: the old point goes
    assert (saved.lat, saved.lng) == (None, None)


def test_the_default_is_changed_by_choosing_another(session, make_user):
    user = make_user()
    home = services.add_address(user, HOME)
    office = services.add_address(user, OFFICE)
    with pytest.raises(ValidationFailed) as refused:
        services.update_address(home, {"is_default": False})
    assert "is_default" in refused.value.errors
    services.update_address(office, {"is_default": True})
    assert book(session, user) == [(OFFICE["street"], True), (HOME["street"], False)]


def test_another_users_address_is_not_found(session, make_user):
    owner, other = make_user(), make_user()
    saved = services.add_address(owner, HOME)
    assert services.address_of(owner, saved.id) is saved
    for who, address_id in ((other, saved.id), (owner, saved.id + 1000), (owner, "1")):
        with pytest.raises(NotFound):
            services.address_of(who, address_id)


def test_checkout_remembers_a_typed_address_once(session, make_user):
    user = make_user()
    first = services.remember_address(user, dict(HOME, lat=31.3, lng=121.5))
    assert first.is_default and (first.lat, first.lng) == (None, None)  # not the shopper's spot
    assert services.remember_address(user, HOME) is first
    assert len(book(session, user)) == 1


# --- the pages -------------------------------------------------------------------------------


def tag(html: str, marker: str) -> str:
    """The whole HTML tag that holds ``marker``."""
    at = html.index(marker)
    return html[html.rindex("<", 0, at):html.index(">", at) + 1]


def form_of(address: dict, **extra) -> dict:
    return {k: v for k, v in dict(address, **extra).items() if k not in ("lat", "lng")}


def test_account_links_to_the_address_book_and_it_adds_and_lists(client, session, shop):
    login(client, shop.shopper)
    assert 'href="/account/addresses"' in page(client, "/account")
    assert 'data-testid="no-addresses"' in page(client, "/account/addresses")
    response = client.post("/account/addresses", data=form_of(HOME))
    assert response.status_code == 302
    response = client.post("/account/addresses", data=form_of(OFFICE, is_default="y"))
    assert response.status_code == 302
    html = page(client, "/account/addresses")
    assert html.index(OFFICE["street"]) < html.index(HOME["street"])  # the default first
    assert html.count('data-testid="default-badge"') == 1
    assert book(session, shop.shopper) == [(OFFICE["street"], True), (HOME["street"], False)]


def test_pages_edit_make_default_and_delete(client, session, shop):
    home = services.add_address(shop.shopper, HOME)
    office = services.add_address(shop.shopper, OFFICE)
    login(client, shop.shopper)
    assert OFFICE["street"] in page(client, f"/account/addresses/{office.id}/edit")
    response = client.post(f"/account/addresses/{office.id}/edit",
                           data=form_of(OFFICE, street="南京西路 1 号"))
    assert response.status_code == 302
    assert client.post(f"/account/addresses/{office.id}/default").status_code == 302
    assert book(session, shop.shopper) == [("南京西路 1 号", True), (HOME["street"], False)]
    assert client.post(f"/account/addresses/{office.id}/delete").status_code == 302
    assert book(session, shop.shopper) == [(HOME["street"], True)]
    assert home.id == services.addresses_of(shop.shopper)[0].id


def test_bad_input_on_the_pages_changes_nothing(client, session, shop):
    saved = services.add_address(shop.shopper, HOME)
    login(client, shop.shopper)
    response = client.post("/account/addresses", data=form_of(OFFICE, phone="abc", district=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please enter a phone number of digits" in html and "Please fill this in." in html
    response = client.post(f"/account/addresses/{saved.id}/edit", data=form_of(HOME, city=""))
    assert response.status_code == 400
    assert book(session, shop.shopper) == [(HOME["street"], True)]
    session.expire_all()
    assert session.get(Address, saved.id).city == HOME["city"]


def test_another_users_address_is_404_on_every_page(client, session, shop, make_user):
    other = make_user()
    theirs = services.add_address(other, HOME)
    services.add_address(other, OFFICE)
    login(client, shop.shopper)
    assert client.get(f"/account/addresses/{theirs.id}/edit").status_code == 404
    for action in ("edit", "default", "delete"):
        response = client.post(f"/account/addresses/{theirs.id}/{action}",
                               data=form_of(OFFICE, is_default="y"))
        assert response.status_code == 404, action
    assert book(session, other) == [(HOME["street"], True), (OFFICE["street"], False)]


def test_a_full_book_says_so_and_adds_nothing(client, session, shop):
    for n in range(services.MAX_ADDRESSES):
        services.add_address(shop.shopper, dict(HOME, street=f"漕溪北路 {n} 号"))
    login(client, shop.shopper)
    assert 'data-testid="address-book-full"' in page(client, "/account/addresses")
    response = client.post("/account/addresses", data=form_of(OFFICE))
    assert response.status_code == 409
    assert "Your address book is full" in response.get_data(as_text=True)
    assert len(book(session, shop.shopper)) == services.MAX_ADDRESSES


# --- checkout ----------------------------------------------------------------------------------


def test_checkout_offers_the_saved_addresses_the_default_chosen(client, session, shop):
    services.add_address(shop.shopper, HOME)
    office = services.add_address(shop.shopper, OFFICE, make_default=True)
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    html = page(client, "/checkout?method=delivery")
    assert html.count('data-testid="saved-address"') == 2
    assert html.index(OFFICE["street"]) < html.index(HOME["street"])
    assert "checked" in tag(html, f'name="address_id" value="{office.id}"')
    assert "checked" not in tag(html, 'name="address_id" value=""')
    assert "checked" not in tag(html, 'name="save_address"')  # not ticked: has a book
    assert "Delivered by" in html  # the quote of the default address, at once


def test_checkout_ticks_saving_for_a_shopper_without_addresses(client, session, shop):
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    html = page(client, "/checkout?method=delivery")
    assert 'data-testid="saved-addresses"' not in html
    assert "checked" in tag(html, 'name="save_address"')


def test_checkout_to_a_saved_address_routes_like_the_typed_one(client, session, shop):
    zone = DeliveryZone(center=shop.hub, name="全城", fee_amount=1200, min_order_amount=0)
    session.add(zone)
    for row in shop.hub.districts:
        row.zone = zone
    product = shop.products[0]
    login(client, shop.shopper)
    add_to_cart(client, product, 1)
    typed = client.post("/checkout", data=checkout_data([(product, 1)], method="delivery",
                                                         **HOME))
    assert typed.status_code == 302
    saved = services.add_address(shop.shopper, dict(HOME, name="王太太", phone="13900001111"))
    login(client, shop.shopper)
    add_to_cart(client, product, 1)
    response = client.post("/checkout", data=dict(
        checkout_data([(product, 1)], method="delivery"), address_id=str(saved.id)))
    assert response.status_code == 302
    session.expire_all()
    first, second = session.execute(sa.select(Order).order_by(Order.id)).scalars().all()
    assert without_codes(second.fulfillment.address) == saved.as_delivery()
    assert (second.contact_name, second.contact_phone) == ("王太太", "13900001111")
    assert (second.center_id, second.delivery_fee_amount) == (first.center_id, 1200)
    assert second.center_id == shop.hub.id
    assert len(book(session, shop.shopper)) == 1  # a saved address is not saved again


def test_a_saved_address_without_a_position_takes_the_pages(
        client, session, shop, make_center, stock):
    ring = make_center(code="RING", pickup=False, delivery=True, lat=31.30, lng=121.50)
    session.add(DeliveryZone(center=ring, name="5 km", fee_amount=700, min_order_amount=0,
                             radius_km=5))
    stock(ring, shop.products[0], 3)
    saved = services.add_address(shop.shopper, dict(HOME, district="宝山区"))
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    assert "Delivered by" in page(client, "/checkout?method=delivery&lat=31.31&lng=121.51")
    data = dict(checkout_data([(shop.products[0], 1)], method="delivery"),
                address_id=str(saved.id), lat="31.31", lng="121.51")
    assert client.post("/checkout", data=data).status_code == 302
    session.expire_all()
    order = session.execute(sa.select(Order)).scalar_one()
    assert order.center_id == ring.id and order.delivery_fee_amount == 700
    assert without_codes(order.fulfillment.address) == dict(saved.as_delivery(), lat=31.31,
                                                            lng=121.51)


def test_checkout_saves_a_new_address_when_asked(client, session, shop):
    product = shop.products[0]
    login(client, shop.shopper)
    add_to_cart(client, product, 1)
    data = checkout_data([(product, 1)], method="delivery", **HOME)
    assert client.post("/checkout", data=dict(data, save_address="y")).status_code == 302
    assert book(session, shop.shopper) == [(HOME["street"], True)]
    add_to_cart(client, product, 1)
    data = checkout_data([(product, 1)], method="delivery", address_id="", **OFFICE)
    assert client.post("/checkout", data=data).status_code == 302  # box left unticked
    assert book(session, shop.shopper) == [(HOME["street"], True)]


def test_a_refused_checkout_saves_no_address(client, session, shop):
    product = shop.products[0]
    login(client, shop.shopper)
    add_to_cart(client, product, 1)
    far = dict(HOME, province="北京市", city="北京市", district="朝阳区")
    data = checkout_data([(product, 1)], method="delivery", save_address="y", **far)
    _refused(client, session, data, 422, "deliver to this address yet")
    assert book(session, shop.shopper) == []


def test_checkout_refuses_another_users_address(client, session, shop, make_user):
    theirs = services.add_address(make_user(), HOME)
    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    data = dict(checkout_data([(shop.products[0], 1)], method="delivery"),
                address_id=str(theirs.id))
    html = _refused(client, session, data, 400, "Please choose one of your addresses.")
    assert HOME["street"] not in html


def test_checkout_and_the_book_page_ask_no_more_of_the_database_for_more_addresses(
        client, session, shop):
    from tests.support.queries import count_statements

    login(client, shop.shopper)
    add_to_cart(client, shop.products[0], 1)
    asked = {}
    for n in (1, services.MAX_ADDRESSES):
        while len(services.addresses_of(shop.shopper)) < n:
            services.add_address(shop.shopper, dict(HOME, street=f"漕溪北路 {n} 号"))
        login(client, shop.shopper)
        for url in ("/checkout?method=delivery", "/account/addresses"):
            with count_statements() as statements:
                page(client, url)
            asked[url, n] = len(statements)
    for url in ("/checkout?method=delivery", "/account/addresses"):
        assert asked[url, 1] == asked[url, services.MAX_ADDRESSES], asked


def test_closing_an_account_can_forget_its_addresses(session, make_user):
    user, other = make_user(), make_user()
    services.add_address(user, HOME)
    services.add_address(user, OFFICE)
    services.add_address(other, HOME)
    assert services.forget_addresses(user) == 2
    assert book(session, user) == [] and len(book(session, other)) == 1


def without_codes(address: dict) -> dict:
    """An order's address without the divisions' codes the order keeps beside the names."""
    return {k: v for k, v in address.items() if not k.endswith("_code")}
