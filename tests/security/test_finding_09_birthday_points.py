"""Finding 9: double points once a year, in the birthday's month. A member changes their
birthday at most once a year (the customer center corrects it sooner), and double points
need a birthday set before the month began and that month's perk."""

from datetime import date, datetime, time
from types import SimpleNamespace

import pytest

from crm.customers import profiles
from crm.customers.services import ensure_customer
from storefront.loyalty import points
from storefront.loyalty.membership import sign_up_member
from tests.conftest import SHOP_ZONE
from tests.support.pages import login

ORDER = SimpleNamespace(total_amount=100_000)  # 1,000 yuan


def _at(clock, month: int, day: int):
    """Noon of that day of this year, in the shop; the clock stands there."""
    moment = datetime.combine(date(clock.today().year, month, day), time(12), SHOP_ZONE)
    clock.move_to(moment)
    return moment


@pytest.fixture()
def member(session, shop, clock):
    """A member for two years, born in March."""
    m = sign_up_member(shop.shopper, name="王丽", phone="13800000001",
                       birthday=date(1990, 3, 10))
    m.birthday_set_at = datetime(clock.today().year - 2, 1, 1, tzinfo=SHOP_ZONE)
    session.flush()
    return m


def _save_birthday(client, user, birthday: date):
    login(client, user)
    return client.post("/member/profile", data={"name": "王丽", "phone": "13800000001",
                                                "birthday": birthday.isoformat()})


def test_moving_the_birthday_into_the_month_doubles_nothing(client, session, shop, member,
                                                           clock):
    """The review's repro: the perk given in March, the birthday moved to April in April."""
    march = _at(clock, 3, 15)
    points.grant_birthday_perks(march)
    assert points.birthday_double_active(member, march)
    single = points.earned_for(ORDER, member, _at(clock, 4, 15))
    april = _at(clock, 4, 15)
    assert _save_birthday(client, shop.shopper, date(1990, 4, 10)).status_code == 302
    session.expire_all()
    assert member.birthday == date(1990, 4, 10)
    points.grant_birthday_perks(april)
    assert not points.birthday_double_active(member, april)
    assert points.earned_for(ORDER, member, april) == single


def test_a_birthday_moved_before_the_month_began_takes_no_perk_along(client, session, shop,
                                                                     member, clock):
    march = _at(clock, 3, 15)
    points.grant_birthday_perks(march)
    _at(clock, 3, 28)
    assert _save_birthday(client, shop.shopper, date(1990, 4, 10)).status_code == 302
    april = _at(clock, 4, 15)
    points.grant_birthday_perks(april)  # this year's perk was March's
    session.expire_all()
    assert not points.birthday_double_active(member, april)


def test_the_birthday_changes_once_a_year_and_the_customer_center_corrects_it(
        client, session, shop, member, clock):
    _at(clock, 2, 1)
    assert _save_birthday(client, shop.shopper, date(1990, 4, 10)).status_code == 302
    _at(clock, 3, 1)
    refused = _save_birthday(client, shop.shopper, date(1990, 5, 10))
    assert refused.status_code == 400
    assert "You can change your birthday once a year" in refused.get_data(as_text=True)
    session.expire_all()
    assert member.birthday == date(1990, 4, 10)
    # The customer center corrects it at once.
    profiles.update_profile(ensure_customer(shop.shopper), shop.agent,
                            {"birthday": date(1990, 5, 10)})
    session.expire_all()
    assert member.birthday == date(1990, 5, 10)


def test_a_birthday_set_before_its_month_doubles_that_month(session, shop, member, clock):
    march = _at(clock, 3, 15)
    single = points.earned_for(ORDER, member, march)
    points.grant_birthday_perks(march)
    assert points.birthday_double_active(member, march)
    assert points.earned_for(ORDER, member, march) == 2 * single
    # once a year: April is not a birthday month, and the perk is not given again
    april = _at(clock, 4, 15)
    points.grant_birthday_perks(april)
    assert not points.birthday_double_active(member, april)
