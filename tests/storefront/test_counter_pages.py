"""The counter's pages: ``/desk/sell`` builds the ticket from scanned or typed codes (a
barcode, a SKU, words, a VIP card, a phone shown masked), takes the money and opens the
receipt (``/desk/sales/<id>``, printable, with its QR); the member area claims an anonymous
sale from that QR once, within 30 days."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from crm.outreach.models import OutboxMessage
from storefront.loyalty.membership import sign_up_member
from storefront.models import Order
from tests.support.pages import login

BARCODE = "6901234567892"


@pytest.fixture()
def counter(client, session, shop):
    shop.products[0].barcode = BARCODE
    session.commit()
    login(client, shop.clerk)
    return shop


def post(client, data, **fields):
    """The sell form: the ticket as the page carries it, plus ``fields``."""
    body = {"csrf_token": "", **data, **fields}
    return client.post("/desk/sell", data=body)


def ticket(html):
    """The hidden ticket of a page: {"sku": [...], "qty": [...], "member": ...}."""
    assert 'name="member"' in html, html[html.find("<main"):][:2000]
    return {"sku": re.findall(r'name="sku" value="([^"]*)"', html),
            "qty": re.findall(r'name="qty" value="([^"]*)"', html),
            "member": re.search(r'name="member" value="([^"]*)"', html).group(1)}


def test_scan_products_and_a_card_then_pay_cash(client, session, counter):
    member = sign_up_member(counter.shopper, name="王丽", phone="13800000001",
                            birthday=date(1990, 5, 1))
    session.commit()
    page = client.get("/desk/sell")
    assert page.status_code == 200 and 'name="code"' in page.get_data(as_text=True)
    html = post(client, {}, do="code", code=BARCODE).get_data(as_text=True)
    html = post(client, ticket(html), do="code", code=BARCODE).get_data(as_text=True)
    assert ticket(html)["qty"] == ["2"]
    html = post(client, ticket(html), do="code", code=member.card_number).get_data(as_text=True)
    assert "王丽" in html and "*******0001" in html and "13800000001" not in html.replace(
        'value="13800000001"', "")
    answer = post(client, ticket(html), pay="cash", tendered="300")
    assert answer.status_code == 302
    order = session.execute(sa.select(Order).where(Order.channel == "store")).scalar_one()
    assert (order.user_id, order.total_amount, order.paid_amount) == (counter.shopper.id,
                                                                     25600, 25600)
    receipt = client.get(answer.headers["Location"])
    text = receipt.get_data(as_text=True)
    assert receipt.status_code == 200 and order.number in text and "¥44.00" in text
    assert client.get(f"/desk/sales/{order.public_id}/qr.svg").mimetype == "image/svg+xml"
    [sms] = session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == "receipt")
                            ).scalars()
    assert sms.channel == "sms" and order.number in sms.body and sms.to == "13800000001"


def test_words_search_then_add_and_phone_is_masked(client, session, counter):
    product = counter.products[1]
    html = post(client, {}, do="code", code=product.name_zh).get_data(as_text=True)
    assert f'name="add" value="{product.sku}"' in html
    html = post(client, ticket(html), add=product.sku).get_data(as_text=True)
    assert ticket(html)["sku"] == [product.sku]
    html = post(client, ticket(html), line=f"minus:{product.sku}").get_data(as_text=True)
    assert ticket(html)["sku"] == []
    unknown = post(client, {}, do="code", code="13900000000")
    assert unknown.status_code == 400 and "No member has this card" in unknown.get_data(
        as_text=True)
    forged = post(client, {"member": "13800000001"}, do="points").get_data(as_text=True)
    assert ticket(forged)["member"] == ""  # only a key the page was given names a member
    nothing = post(client, {}, do="code", code="4006381333931")
    assert nothing.status_code == 400 and "No product on sale" in nothing.get_data(as_text=True)


def test_wrong_money_is_a_clear_error_and_nothing_sold(client, session, counter):
    data = {"sku": counter.products[0].sku, "qty": "1"}
    for fields, message in (({"pay": "cash", "tendered": "100"}, "must cover"),
                            ({"pay": "split", "split_cash": "100"}, "short of"),
                            ({"pay": "split", "split_cash": "100", "split_card_terminal": "100"},
                             "more than"),
                            ({"pay": "cash", "tendered": "abc"}, "Enter an amount in yuan")):
        answer = post(client, data, **fields)
        assert answer.status_code == 400 and message in answer.get_data(as_text=True), fields
    assert session.execute(sa.select(sa.func.count(Order.id))).scalar_one() == 0


def test_only_staff_sell(client, session, counter):
    login(client, counter.admin)
    assert client.get("/desk/sell").status_code == 403
    login(client, counter.shopper)
    assert client.get("/desk/sell").status_code == 403


def test_an_anonymous_sale_is_claimed_once_within_30_days(client, session, counter,
                                                          make_user, clock):
    from storefront.counter.sales import sell_at_counter

    order = sell_at_counter(counter.store, counter.clerk,
                            [{"sku": counter.products[0].sku, "quantity": 1}],
                            payments=[{"method": "cash", "amount": 12800}])
    late = sell_at_counter(counter.store, counter.clerk,
                           [{"sku": counter.products[0].sku, "quantity": 1}],
                           payments=[{"method": "wechat_scan", "amount": 12800}])
    member = sign_up_member(counter.shopper, name="王丽", phone="13800000001")
    login(client, counter.clerk)
    receipt = client.get(f"/desk/sales/{order.public_id}").get_data(as_text=True)
    assert "within 30 days" in receipt
    login(client, counter.shopper)
    page = client.get(f"/account/receipts/{order.public_id}")
    assert page.status_code == 200 and "Add to my account" in page.get_data(as_text=True)
    assert client.post(f"/account/receipts/{order.public_id}").status_code == 302
    session.expire_all()
    assert session.get(Order, order.id).user_id == counter.shopper.id
    assert session.get(type(member), member.id).points == 128
    # the e-receipt follows the claim, to the member's phone, once
    sent = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "receipt")).scalars().all()
    assert [(m.channel, m.to, m.user_id) for m in sent] == [
        ("sms", "13800000001", counter.shopper.id)]
    assert order.number in sent[0].body
    other = make_user()
    login(client, other)
    again = client.post(f"/account/receipts/{order.public_id}")
    assert again.status_code == 409 and "already belongs" in again.get_data(as_text=True)
    clock.shift(timedelta(days=31))
    expired = client.post(f"/account/receipts/{late.public_id}")
    assert expired.status_code == 409 and "within 30 days" in expired.get_data(as_text=True)
    assert client.get("/account/receipts/nothing-here").status_code == 404


def test_goods_come_back_from_the_receipt_page(client, session, counter):
    from storefront.counter.sales import sell_at_counter
    from storefront.payments.models import Refund

    order = sell_at_counter(counter.store, counter.clerk,
                            [{"sku": counter.products[0].sku, "quantity": 2}],
                            payments=[{"method": "card_terminal", "amount": 25600}])
    session.commit()
    line = order.lines[0]
    page = client.get(f"/desk/sales/{order.public_id}").get_data(as_text=True)
    assert f'name="back-{line.id}"' in page
    bad = client.post(f"/desk/sales/{order.public_id}/return", data={f"back-{line.id}": "3",
                                                                    "reason": "x"})
    assert bad.status_code == 400 and "can still come back" in bad.get_data(as_text=True)
    done = client.post(f"/desk/sales/{order.public_id}/return",
                       data={f"back-{line.id}": "1", "reason": "罐子压瘪"})
    assert done.status_code == 302
    [refund] = session.execute(sa.select(Refund)).scalars()
    assert refund.amount == 12800
    text = client.get(f"/desk/sales/{order.public_id}").get_data(as_text=True)
    assert "Card terminal" in text and "−¥128.00" in text
    login(client, counter.admin)  # the back office's order page says how it went back
    admin = client.get(f"/admin/orders/{order.public_id}").get_data(as_text=True)
    assert re.findall(r'data-testid="refund-method">([^<]*)<', admin) == ["card terminal"]


def test_the_store_lacks_it_so_the_hub_delivers(client, session, counter, stock):
    stock(counter.store, counter.products[2], 0)
    session.commit()
    data = {"sku": counter.products[2].sku, "qty": "1"}
    html = post(client, data).get_data(as_text=True)
    assert "0 in store" in html
    address = {"address_name": "王女士", "address_phone": "13812345678",
               "address_province": "上海市", "address_city": "上海市",
               "address_district": "徐汇区", "address_street": "漕溪北路 88 号"}
    bad = post(client, data, pay="card_terminal", deliver="delivery",
               **{**address, "address_phone": ""})
    assert bad.status_code == 400
    done = post(client, data, pay="card_terminal", deliver="delivery", **address)
    assert done.status_code == 302
    order = session.execute(sa.select(Order).where(Order.channel == "store")).scalar_one()
    assert (order.center_id, order.fulfillment_method) == (counter.hub.id, "delivery")
    receipt = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="receipt-sender"' in receipt and counter.store.name_en in receipt
    assert counter.hub.name_en in receipt


def test_the_store_lacks_it_so_a_transfer_brings_it(client, session, counter, stock):
    from fulfillment import transfers
    from fulfillment.models import Transfer

    stock(counter.store, counter.products[2], 0)
    session.commit()
    data = {"sku": counter.products[2].sku, "qty": "1"}
    page = post(client, data).get_data(as_text=True)
    assert 'value="transfer"' in page
    bad = post(client, data, pay="cash", deliver="transfer")
    assert bad.status_code == 400 and "A phone number" in bad.get_data(as_text=True)
    done = post(client, data, pay="wechat_scan", deliver="transfer",
                address_name="陈先生", address_phone="13900000002")
    assert done.status_code == 302
    order = session.execute(sa.select(Order).where(Order.channel == "store")).scalar_one()
    assert (order.center_id, order.fulfillment.status, order.payment_method) == (
        counter.store.id, "transferring", "wechat_scan")
    receipt = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="receipt-transfer"' in receipt
    queue = client.get("/desk").get_data(as_text=True)
    assert order.number in queue and "Awaiting transfer" in queue
    transfer = session.execute(sa.select(Transfer)).scalar_one()
    source_clerk = counter.far_clerk if transfer.from_center_id == counter.far_store.id \
        else counter.hub_clerk
    login(client, source_clerk)
    listing = client.get("/desk/transfers").get_data(as_text=True)
    assert 'data-testid="transfer-order"' in listing
    assert f"/desk/transfers/{transfer.id}/cancel" not in listing  # held for a paid sale
    assert f"/desk/transfers/{transfer.id}/ship" in listing
    transfers.ship_transfer(transfer, source_clerk)
    transfers.receive_transfer(transfer, counter.clerk)
    session.commit()
    f = session.get(Order, order.id).fulfillment
    assert f.status == "ready"
    sms = session.execute(sa.select(OutboxMessage.to).where(
        OutboxMessage.kind == "ready_for_pickup")).scalars().all()
    assert sms == ["13900000002"]
    login(client, counter.clerk)  # the customer shows the code at this store's desk
    handed = client.post(f"/desk/fulfillments/{f.id}/handover", data={"code": f.pickup_code})
    assert handed.status_code == 302
    session.expire_all()
    assert session.get(Order, order.id).status == "fulfilled"


def test_a_claimed_sale_mails_its_receipt_to_a_shopper_without_a_phone(session, counter,
                                                                        make_user):
    from storefront.counter.claims import claim_sale
    from storefront.counter.sales import sell_at_counter

    order = sell_at_counter(counter.store, counter.clerk,
                            [{"sku": counter.products[0].sku, "quantity": 1}],
                            payments=[{"method": "alipay_scan"}])
    assert session.execute(sa.select(sa.func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "receipt")).scalar_one() == 0  # nobody to send it to yet
    shopper = make_user(email="claimer@example.com")
    shopper.phone = None
    claim_sale(order, shopper)
    [mail] = session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "receipt")).scalars()
    assert (mail.channel, mail.to) == ("email", "claimer@example.com")
