"""The outcomes part of ``flask demo``: a year of monthly customer snapshots and two finished
campaigns with control groups, so the dashboard's segment movement and profile collection
and a campaign's uplift have something to show.

Most parents' required profiles are first completed, as the center's calls would. This
month's snapshot is the snapshot job's own (``snapshots.take_snapshot``). The eleven
months before it are derived from the demo's own orders: each month-end's segments and
favourite centers computed set-based from the orders placed by then, so the movement
matrix agrees with the customers' orders (see ``_snapshots`` for the profile). The
campaigns were sent 45 and 40 days ago, their 30 days are over: the first holds out fewer
of the customers who then ordered (it "worked"), the second holds out the same share of
buyers and non-buyers (a difference within noise). Their orders are the demo's own; no
order is added. Last, the measure job stores the dashboard's measures.
"""

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from core.clock import shop_zone
from core.extensions import db
from core.models import User
from crm.customers import snapshots
from crm.customers.figures import COUNTED
from crm.customers.models import Child, Customer, SegmentSnapshot
from crm.customers.segments import save_segment
from crm.outreach.models import Campaign, CampaignHoldout, OutboxMessage
from crm.outreach.uplift import MIN_GROUP
from crm.reports import measures
from storefront.models import Order

from .data import AREAS, INTERESTS

MONTHS = 12
#: (name, days ago, hold-out share of buyers in the window, of the others, script)
CAMPAIGNS = [
    ("老客户回购关怀（短信）", 45, 0.1, 0.45,
     "{name}您好，{shop}为老客户准备了回购礼遇，到店自提再享好礼。"),
    ("新品上市通知（短信）", 40, 0.35, 0.35, "{name}您好，{shop}新品礼盒已上市，欢迎选购。"),
]


#: what the customer center's calls add to a parent's profile
OCCUPATIONS = ["教师", "医生", "工程师", "会计", "公务员", "设计师", "销售经理", "自由职业"]
CHANNELS, TIMES = ["phone", "sms", "wechat", "email"], ["morning", "afternoon", "evening"]
#: the share of parents whose required profile the center has completed
COLLECTED = 0.85


def build_outcomes(agent: User, now, seed: int | None) -> dict:
    rng = random.Random(None if seed is None else seed + 17)
    _collect_profiles(rng)
    result = {"snapshots": _snapshots(now), "campaigns": _campaigns(agent, now, rng)}
    # the measures the dashboard reads, as the measure job stores them
    measures.store_months(now)
    return result


def _collect_profiles(rng) -> None:
    """Most parents' profiles completed by the follow-up calls: district, address,
    occupation, interests, preferred channel and time (the others have no child on file,
    so their profile cannot be complete)."""
    parents = db.session.execute(
        sa.select(Customer.id, Customer.city).where(
            sa.exists().where(Child.customer_id == Customer.id))
        .order_by(Customer.id)).all()
    rows = []
    for cid, city in parents:
        if rng.random() >= COLLECTED:
            continue
        district = rng.choice(list(AREAS.get(city) or ["市辖区"]))
        rows.append({"cid": cid, "district": district,
                     "address": f"{district}幸福路 {rng.randint(1, 999)} 号",
                     "occupation": rng.choice(OCCUPATIONS),
                     "interests": ",".join(sorted(rng.sample(INTERESTS, 2))),
                     "preferred_channel": rng.choice(CHANNELS),
                     "preferred_time": rng.choice(TIMES)})
    if rows:
        c = Customer.__table__
        db.session.execute(
            sa.update(c).where(c.c.id == sa.bindparam("cid")).values(
                {k: sa.bindparam(k) for k in rows[0] if k != "cid"}), rows)


def _month_end(month: str) -> datetime:
    """The moment ``month`` ended in the shop's zone (the next one began), in UTC."""
    year, mon = int(month[:4]), int(month[5:])
    year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return datetime(year, mon, 1, tzinfo=shop_zone()).astimezone(UTC)


