"""The outcomes part of ``flask demo``: a year of monthly customer snapshots and two finished
campaigns with control groups, so the dashboard's segment movement and profile collection
and a campaign's uplift have something to show.

Most parents' required profiles are first completed, as the center's calls would. This
month's snapshot is the snapshot job's own (``snapshots.take_snapshot``). The eleven
months before it are a made-up history walked back from it: each month some customers sat
in another segment, and some complete profiles were not complete yet (so the collection
rate rises toward today). The campaigns were sent 45 and 40 days ago, their 30 days are
over: the first holds out fewer of the customers who then ordered (it "worked"), the second
holds out the same share of buyers and non-buyers (a difference within noise). Their
orders are the demo's own; no order is added.
"""

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from core.extensions import db
from core.models import User
from crm.customers import snapshots
from crm.customers.figures import COUNTED, Segment
from crm.customers.models import Child, Customer, SegmentSnapshot
from crm.customers.segments import save_segment
from crm.outreach.models import Campaign, CampaignHoldout, OutboxMessage
from storefront.models import Order

from .bulk import Batch
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
    return {"snapshots": _snapshots(now, rng), "campaigns": _campaigns(agent, now, rng)}


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


def _month_start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[5:]), 1, tzinfo=UTC)


def _snapshots(now, rng) -> int:
    snapshots.take_snapshot(now)
    month = snapshots.month_of(now)
    rows = db.session.execute(
        sa.select(SegmentSnapshot.customer_id, SegmentSnapshot.segment,
                  SegmentSnapshot.profile_complete, SegmentSnapshot.center_id,
                  Customer.created_at)
        .join(Customer, Customer.id == SegmentSnapshot.customer_id)
        .where(SegmentSnapshot.month == month)).all()
    state = {cid: [segment, complete, center, created]
             for cid, segment, complete, center, created in rows}
    batch, written = Batch(), 0
    for _ in range(MONTHS - 1):
        after = month
        month = snapshots.previous_month(month)
        end = _month_start(after)
        for cid, row in state.items():
            segment, complete, center, created = row
            if created is None or _aware(created) >= end:
                continue
            if segment is not None and rng.random() < 0.18:
                row[0] = segment = rng.choice(Segment.ALL)
            if complete and rng.random() < 0.07:
                row[1] = complete = False
            batch.add("segment_snapshots", month=month, customer_id=cid, segment=segment,
                      profile_complete=complete, center_id=center, taken_at=end)
            written += 1
    batch.write()
    return written + len(rows)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
        # the same share of each group held out (stratified): the buyers' share sets the effect
        out = set()
        for buyer, share in ((True, held_buyers), (False, held_others)):
            group = [row[0] for row in audience if bool(row[4]) == buyer]
            out |= set(rng.sample(group, round(share * len(group))))
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
