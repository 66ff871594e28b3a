"""The back office: products with images and yuan prices, categories, centers, staff."""

import hashlib
import io
import uuid

import pytest
import sqlalchemy as sa

from core.cache import version
from core.models import Role, User
from fulfillment.models import Center, CenterDistrict
from storefront.admin_forms import fen_to_yuan, yuan_to_fen
from storefront.models import Category, Product
from tests.support.forms import center_form, product_form
from tests.support.images import png_bytes, uploads
from tests.support.pages import login


def count(session, model, *where) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture()
def category(session):
    row = Category(slug="sea-cucumber-test", name_zh="海参", name_en="Sea cucumber", position=1)
    session.add(row)
    session.commit()
    return row


# --- who may come in -------------------------------------------------------------------------

PAGES = ["/admin/", "/admin/products", "/admin/products/new", "/admin/categories",
         "/admin/centers", "/admin/centers/new", "/admin/staff", "/admin/staff/new"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.CRM, Role.STAFF])
def test_only_admins_enter(client, shop, make_user, role):
    user = make_user(role, center=shop.store if role == Role.STAFF else None)
    login(client, user)
    for url in PAGES:
        assert client.get(url).status_code == 403, url


def test_index_links_and_counts(client, shop):
    login(client, shop.admin)
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/admin/products" in html and "/admin/centers" in html and "/admin/staff" in html
    assert 'data-testid="count-products"><div class="value">3<' in html


def test_every_admin_page_renders(client, shop):
    login(client, shop.admin)
    for url in PAGES + [f"/admin/products/{shop.products[0].id}/edit",
                        f"/admin/centers/{shop.hub.id}/edit"]:
        assert client.get(url).status_code == 200, url


# --- products --------------------------------------------------------------------------------


def test_yuan_is_parsed_with_decimal():
    assert yuan_to_fen("128.50") == 12850
    assert yuan_to_fen("0.29") == 29  # a float would give 28
    assert yuan_to_fen("1,280") == 128000
    assert fen_to_yuan(12850) == "128.50"
    for bad in ("-1", "12.345", "abc", "", "1e3", "NaN"):
        with pytest.raises(ValueError):
            yuan_to_fen(bad)


