"""Products carry an optional EAN-13 barcode: checked (13 digits, the check digit right),
one product's only, shown in the back office and in the API's product output."""

import sqlalchemy as sa

from storefront.models import Product
from tests.support.forms import product_form
from tests.support.pages import login

from .test_admin_pages import category  # noqa: F401  (the fixture)


def test_admin_sets_checks_and_clears_a_barcode(client, shop, category, session):  # noqa: F811
    login(client, shop.admin)
    response = client.post("/admin/products/new",
                           data=product_form(category, barcode="6901234 567892"))
    assert response.status_code == 302
    product = session.execute(sa.select(Product).where(Product.sku == "HS-TEST-500")).scalar_one()
    assert product.barcode == "6901234567892"
    page = client.get(f"/admin/products/{product.id}/edit").get_data(as_text=True)
    assert 'value="6901234567892"' in page
    # another product with the same code, or a wrong check digit: a form error, no change
    other = shop.products[0]
    for code, message in (("6901234567892", "Another product has this barcode"),
                          ("6901234567893", "check digit"), ("12345", "13 digits")):
        data = product_form(other.category, sku=other.sku, slug=other.slug, barcode=code)
        answer = client.post(f"/admin/products/{other.id}/edit", data=data)
        assert answer.status_code == 400 and message in answer.get_data(as_text=True)
        session.expire_all()
        assert session.get(Product, other.id).barcode is None
    data = product_form(category, sku=product.sku, slug=product.slug, barcode="")
    assert client.post(f"/admin/products/{product.id}/edit", data=data).status_code == 302
    session.expire_all()
    assert session.get(Product, product.id).barcode is None


def test_the_api_shows_the_barcode(client, shop, session):
    shop.products[0].barcode = "4006381333931"
    session.commit()
    body = client.get(f"/api/v1/products/{shop.products[0].slug}").get_json()
    assert body["barcode"] == "4006381333931"
    listed = {p["sku"]: p["barcode"] for p in client.get("/api/v1/products").get_json()["items"]}
    assert listed[shop.products[0].sku] == "4006381333931"
    assert listed[shop.products[1].sku] is None