def _snapshots(now) -> int:
    """This month's snapshot (the job's own), and each of the eleven months before it as it
    ended: the customers there were, each one's RFM segment and favourite center computed
    from the demo's orders placed by then (``snapshots.take_snapshot_as_of``, one statement
    a month). The profile keeps no history; the demo's story is that the center completes
    a parent's profile at the calls after the first purchase, so a profile complete now
    counts as complete in a month only if the customer had bought by its end (prospects
    who never bought were entered complete)."""
    written = 0
    month = snapshots.month_of(now)
    snapshots.take_snapshot(now)
    written += db.session.execute(sa.select(sa.func.count()).where(
        SegmentSnapshot.month == month)).scalar_one()
    for _ in range(MONTHS - 1):
        month = snapshots.previous_month(month)
        written += snapshots.take_snapshot_as_of(month, _month_end(month))
        s = SegmentSnapshot
        db.session.execute(
            sa.update(s).where(s.month == month, s.segment.is_(None), s.profile_complete,
                               s.customer_id.in_(sa.select(Customer.id).where(
                                   Customer.orders_count > 0)))
            .values(profile_complete=False).execution_options(synchronize_session=False))
    return written


def _campaigns(agent: User, now, rng) -> int:
    everyone = save_segment(None, agent, name="全部客户（演示）", filters={})
    for name, days_ago, held_buyers, held_others, script in CAMPAIGNS:
        sent = now - timedelta(days=days_ago)
        campaign = Campaign(name=name, segment_id=everyone.id, channel="sms",
                            purpose="marketing", script=script, holdout_percent=35,
                            attribution_days=30, created_by_id=agent.id, sent_by_id=agent.id,
                            created_at=sent - timedelta(days=1), sent_at=sent)
        db.session.add(campaign)
        db.session.flush()
        bought = sa.exists().where(
            Order.user_id == Customer.user_id, Order.status.in_(COUNTED),
            Order.created_at >= sent, Order.created_at < sent + timedelta(days=30))
        audience = db.session.execute(
            sa.select(Customer.id, Customer.user_id, Customer.phone, Customer.name, bought)
            .where(Customer.marketing_consent.is_(True), Customer.user_id.is_not(None),
                   Customer.created_at < sent)
            .order_by(Customer.id)).all()
        # the same share of each group held out (stratified): the buyers' share sets the effect;
        # both shares grow alike where a small demo would hold out too few to tell anything
        groups = {buyer: [row[0] for row in audience if bool(row[4]) == buyer]
                  for buyer in (True, False)}
        expected = held_buyers * len(groups[True]) + held_others * len(groups[False])
        scale = (max(1.0, min((MIN_GROUP + 5) / expected, len(audience) / 2 / expected))
                 if expected else 1.0)  # never more than half of them
        out = set()
        for buyer, share in ((True, held_buyers), (False, held_others)):
            group = groups[buyer]
            out |= set(rng.sample(group, min(len(group), round(share * scale * len(group)))))
        shop = current_app.config["SHOP_NAME"]
        held, messages = [], []
        for cid, user_id, phone, person, _buyer in audience:
            if cid in out:
                held.append({"campaign_id": campaign.id, "customer_id": cid,
                             "created_at": sent})
                continue
            messages.append({
                "channel": "sms", "kind": "campaign", "purpose": "marketing",
                "customer_id": cid, "user_id": user_id, "to": phone, "subject": "",
                "body": script.replace("{name}", person).replace("{shop}", shop),
                "dedupe_key": f"campaign:{campaign.id}:customer:{cid}", "status": "sent",
                "send_after": sent, "attempts": 1, "campaign_id": campaign.id,
                "sent_at": sent + timedelta(minutes=2), "created_at": sent})
        if held:
            db.session.execute(sa.insert(CampaignHoldout), held)
        if messages:
            db.session.execute(sa.insert(OutboxMessage), messages)
    return len(CAMPAIGNS)
