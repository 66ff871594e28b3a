"""A live test's shop in a few rows: one pickup store holding one product, counted in
through the ledger (so ``verify_ledger`` stays clean), and plain accounts."""

from core.extensions import db
from core.models import Role, User
from fulfillment.ledger import record_movement
from fulfillment.models import Center, Stock
from storefront.models import Category, Product


def store_holding(sku: str, on_hand: int, *, code: str, price: int = 98800) -> tuple[Product,
                                                                                      Center]:
    """A pickup store ``code`` holding ``on_hand`` units of a new sea-cucumber ``sku``."""
    product = Product(sku=sku, slug=sku.lower(), name_zh="辽参 礼盒", price_amount=price,
                      category=Category(slug=f"haishen-{sku.lower()}", name_zh="海参"))
    store = Center(code=code, name_zh="门店 " + code, is_pickup=True, province="上海市",
                   city="上海市", district="静安区", address_zh="南京西路1号", lat=31.2, lng=121.4)
    db.session.add_all([product, store])
    db.session.flush()
    db.session.add(Stock(center_id=store.id, product_id=product.id, on_hand=on_hand, reserved=0))
    record_movement(store.id, product.id, "adjusted", on_hand=on_hand, reason="count")
    return product, store


def shopper(email: str) -> User:
    """A customer account (it never signs in with a password here)."""
    user = User(email=email, name=email.split("@")[0], role=Role.CUSTOMER)
    user.password_hash = "x"
    db.session.add(user)
    db.session.flush()
    return user
