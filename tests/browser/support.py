"""What the browser tests share: the seeded shop, the translations, people in browsers.

The shop is seeded through the models and services (no pre-made shopper: shoppers register
in the browser). Texts are looked up in the compiled catalogues, so a selector reads what
the page really says in that locale: the Chinese text where the zh_CN catalogue has it, the
English msgid where it does not (yet).
"""

import re
from pathlib import Path
from types import SimpleNamespace

from babel.support import NullTranslations, Translations

from core.translations import compile_catalogs

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update",
                 "--disable-sync"]

PASSWORD = "correct horse 42"
STAFF_EMAIL = "xiaoli.ja@haiyun.test"
STAFF_NAME = "李静（静安店）"
AGENT_EMAIL = "zhou.crm@haiyun.test"
AGENT_NAME = "周敏（客服中心）"

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 860}}
#: a spot in Jing'an, a few hundred metres from the store
NEAR_STORE = {"latitude": 31.2301, "longitude": 121.4499}

CJK = re.compile(r"[\u4e00-\u9fff]")
ORDER_NUMBER = re.compile(r"SH-\d{8}-\d{3,}")


# --- texts ------------------------------------------------------------------------------------

_catalogues: dict[str, NullTranslations] = {}


def translator(locale: str):
    """``t(msgid, **values)`` as the shop renders it in ``locale`` (the compiled catalogue)."""
    if locale not in _catalogues:
        compile_catalogs()  # at collection, before the session compiles: never a stale .mo
        _catalogues[locale] = Translations.load(str(ROOT / "translations"), [locale])

    def t(msgid: str, **values) -> str:
        text = _catalogues[locale].gettext(msgid)
        return text % values if values else text

    return t


def zh_catalogue_has(msgid: str) -> bool:
    """Whether the zh_CN catalogue translates ``msgid`` into Chinese (it is being filled)."""
    return bool(CJK.search(translator("zh_CN")(msgid)))


# --- the shop ---------------------------------------------------------------------------------


#: what ``seed_shop`` puts in the database (the tests look for these names)
SHOP = SimpleNamespace(
    store={"code": "SH-JA", "name_zh": "海韵·静安旗舰店", "name_en": "Haiyun Jing'an Flagship"},
    second={"code": "SH-PD", "name_zh": "海韵·浦东配送中心", "name_en": "Haiyun Pudong Center"},
    products=[
        {"sku": "SC-DL-6080", "slug": "dalian-sea-cucumber-60-80",
         "name_zh": "大连淡干海参 60-80头/500克",
         "name_en": "Dalian dried sea cucumber, 60-80 per 500 g",
         "price": 168000, "member_price": 158000, "category": "sea-cucumber",
         "image": "static/img/products/sea-cucumber-dalian-6080.svg", "days": None},
        {"sku": "IF-PRM-1", "slug": "premium-formula-stage-1",
         "name_zh": "臻护婴儿配方奶粉 1段 800克",
         "name_en": "Premium infant formula, stage 1, 800 g",
         "price": 39800, "member_price": 36800, "category": "infant-formula",
         "image": "static/img/products/formula-premium-1.svg", "days": 14},
        {"sku": "GB-REUNION", "slug": "reunion-gift-box",
         "name_zh": "团圆海参礼盒", "name_en": "Reunion sea cucumber gift box",
         "price": 298000, "member_price": None, "category": "sea-cucumber",
         "image": "static/img/products/gift-box-reunion.svg", "days": None},
    ],
)


