"""The club's part of ``flask demo``: tier prices, members' tiers and points from their
orders, Chinese articles for each baby stage and for sea cucumber buyers, upcoming events."""

from datetime import timedelta

import sqlalchemy as sa

from core.clock import shop_zone, utcnow
from core.extensions import db
from crm.club.models import Article, Event
from fulfillment.models import Center
from storefront.loyalty.models import MemberPrice, Membership, PointsEntry, TierRule
from storefront.models import Order, OrderStatus, Product

AUDIENCE = {"tiers": [], "interests": [], "cities": []}

ARTICLES = [
    ("孕期饮食：每天该补多少蛋白质", "孕中晚期的营养重点与一周食谱示例。",
     "## 孕期营养重点\n\n- 优质蛋白：鱼、蛋、奶、豆制品\n- 叶酸与铁：深绿色蔬菜、红肉\n\n"
     "**小贴士**：少量多餐，避免生冷。", {"for_pregnancy": True}),
    ("0–6 月龄：科学喂养与奶量参考", "按月龄的奶量、喂养间隔和冲调要点。",
     "## 奶量参考\n\n| 月龄 | 每次奶量 | 每天次数 |\n|---|---|---|\n| 0–1 | 60–90 ml | 8–10 |\n"
     "| 2–3 | 120–150 ml | 6–7 |\n| 4–6 | 150–210 ml | 5–6 |\n\n冲调水温 40–50℃，现冲现喝。",
     {"age_min_months": 0, "age_max_months": 6}),
    ("6 月龄辅食添加指南：第一口吃什么", "从强化铁米粉开始，一次只加一种新食物。",
     "## 第一口辅食\n\n1. 强化铁米粉，稀糊状\n2. 3–5 天后再添加新食物\n3. 观察是否过敏\n\n"
     "奶仍是主要营养来源，每天 600–800 ml。", {"age_min_months": 5, "age_max_months": 8}),
    ("1–3 岁：从 2 段到 3 段奶粉怎么转", "转奶的节奏与观察要点。",
     "## 转奶七天法\n\n按 1:3、1:1、3:1 的比例逐步替换，注意大便与睡眠。",
     {"age_min_months": 12, "age_max_months": 36}),
    ("干海参泡发全攻略", "纯净水、冷藏、去沙筋：三天泡发不失败。",
     "## 泡发步骤\n\n1. 纯净水浸泡 24 小时（冷藏）\n2. 剪开去沙嘴和筋\n3. 小火煮 30–40 分钟\n"
     "4. 再冷藏浸泡 24–48 小时\n\n**全程无油无盐**。", {"interests": ["sea_cucumber"]}),
    ("小米海参粥：产后与长辈的滋补早餐", "一人份做法，十五分钟上桌。",
     "## 做法\n\n小米 50 克熬粥，放入切段的泡发海参一只，再煮 5 分钟，少许盐调味。", {}),
    ("年节送礼：海参礼盒怎么选", "看头数、产地与干度。",
     "## 选购要点\n\n- 头数越少，个头越大\n- 辽参刺多而挺\n- 干度高，泡发率高",
     {"interests": ["gifts"]}),
]

EVENTS = [
    ("新手爸妈营养课：孕期到 6 月龄", 6, 40, {"for_pregnancy": True, "age_max_months": 6}),
    ("亲子早教体验课（6–18 月龄）", 10, 12, {"age_min_months": 6, "age_max_months": 18}),
    ("海参品鉴会（金卡及以上）", 13, 20, {"tiers": ["gold", "diamond"]}),
    ("冬季食养讲座：一家人的滋补餐桌", 20, 60, {}),
]


def build_club() -> None:
    """Writes the club's demo rows; the caller commits."""
    _tier_prices()
    _tiers_and_points()
    _content()
    _events()


def _tier_prices() -> None:
    for rule in db.session.execute(sa.select(TierRule)).scalars():
        rule.price_rounding = 100  # the brand's member prices are whole yuan
    for p in db.session.execute(sa.select(Product).where(
            Product.member_price_amount.is_not(None))).scalars():
        base = p.member_price_amount
        db.session.add_all([
            MemberPrice(product_id=p.id, tier="gold", price_amount=base * 97 // 100),
            MemberPrice(product_id=p.id, tier="diamond", price_amount=base * 94 // 100)])


def _tiers_and_points() -> None:
    """Each member's tier from their 12-month spend, and the points their orders earned."""
    rules = list(db.session.execute(sa.select(TierRule).order_by(TierRule.threshold_amount))
                 .scalars())
    since = utcnow() - timedelta(days=365)
    spend = dict(db.session.execute(
        sa.select(Order.user_id, sa.func.sum(Order.total_amount))
        .where(Order.status == OrderStatus.FULFILLED, Order.fulfilled_at >= since)
        .group_by(Order.user_id)).all())
    total = dict(db.session.execute(
        sa.select(Order.user_id, sa.func.sum(Order.total_amount))
        .where(Order.status == OrderStatus.FULFILLED).group_by(Order.user_id)).all())
    for m in db.session.execute(sa.select(Membership)).scalars():
        code = "classic"
        for rule in rules:
            if spend.get(m.user_id, 0) >= rule.threshold_amount:
                code = rule.code
        m.tier = code
        earned = total.get(m.user_id, 0) // 100
        if earned:
            m.points = earned
            db.session.add(PointsEntry(
                membership_id=m.id, kind="earned", delta=earned, balance_after=earned,
                reason="order_fulfilled", open_amount=earned,
                expires_at=utcnow() + timedelta(days=365)))


def _content() -> None:
    now = utcnow()
    for i, (title, summary, body, audience) in enumerate(ARTICLES):
        db.session.add(Article(title=title, summary=summary, body_md=body,
                               publish_from=now - timedelta(days=3 * (len(ARTICLES) - i)),
                               **{**AUDIENCE, **audience}))


def _events() -> None:
    centers = list(db.session.execute(sa.select(Center).where(
        Center.is_pickup.is_(True), Center.active.is_(True)).order_by(Center.id)).scalars())
    today = utcnow().astimezone(shop_zone()).replace(hour=14, minute=0, second=0,
                                                     microsecond=0)
    for i, (title, days, capacity, audience) in enumerate(EVENTS):
        center = centers[i % len(centers)] if centers else None
        db.session.add(Event(
            title=title, description="现场有营养师答疑，并为到场会员准备小礼品。",
            starts_at=today + timedelta(days=days), center_id=center.id if center else None,
            address=(center.address_zh if center else "上海市静安区南京西路 1 号"),
            city=center.city if center else "上海市", capacity=capacity, seats_taken=0,
            **{**AUDIENCE, **audience}))
