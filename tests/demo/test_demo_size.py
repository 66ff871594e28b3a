"""``flask demo`` at the size the README gives for a quick look, on an empty shop."""

import sqlalchemy as sa

from core.models import Role, User
from crm.customers.models import Customer
from fulfillment.models import Stock
from storefront.models import Order
from tests.support.figures import assert_figures_as_refreshed


def test_demo_with_50_customers_and_300_orders(runner, session):
    """The command as the README gives it for a quick look: the counts asked for, figures
    that agree with the orders, and no stock sold twice."""
    result = runner.invoke(args=["demo", "--customers", "50", "--orders", "300", "--seed", "3"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.execute(sa.select(sa.func.count(User.id)).where(
        User.role == Role.CUSTOMER)).scalar() == 50
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar() == 300
    customers = list(session.execute(sa.select(Customer).where(
        Customer.user_id.isnot(None))).scalars())
    assert len(customers) == 50
    assert_figures_as_refreshed(customers, (
        "orders_count", "lifetime_amount", "frequency", "monetary_amount", "avg_basket_amount",
        "favourite_center_id", "favourite_category_id", "stage"))
    assert any(c.rfm_segment for c in customers)
    assert session.execute(sa.select(sa.func.count(Stock.id)).where(
        sa.or_(Stock.on_hand < 0, Stock.reserved < 0, Stock.reserved > Stock.on_hand))
    ).scalar() == 0