def seed_shop(app) -> None:
    """Two centers (a pickup store, a center that does both), three products, staff, an agent."""
    from core.cli import create_user
    from core.extensions import db
    from core.models import Role
    from fulfillment.models import Center, CenterDistrict, Stock
    from storefront.models import Category, Product

    categories = {
        "sea-cucumber": Category(slug="sea-cucumber", name_zh="海参", name_en="Sea cucumber",
                                 position=1),
        "infant-formula": Category(slug="infant-formula", name_zh="婴幼儿奶粉",
                                   name_en="Infant formula", position=2),
    }
    store = Center(
        code=SHOP.store["code"], name_zh=SHOP.store["name_zh"], name_en=SHOP.store["name_en"],
        is_pickup=True, is_delivery=False, province="上海市", city="上海市", district="静安区",
        address_zh="上海市静安区南京西路1266号恒隆广场一层",
        address_en="1F, 1266 West Nanjing Road",
        lat=31.2286, lng=121.4547, phone="021-6288 1266", opens_at="10:00", closes_at="21:30")
    second = Center(
        code=SHOP.second["code"], name_zh=SHOP.second["name_zh"], name_en=SHOP.second["name_en"],
        is_pickup=True, is_delivery=True, province="上海市", city="上海市", district="浦东新区",
        address_zh="上海市浦东新区世纪大道88号", address_en="88 Century Avenue, Pudong",
        lat=31.2354, lng=121.5055, phone="021-5888 0088", opens_at="09:00", closes_at="20:00",
        districts=[CenterDistrict(province="上海市", city="上海市", district="浦东新区")])
    db.session.add_all([*categories.values(), store, second])
    for position, item in enumerate(SHOP.products, start=1):
        product = Product(
            sku=item["sku"], slug=item["slug"], name_zh=item["name_zh"], name_en=item["name_en"],
            description_zh="精选产地，逐批可溯源。\n门店自提或本地配送。",
            description_en="Carefully sourced, every lot traceable.\nPick up in store or have it "
                           "delivered.",
            price_amount=item["price"], member_price_amount=item["member_price"],
            category=categories[item["category"]], days_of_supply=item["days"],
            image=item["image"], position=position)
        db.session.add(product)
        db.session.flush()
        for center in (store, second):
            db.session.add(Stock(center_id=center.id, product_id=product.id, on_hand=12,
                                 reserved=0))
    db.session.flush()
    create_user(STAFF_EMAIL, PASSWORD, STAFF_NAME, Role.STAFF, SHOP.store["code"])
    create_user(AGENT_EMAIL, PASSWORD, AGENT_NAME, Role.CRM, None)


# --- screenshots ------------------------------------------------------------------------------


class Shots:
    """Numbered full-page screenshots: test-artifacts/browser/<test>/NN-<step>.png."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def take(self, page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path


class Actor:
    """One person in a browser context of their own, with what went wrong on their pages."""

    def __init__(self, name: str, context, shots: Shots):
        self.name, self.context, self.shots = name, context, shots
        self.page = context.new_page()
        self.problems: list[str] = []
        #: what the page's Content-Security-Policy refused (any one fails the test)
        self.csp_violations: list[str] = []
        self.page.on("pageerror", lambda exc: self.problems.append(f"JS error: {exc}"))
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._failed)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(f"{self.page.url}: {message.text}")
        # Failed loads are judged by their responses; a refused code is a designed 400 page.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(f"console error: {message.text}")

    def _response(self, response) -> None:
        kind = response.request.resource_type
        if response.status >= 500 or (kind != "document" and response.status >= 400):
            self.problems.append(f"{response.status} {kind} {response.url}")

    def _failed(self, request) -> None:
        # ERR_ABORTED is the browser dropping a load because the page moved on (a click
        # that navigates while a script is still arriving): the server was not at fault.
        # What the server did wrong shows as a response above, or as another failure.
        if "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def shot(self, step: str) -> Path:
        return self.shots.take(self.page, f"{self.name}-{step}")

    def sign_in(self, t, email: str, password: str = PASSWORD) -> None:
        page = self.page
        page.goto("/login")
        page.get_by_label(t("E-mail or mobile number"), exact=True).fill(email)
        page.get_by_label(t("Password"), exact=True).fill(password)
        with page.expect_navigation():
            page.locator("main form").get_by_role("button", name=t("Sign in")).click()


def signed_in_in_english(people, name: str, email: str, **options) -> tuple:
    """``people(name, ...)`` on a browser in English (en-US, the shop's language chosen),
    signed in as ``email``: -> ``(t, actor)``; ``options`` are the browser context's."""
    t = translator("en")
    actor = people(name, locale="en-US", **options)
    actor.page.goto("/lang/en?next=/login")
    actor.sign_in(t, email)
    return t, actor
