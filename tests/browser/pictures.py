"""The pictures of the guides: what each one shows, who looks, on what screen.

``tests/browser/test_guide_pictures.py`` takes every picture named here from the demo shop in
zh_CN and writes it to ``docs/img/<name>.png``; ``tests/docs/test_site.py`` fails when a page
shows a picture under ``docs/img`` that is not named here (no test would make it), and when a
picture named here is missing. To add a picture: a line here, then run the picture tests.
"""

from dataclasses import dataclass
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[2] / "docs" / "img"


@dataclass(frozen=True)
class Picture:
    #: who looks: shopper (not signed in), member, clerk, agent, admin
    who: str
    #: the address, with {product}, {order}, {customer}, ... from the demo shop's ids
    path: str
    #: "phone" (390 x 844) or "desktop" (1280 x 860)
    screen: str
    #: what the picture shows (the guides' alt text says it in their words)
    shows: str


PICTURES: dict[str, Picture] = {
    # the shopper
    "shop-home": Picture("shopper", "/", "desktop", "the home page of the shop"),
    "shop-home-phone": Picture("shopper", "/", "phone", "the home page on a phone"),
    "shop-catalog": Picture("shopper", "/products", "desktop", "the catalog with its filters"),
    "shop-product-phone": Picture("shopper", "/products/{product}", "phone",
                                  "a product: price, member price, stock near you, add to cart"),
    "shop-login-phone": Picture("shopper", "/login", "phone",
                                "signing in with a mobile number and a code, or a password"),
    "shop-cart-phone": Picture("member", "/cart", "phone", "the cart with one line"),
    "shop-checkout": Picture("member", "/checkout", "desktop",
                             "checkout: pickup, delivery or courier, slot, points, payment"),
    "shop-orders": Picture("member", "/orders", "desktop", "the shopper's orders and their states"),
    "shop-order-phone": Picture("member", "/orders/{order}", "phone",
                                "one order: its state, lines, pickup code or tracking"),
    "shop-addresses-phone": Picture("member", "/account/addresses", "phone",
                                    "the address book"),
    "shop-security-phone": Picture("member", "/account/security", "phone",
                                   "account security: phone, e-mail, password, sign out"),
    "shop-account-phone": Picture("member", "/account", "phone",
                                  "the account: orders, addresses, security, data download"),
    "shop-complaint-phone": Picture("member", "/orders/{order}/complaint", "phone",
                                    "reporting a problem with an order"),
    # the member
    "vip-join": Picture("shopper", "/vip", "desktop", "the VIP club's page, to apply"),
    "member-home-phone": Picture("member", "/member", "phone",
                                 "the VIP area: card with its QR, tier, points"),
    "member-points-phone": Picture("member", "/member/points", "phone", "the points ledger"),
    "member-content": Picture("member", "/member/content", "desktop",
                              "guides picked for the baby's stage"),
    "member-events": Picture("member", "/member/events", "desktop", "events to register for"),
    "member-profile-phone": Picture("member", "/member/profile", "phone",
                                    "preferences: children, interests, channels, consent"),
    # the store clerk
    "desk-queue-phone": Picture("clerk", "/desk", "phone",
                                "today's pickups and deliveries by slot, the code box"),
    "desk-sell-phone": Picture("clerk", "/desk/sell", "phone", "selling at the counter"),
    "desk-member-phone": Picture("clerk", "/desk/member", "phone",
                                 "the member at the counter: scan the card"),
    "desk-stock": Picture("clerk", "/desk/stock", "desktop", "stock of the store, alert levels"),
    "desk-transfers": Picture("clerk", "/desk/transfers", "desktop", "transfers between centers"),
    "desk-lots": Picture("clerk", "/desk/lots", "desktop", "receiving stock in lots"),
    "desk-slots": Picture("clerk", "/desk/slots", "desktop", "the slots of the coming days"),
    # the CRM agent
    "crm-queue": Picture("agent", "/crm", "desktop", "the follow-ups due, by channel"),
    "crm-customers": Picture("agent", "/crm/customers?q={customer_name}", "desktop",
                             "customer search"),
    "crm-customer": Picture("agent", "/crm/customers/{customer}", "desktop",
                            "the customer 360"),
    "crm-followup": Picture("agent", "/crm/followups/{followup}", "desktop",
                            "recording a call, with its script"),
    "crm-complaints": Picture("agent", "/crm/complaints", "desktop", "the complaint log"),
    "crm-complaint": Picture("agent", "/crm/complaints/{complaint}", "desktop",
                             "one complaint's steps and history"),
    "crm-dashboard": Picture("agent", "/crm/dashboard", "desktop", "the dashboards"),
    "crm-import": Picture("agent", "/crm/import", "desktop", "importing customers from a sheet"),
    "crm-tag-rules": Picture("agent", "/crm/tag-rules", "desktop", "the rules that give tags"),
    "crm-segments": Picture("agent", "/crm/segments", "desktop", "saved segments"),
    "crm-campaigns": Picture("agent", "/crm/campaigns", "desktop", "campaigns"),
    "crm-coupons": Picture("agent", "/crm/coupons", "desktop", "coupons"),
    "crm-recalls": Picture("agent", "/crm/recalls", "desktop", "recalls of a lot"),
    "crm-club-events": Picture("agent", "/crm/club/events", "desktop", "the club's events"),
    # the admin
    "admin-home": Picture("admin", "/admin/", "desktop", "the back office"),
    "admin-orders": Picture("admin", "/admin/orders/", "desktop", "orders, with their states"),
    "admin-order": Picture("admin", "/admin/orders/{order}", "desktop",
                           "one order: timeline, payments, refunds"),
    "admin-products": Picture("admin", "/admin/products", "desktop", "products"),
    "admin-centers": Picture("admin", "/admin/centers", "desktop", "centers"),
    "admin-delivery": Picture("admin", "/admin/centers/{center}/delivery", "desktop",
                              "a center's delivery zones and time windows"),
    "admin-tiers": Picture("admin", "/admin/tiers", "desktop", "the club's tiers"),
    "admin-lots": Picture("admin", "/admin/lots", "desktop", "lots and batches"),
    "admin-staff": Picture("admin", "/admin/staff", "desktop", "staff accounts"),
    "admin-access-log": Picture("admin", "/crm/access-log", "desktop",
                                "who opened which customer's 360"),
    # the operator
    "ops-outbox": Picture("admin", "/crm/outbox", "desktop",
                          "the outbox: messages to customers and what became of them"),
    "ops-followup-rules": Picture("admin", "/crm/followup-rules", "desktop",
                                  "the follow-up rules the jobs plan from"),
    "ops-readyz": Picture("admin", "/readyz", "desktop",
                          "the readiness check: database, Redis, image store"),
    # the API
    "api-products": Picture("shopper", "/api/v1/products?category=gift-boxes", "desktop",
                            "an API answer in the browser: the products"),
}