def test_create_product_with_image_and_yuan_price(client, shop, category, session, app):
    login(client, shop.admin)
    before_files = uploads(app)
    before_version = version("catalog")
    image = png_bytes(note=uuid.uuid4().hex)
    data = product_form(category, image=(io.BytesIO(image), "海参.png"))
    response = client.post("/admin/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    product = session.execute(sa.select(Product).where(Product.sku == "HS-TEST-500")).scalar_one()
    assert product.price_amount == 12850
    assert product.member_price_amount == 11800
    assert product.days_of_supply is None
    assert product.category_id == category.id
    # stored under its content's hash, served from /uploads/ to be kept a year
    assert product.image == hashlib.sha256(image).hexdigest() + ".png"
    assert uploads(app) - before_files == {product.image}
    served = client.get(f"/uploads/{product.image}")
    assert served.status_code == 200 and served.data == image
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert product.image in client.get("/admin/products").get_data(as_text=True)
    assert product.image in client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert version("catalog") != before_version


@pytest.mark.parametrize("overrides, field_message", [
    ({"price": "-1"}, "Enter an amount in yuan"),
    ({"price": "12.345"}, "Enter an amount in yuan"),
    ({"price": "abc"}, "Enter an amount in yuan"),
    ({"price": ""}, "Enter an amount in yuan"),
    ({"member_price": "200.00"}, "cannot be above the price"),
    ({"days_of_supply": "0"}, "1 or more"),
    ({"slug": "Not A Slug"}, "Lower-case letters"),
    ({"sku": ""}, "This field is required"),
    ({"category_id": "999999"}, "Not a valid choice"),
])
def test_bad_product_input_is_a_form_error(client, shop, category, session, app, overrides,
                                           field_message):
    login(client, shop.admin)
    before = count(session, Product)
    files = uploads(app)
    response = client.post("/admin/products/new", data=product_form(category, **overrides))
    assert response.status_code == 400
    assert field_message in response.get_data(as_text=True)
    assert count(session, Product) == before
    assert uploads(app) == files


def test_duplicate_sku_is_a_form_error(client, shop, category, session):
    login(client, shop.admin)
    response = client.post("/admin/products/new",
                           data=product_form(category, sku=shop.products[0].sku))
    assert response.status_code == 400
    assert "Another product has this SKU" in response.get_data(as_text=True)


@pytest.mark.parametrize("name, content", [
    ("notes.png", b"just some text, not an image"),
    ("photo.gif", b"GIF89a\x01\x00\x01\x00"),
    ("page.html", b"<script>alert(1)</script>"),
])
def test_bad_image_is_refused_and_nothing_written(client, shop, category, session, app, name,
                                                   content):
    login(client, shop.admin)
    files = uploads(app)
    data = product_form(category, image=(io.BytesIO(content), name))
    response = client.post("/admin/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Upload a JPEG, PNG or WebP image" in response.get_data(as_text=True)
    assert count(session, Product, Product.sku == "HS-TEST-500") == 0
    assert uploads(app) == files


def test_edit_product(client, shop, session):
    product = shop.products[0]
    login(client, shop.admin)
    page = client.get(f"/admin/products/{product.id}/edit").get_data(as_text=True)
    assert 'value="128.00"' in page  # fen shown as yuan
    data = product_form(product.category, sku=product.sku, slug=product.slug, price="99.90",
                        member_price="", active="")
    response = client.post(f"/admin/products/{product.id}/edit", data=data)
    assert response.status_code == 302
    session.expire_all()
    product = session.get(Product, product.id)
    assert (product.price_amount, product.member_price_amount, product.active) == (9990, None,
                                                                                    False)
    assert client.get("/admin/products/999999/edit").status_code == 404


# --- categories ------------------------------------------------------------------------------


def test_create_and_edit_category(client, shop, session):
    login(client, shop.admin)
    response = client.post("/admin/categories/new", data={
        "slug": "gift-boxes-x", "name_zh": "礼盒", "name_en": "Gift boxes", "position": "2"})
    assert response.status_code == 302
    row = session.execute(sa.select(Category).where(Category.slug == "gift-boxes-x")).scalar_one()
    again = client.post("/admin/categories/new", data={"slug": "gift-boxes-x", "name_zh": "重复"})
    assert again.status_code == 400
    assert "Another category has this web address" in again.get_data(as_text=True)
    edited = client.post(f"/admin/categories/{row.id}/edit", data={
        "slug": "gift-boxes-x", "name_zh": "节日礼盒", "name_en": "Holiday gift boxes",
        "position": "1"})
    assert edited.status_code == 302
    session.expire_all()
    assert session.get(Category, row.id).name_zh == "节日礼盒"


# --- centers ---------------------------------------------------------------------------------


def districts_of(session, center_id) -> set[tuple[str, str, str]]:
    session.expire_all()
    return {(d.province, d.city, d.district) for d in session.execute(
        sa.select(CenterDistrict).where(CenterDistrict.center_id == center_id)).scalars()}


def test_create_center_with_districts(client, shop, session):
    login(client, shop.admin)
    response = client.post("/admin/centers/new", data=center_form())
    assert response.status_code == 302
    center = session.execute(sa.select(Center).where(Center.code == "HZ-XH")).scalar_one()
    assert (center.is_pickup, center.is_delivery) == (False, True)
    assert (center.opens_at, center.closes_at) == ("09:00", "20:30")
    assert center.lat == pytest.approx(30.2741)
    assert districts_of(session, center.id) == {("浙江省", "杭州市", "西湖区"),
                                                ("浙江省", "杭州市", "上城区")}
    assert "HZ-XH" in client.get("/admin/centers").get_data(as_text=True)


def test_edit_center_districts(client, shop, session):
    login(client, shop.admin)
    page = client.get(f"/admin/centers/{shop.hub.id}/edit").get_data(as_text=True)
    assert "上海市 上海市 徐汇区" in page
    data = center_form(code=shop.hub.code, districts="上海市 上海市 徐汇区\n上海市 上海市 长宁区",
                       is_pickup="y")
    response = client.post(f"/admin/centers/{shop.hub.id}/edit", data=data)
    assert response.status_code == 302
    assert districts_of(session, shop.hub.id) == {("上海市", "上海市", "徐汇区"),
                                                  ("上海市", "上海市", "长宁区")}
    assert session.get(Center, shop.hub.id).is_pickup is True


@pytest.mark.parametrize("overrides, message", [
    ({"opens_at": "25:00"}, "Use HH:MM"),
    ({"closes_at": "9pm"}, "Use HH:MM"),
    ({"opens_at": "21:00", "closes_at": "09:00"}, "Closing time must be after opening"),
    ({"is_delivery": ""}, "a pickup store, a delivery center, a warehouse"),
    ({"districts": "浙江省 西湖区"}, "Line 1"),
    ({"districts": "", "radius_km": ""}, "needs the districts it serves"),
    ({"lat": "91"}, "Number must be between"),
    ({"lng": "east"}, "Enter a number"),
    ({"code": "SH-JA"}, "Another center has this code"),
    ({"name_zh": ""}, "This field is required"),
])
def test_bad_center_input_is_a_form_error(client, shop, session, overrides, message):
    login(client, shop.admin)
    before = count(session, Center)
    response = client.post("/admin/centers/new", data=center_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(session, Center) == before


# --- staff -----------------------------------------------------------------------------------


def staff_form(**overrides):
    data = {"email": "Clerk.New@Example.com", "name": "陈店员", "phone": "13700001234",
            "password": "long enough 1", "role": "staff", "center_id": ""}
    data.update(overrides)
    return data


def test_create_staff_bound_to_a_center(client, shop, session):
    login(client, shop.admin)
    response = client.post("/admin/staff/new", data=staff_form(center_id=str(shop.store.id)))
    assert response.status_code == 302
    user = session.execute(
        sa.select(User).where(User.email == "clerk.new@example.com")).scalar_one()
    assert (user.role, user.center_id, user.active) == ("staff", shop.store.id, True)
    assert user.check_password("long enough 1")
    assert "clerk.new@example.com" in client.get("/admin/staff").get_data(as_text=True)
    # the new clerk works at the store's desk
    login(client, user)
    assert client.get("/desk").status_code == 200


@pytest.mark.parametrize("overrides, message", [
    ({"center_id": ""}, "Store staff work at one center"),
    ({"center_id": "999999"}, "Store staff work at one center"),
    ({"password": "short"}, "At least 8 characters"),
    ({"email": "not-an-email"}, "Enter a valid e-mail address"),
    ({"role": "customer"}, "Not a valid choice"),
])
def test_bad_staff_input_is_a_form_error(client, shop, session, overrides, message):
    login(client, shop.admin)
    before = count(session, User)
    response = client.post("/admin/staff/new", data=staff_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(session, User) == before


def test_duplicate_staff_email_is_refused(client, shop, session):
    login(client, shop.admin)
    response = client.post("/admin/staff/new",
                           data=staff_form(email=shop.clerk.email.upper(), role="crm"))
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)


def test_crm_agent_needs_no_center(client, shop, session):
    login(client, shop.admin)
    response = client.post("/admin/staff/new", data=staff_form(role="crm",
                                                               center_id=str(shop.store.id)))
    assert response.status_code == 302
    user = session.execute(
        sa.select(User).where(User.email == "clerk.new@example.com")).scalar_one()
    assert (user.role, user.center_id) == ("crm", None)


def test_deactivate_staff(client, shop, session):
    login(client, shop.admin)
    response = client.post(f"/admin/staff/{shop.clerk.id}/deactivate")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, shop.clerk.id).active is False
    login(client, shop.clerk)
    assert client.get("/desk").status_code == 302  # signed out: back to the sign-in page
    login(client, shop.admin)
    assert client.post(f"/admin/staff/{shop.clerk.id}/activate").status_code == 302
    session.expire_all()
    assert session.get(User, shop.clerk.id).active is True


def test_admin_cannot_deactivate_themselves(client, shop, session):
    login(client, shop.admin)
    response = client.post(f"/admin/staff/{shop.admin.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, shop.admin.id).active is True
    assert client.post(f"/admin/staff/{shop.shopper.id}/deactivate").status_code == 404
