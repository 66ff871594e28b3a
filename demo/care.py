"""The customer center's part of ``flask demo``: complaints at every step of their way (some
past their deadline, some resolved with a coupon or an apology), and a few coupons given by
hand, so the complaint log, the dashboard's SLA figures and the coupon list have work on
them. Everything goes through the services, as an agent's clicks would."""

import random
from datetime import timedelta

import sqlalchemy as sa

from core.extensions import db
from core.models import Role, User
from crm.care import complaints
from crm.care.goodwill import give_coupon
from crm.customers.services import customer_for_user
from storefront.models import Order, OrderStatus

#: (category, severity, channel, what the customer said, root cause, prevention)
CASES = [
    ("quality", "high", "hotline", "海参泡发后有明显沙粒，去沙嘴后仍然硌牙。",
     "该批次加工时去沙工序漏检。", "加工厂每批次抽检去沙，门店到货抽检 2 只。"),
    ("quality", "medium", "store", "奶粉罐封口膜有破损，担心受潮。",
     "运输途中纸箱受压。", "奶粉外箱加护角，到货逐罐检查封口。"),
    ("delivery", "medium", "online", "约好上午送达，下午四点才到，孩子等着喝奶。",
     "配送中心当天单量超出排班。", "按时段限单，超出时提前电话改约。"),
    ("delivery", "low", "hotline", "快递员没有打电话就放在了门卫。",
     "骑手未按备注电话联系。", "配送前必须电话确认，培训骑手。"),
    ("service", "medium", "store", "门店自提排队二十分钟，没有人接待。",
     "周末午间只有一名店员。", "周末 11–14 点加排一人，自提单先备好。"),
    ("service", "low", "followup", "回访电话打在午睡时间，希望换个时间。",
     "回访没有看客户偏好的联系时间。", "回访排期按客户偏好时间段。"),
    ("price", "low", "online", "下单后第二天同款礼盒降价，希望补差价。",
     "促销提前未公告。", "促销前一周在会员区公告。"),
    ("other", "low", "hotline", "发票抬头开错了，需要重开。",
     "下单页抬头字段说明不清。", "结算页发票抬头加示例和校验。"),
]

#: the coupons the demo's agent gives by hand: (amount in fen, minimum, why)
GOODWILL = [(3000, 0, "生日当天电话问候，送一张小券"), (5000, 30000, "老客户回访，感谢多年支持"),
            (2000, 0, "自提排队久等，致歉")]

#: how the complaints are spread over their steps, and how old they are (hours)
PLAN = [("open", 2), ("open", 30), ("open", 80), ("acknowledged", 20), ("investigating", 50),
        ("resolved", 120), ("resolved", 200), ("closed", 400), ("closed", 600)]
#: the steps from open to closed; a complaint at a step has taken those before it
WAY = ["acknowledged", "investigating", "resolved", "closed"]


def build_care(agent: User, now, seed: int | None, *, customers: int) -> dict:
    """Complaints (about one for every 300 customers; 9 to 45) and a few coupons given by
    hand, to different customers with a recent delivered or collected order; returns the
    counts."""
    rng = random.Random(seed)
    wanted = max(len(PLAN), min(45, customers // 300))
    orders = list(db.session.execute(
        sa.select(Order).join(User, User.id == Order.user_id)
        .where(Order.status == OrderStatus.FULFILLED, Order.created_at >= now - timedelta(days=60),
               User.role == Role.CUSTOMER)
        .order_by(Order.id.desc()).limit((wanted + len(GOODWILL)) * 4)).scalars())
    rng.shuffle(orders)
    one_each = list({o.user_id: o for o in orders}.values())  # one order per customer
    complained, spared = one_each[:wanted], one_each[wanted:]
    coupons = 0
    for n, order in enumerate(complained):
        status, hours = PLAN[n % len(PLAN)]
        category, severity, channel, said, cause, fix = CASES[n % len(CASES)]
        at = now - timedelta(hours=hours + rng.randint(0, 12))
        c = complaints.open_complaint(actor=agent, order=order, category=category,
                                      severity=severity, channel=channel, description=said,
                                      owner=agent, now=at)
        for step in WAY[:WAY.index(status) + 1] if status in WAY else []:
            at += timedelta(hours=rng.randint(1, 20))
            extra = {}
            if step == "resolved":
                remedy = "coupon" if category in ("quality", "delivery") else "apology"
                coupons += remedy == "coupon"
                extra = {"remedy": remedy, "root_cause": cause, "prevention": fix,
                         "remedy_amount": 5000 if remedy == "coupon" else None}
            complaints.transition(c, agent, to=step, now=min(at, now), **extra)
    for (amount, minimum, why), order in zip(GOODWILL, spared, strict=False):
        give_coupon(customer_for_user(order.user_id), amount=amount, minimum_amount=minimum,
                    valid_days=60, note=why, actor=agent)
        coupons += 1
    complaints.escalate_overdue(now)
    db.session.flush()
    return {"complaints": len(complained), "coupons": coupons}
