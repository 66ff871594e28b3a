"""The club in the storefront: tiers, member prices per tier, points (earn, redeem, expire,
refund, cancel). Runs on SQLite and PostgreSQL."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from core.errors import ValidationFailed
from core.signals import member_tier_changed, order_refunded
from fulfillment import services as desk
from storefront import orders
from storefront.loyalty import points, tiers
from storefront.loyalty.membership import sign_up_member
from storefront.loyalty.models import Membership, PointsEntry, Tier, TierRule

pytestmark = pytest.mark.dates  # calendar rules: CI runs these shifted too


def pickup_at(center):
    return {"method": "pickup", "center_id": center.id}


@pytest.fixture()
def member(session, shop):
    return sign_up_member(shop.shopper, name="王丽", phone="13800000001",
                          birthday=date(1990, 5, 1))


def buy(shop, product=None, quantity=1, points_spent=0, user=None):
    product = product or shop.products[0]
    return orders.place_order(user or shop.shopper,
                              lines=[{"sku": product.sku, "quantity": quantity}],
                              fulfillment=pickup_at(shop.store), payment_method="pay_at_pickup",
                              points=points_spent)


def pick_up(shop, order):
    desk.mark_ready(order.fulfillment, shop.clerk)
    desk.hand_over(order.fulfillment, order.fulfillment.pickup_code, shop.clerk,
                   collected={"method": "cash"})
    return order


def entries(session, membership):
    return session.execute(sa.select(PointsEntry.kind, PointsEntry.delta, PointsEntry.reason)
                           .where(PointsEntry.membership_id == membership.id)
                           .order_by(PointsEntry.id)).all()


# --- tiers ------------------------------------------------------------------------------------


def test_the_four_tiers_are_rows_lowest_first(session):
    rules = tiers.tier_rules()
    assert [r.code for r in rules] == list(Tier.ALL)
    assert [r.name_zh for r in rules] == ["普卡", "银卡", "金卡", "钻石卡"]


def test_a_pickup_crossing_the_threshold_upgrades_at_once(session, shop, member,
                                                           make_product, stock):
    silver = tiers.rule_for(Tier.SILVER)
    silver.threshold_amount = 50000
    box = make_product(price=60000)
    stock(shop.store, box, 5)
    changes = []

    def seen(sender, old, new, **_):
        changes.append((sender.id, old, new))

    member_tier_changed.connect(seen)
    try:
        pick_up(shop, buy(shop, box))
    finally:
        member_tier_changed.disconnect(seen)
    assert member.tier == Tier.SILVER
    assert changes == [(member.id, Tier.CLASSIC, Tier.SILVER)]
    progress = tiers.tier_progress(member)
    assert progress.next.code == Tier.GOLD
    assert progress.remaining == progress.next.threshold_amount - 60000


def test_placing_without_fulfilment_does_not_upgrade(session, shop, member):
    tiers.rule_for(Tier.SILVER).threshold_amount = 100
    buy(shop)
    assert member.tier == Tier.CLASSIC


def test_downgrade_waits_for_the_yearly_review(session, shop, member):
    member.tier = Tier.GOLD
    session.flush()
    tiers.review_tiers(utcnow())  # joined today: not due
    assert member.tier == Tier.GOLD
    later = utcnow() + timedelta(days=366)
    summary = tiers.review_tiers(later)
    assert member.tier == Tier.CLASSIC and "1 tier(s) changed" in summary
    assert member.tier_reviewed_at == later
    assert "0 membership(s)" in tiers.review_tiers(later + timedelta(days=1))


def test_admin_edits_a_tier_and_bad_input_changes_nothing(session, shop):
    rule = tiers.rule_for(Tier.GOLD)
    tiers.update_tier_rule(rule, {"name_zh": "金卡会员", "threshold_amount": 800000,
                                  "points_per_100_yuan": 160}, shop.admin)
    assert (rule.name_zh, rule.threshold_amount, rule.points_per_100_yuan) == \
        ("金卡会员", 800000, 160)
    with pytest.raises(ValidationFailed):
        tiers.update_tier_rule(rule, {"name_zh": "", "threshold_amount": -1,
                                      "points_per_100_yuan": 5}, shop.admin)
    assert rule.name_zh == "金卡会员"


# --- member prices ----------------------------------------------------------------------------


def test_member_pays_their_tier_price_and_the_line_says_which(session, shop, member,
                                                              make_product, stock):
    product = make_product(price=39800, member_price=37800)
    stock(shop.store, product, 5)
    tiers.set_member_prices(product, {Tier.CLASSIC: 36800, Tier.GOLD: 33800})
    line = buy(shop, product).lines[0]
    assert (line.unit_price_amount, line.member_price, line.price_tier) == (36800, True, "classic")
    member.tier = Tier.SILVER  # no silver price: the base member price
    line = buy(shop, product).lines[0]
    assert (line.unit_price_amount, line.price_tier) == (37800, None)
    member.tier = Tier.GOLD
    line = buy(shop, product).lines[0]
    assert (line.unit_price_amount, line.price_tier) == (33800, "gold")
    assert tiers.catalog_prices([product], None)["prices"] == {product.id: 36800}  # the entry


def test_non_member_pays_the_list_price(session, shop, make_product, stock):
    product = make_product(price=39800)
    stock(shop.store, product, 5)
    tiers.set_member_prices(product, {Tier.CLASSIC: 30000})
    line = buy(shop, product).lines[0]
    assert (line.unit_price_amount, line.member_price, line.price_tier) == (39800, False, None)


def test_member_price_above_the_price_is_refused(session, shop, make_product):
    product = make_product(price=10000)
    with pytest.raises(ValidationFailed):
        tiers.set_member_prices(product, {Tier.GOLD: 20000})
    assert tiers.member_prices_of(product) == {}


# --- points -----------------------------------------------------------------------------------


def test_pickup_earns_points_at_the_tier_rate(session, shop, member):
    order = pick_up(shop, buy(shop, quantity=2))  # 2 x 128.00
    assert member.points == 256
    member.tier = Tier.GOLD
    session.flush()
    pick_up(shop, buy(shop))
    assert member.points == 256 + 128 * 150 // 100
    assert entries(session, member)[0] == ("earned", 256, "order_fulfilled")
    assert points.award_order_points(order, member) is None  # once per order


def test_redeem_at_checkout_up_to_the_share(session, shop, member):
    points.adjust_points(member, 10_000, "welcome")
    order = buy(shop, points_spent=3000)  # 30 yuan off 128
    assert (order.points_redeemed, order.points_discount_amount) == (3000, 3000)
    assert order.total_amount == 12800 - 3000 and member.points == 7000
    with pytest.raises(ValidationFailed):
        buy(shop, points_spent=7000)  # 70 yuan > 50% of 128
    assert member.points == 7000


def test_spending_more_than_the_balance_is_a_conflict(session, shop, member):
    points.adjust_points(member, 100, "welcome")
    with pytest.raises(points.InsufficientPoints):
        buy(shop, points_spent=500)
    session.refresh(member)
    assert member.points == 100


def test_cancelling_gives_the_points_back(session, shop, member):
    points.adjust_points(member, 5000, "welcome")
    order = buy(shop, points_spent=2000)
    orders.cancel_order(order, shop.shopper)
    assert member.points == 5000
    assert entries(session, member)[-1] == ("reversed", 2000, "order_cancelled")


def test_refund_takes_back_its_share_of_the_points(session, shop, member):
    order = pick_up(shop, buy(shop, quantity=2))
    assert member.points == 256
    order_refunded.send(order, refund=None, amount=6400, full=False, reason="damaged")
    assert member.points == 256 - 64
    order_refunded.send(order, refund=None, amount=25600, full=True, reason="returned")
    assert member.points == 0
    order_refunded.send(order, refund=None, amount=25600, full=True, reason="again")
    assert member.points == 0
    assert [e[:2] for e in entries(session, member)] == [
        ("earned", 256), ("reversed", -64), ("reversed", -192)]


def test_refund_never_takes_the_balance_below_zero(session, shop, member):
    order = pick_up(shop, buy(shop, quantity=2))
    points.adjust_points(member, -200, "correction")  # 56 left of the 256 earned
    order_refunded.send(order, refund=None, amount=0, full=True, reason="returned")
    assert member.points == 0


def test_points_expire_after_the_set_time(session, shop, member, app):
    points.adjust_points(member, 300, "welcome")
    pick_up(shop, buy(shop))
    buy(shop, points_spent=200)  # from the oldest lot
    assert member.points == 300 + 128 - 200
    later = utcnow() + timedelta(days=points.valid_days() + 1)
    assert "228 point(s) expired" in points.expire_points(later)
    assert member.points == 0
    assert "0 point(s)" in points.expire_points(later)


def test_the_ledger_reads_newest_first(session, shop, member):
    points.adjust_points(member, 50, "welcome")
    points.adjust_points(member, -20, "correction")
    assert [(e.kind, e.delta, e.balance_after) for e in points.ledger(member)] == [
        ("adjusted", -20, 30), ("adjusted", 50, 50)]
    with pytest.raises(points.InsufficientPoints):
        points.adjust_points(member, -100, "too much")


def test_the_balance_check_holds_in_the_database(session, member):
    session.execute(sa.update(Membership).where(Membership.id == member.id).values(points=0))
    with pytest.raises(sa.exc.IntegrityError):
        with session.begin_nested():
            session.execute(sa.update(Membership).where(Membership.id == member.id)
                            .values(points=-1))


def test_tier_rules_are_in_the_database(session):
    assert session.execute(sa.select(sa.func.count(TierRule.id))).scalar_one() == 4


def test_birthday_month_doubles_points_once_a_year(session, shop, member):
    from datetime import UTC, datetime

    may = datetime(2027, 5, 3, 4, tzinfo=UTC)
    member.birthday_set_at = datetime(2026, 4, 1, tzinfo=UTC)  # set well before that May
    assert "0 birthday" in points.grant_birthday_perks(datetime(2027, 4, 3, tzinfo=UTC))
    assert "1 birthday" in points.grant_birthday_perks(may)
    assert "0 birthday" in points.grant_birthday_perks(may + timedelta(days=1))
    order = buy(shop)
    assert points.earned_for(order, member, now=may) == 256
    assert points.earned_for(order, member, now=datetime(2027, 6, 3, 4, tzinfo=UTC)) == 128
    assert points.birthday_double_active(member, now=may)
    assert not points.birthday_double_active(member, now=datetime(2028, 5, 3, 4, tzinfo=UTC))
    points.award_order_points(order, member, now=may)
    later = buy(shop)
    points.award_order_points(later, member, now=datetime(2027, 6, 3, 4, tzinfo=UTC))
    assert entries(session, member)[-2:] == [
        ("earned", 256, points.BIRTHDAY_DOUBLE_REASON), ("earned", 128, "order_fulfilled")]


def test_the_jobs_are_registered(app):
    assert {"points_expiry", "tier_review", "birthday_perks"} <= set(app.extensions["shop_jobs"])


@pytest.mark.parametrize("code, threshold", [
    (Tier.SILVER, 0), (Tier.GOLD, None), (Tier.GOLD, "diamond"), (Tier.DIAMOND, "gold")])
def test_a_threshold_that_breaks_the_ladder_is_refused(session, shop, code, threshold):
    before = {r.code: r.threshold_amount for r in tiers.tier_rules()}
    value = {None: before[Tier.SILVER], "diamond": before[Tier.DIAMOND],
             "gold": before[Tier.GOLD]}.get(threshold, threshold)
    rule = tiers.rule_for(code)
    with pytest.raises(ValidationFailed) as err:
        tiers.update_tier_rule(rule, {"name_zh": "改名", "threshold_amount": value,
                                      "points_per_100_yuan": 100}, shop.admin)
    assert "threshold" in err.value.errors
    session.expire_all()
    assert {r.code: r.threshold_amount for r in tiers.tier_rules()} == before
    assert tiers.rule_for(code).name_zh != "改名"
    # between its neighbours is fine
    ladder = [before[c] for c in Tier.ALL]
    at = Tier.ALL.index(code)
    fine = (ladder[at - 1] + ladder[at + 1]) // 2 if at + 1 < len(ladder) else ladder[at] + 1
    tiers.update_tier_rule(rule, {"name_zh": "新名", "threshold_amount": fine,
                                  "points_per_100_yuan": 100}, shop.admin)
    assert rule.threshold_amount == fine
