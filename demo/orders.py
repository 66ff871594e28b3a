"""The demo's orders: what a household of each persona buys, each order with its lines and
its fulfillment as far along as time has taken it, and the satisfaction call the customer
center plans after a hand-over. A part of ``DemoShop``."""

from datetime import date, datetime, timedelta
from types import SimpleNamespace

from flask import current_app

from core.models import random_token
from crm.followups.models import FollowUpKind, FollowUpStatus
from fulfillment.models import FulfillmentStatus, Method
from fulfillment.services import CODE_ALPHABET, CODE_LENGTH
from storefront.models import OrderStatus, PaymentMethod

from .bulk import Batch
from .data import (
    GIFTER,
    LUKEWARM_NOTES,
    ONCE,
    ORDER_NOTES,
    PARENT,
    SATISFIED_NOTES,
    SH,
    UNHAPPY_NOTES,
)


class Orders:
    """Orders, fulfillments and satisfaction calls (a part of ``DemoShop``)."""

    def _lines(self, persona: str, created: datetime, baby: date | None, line: str):
        """(product, quantity) pairs a household of this persona buys at ``created``."""
        rng = self.rng
        if persona == PARENT and baby is not None:
            age = (created.astimezone(self.zone).date() - baby).days
            if 0 <= age <= 36 * 30:
                stage = 1 if age < 183 else 2 if age < 365 else 3
                lines = [(self.formula[(line, stage)], rng.choice([2, 3, 3, 4, 6]))]
                if rng.random() < 0.12:
                    lines.append((rng.choice(self.sea[2:]), 1))  # for the mother's recovery
                return lines
        if persona == GIFTER or (persona == ONCE and rng.random() < 0.4):
            if rng.random() < 0.7:
                return [(rng.choices(self.gifts, [30, 20, 35, 15])[0],
                         rng.choices([1, 2, 3, 4, 6], [45, 25, 12, 10, 8])[0])]
            return [(rng.choice(self.sea[:2]), rng.choice([1, 1, 2]))]
        picks = rng.sample(self.sea[1:], rng.choice([1, 1, 1, 2]))
        return [(p, rng.choice([1, 1, 2, 3])) for p in picks]

    def _order(self, batch: Batch, hh: SimpleNamespace, created: datetime,
               today: tuple[str, bool] | None) -> dict:
        """One order with its lines and its fulfillment, as far along as time has taken it."""
        rng, persona, home = self.rng, hh.persona, hh.home
        if today:
            center = self.centers[today[0]]
            method = (Method.PICKUP if not center.is_delivery else Method.DELIVERY
                      if not center.is_pickup else rng.choice(Method.SLOT_KINDS))
        else:
            method = Method.PICKUP if rng.random() < hh.pickup_share else Method.DELIVERY
            if hh.city == SH:
                center = self.centers["SH-JA" if method == Method.PICKUP else "SH-XH"]
            elif method == Method.DELIVERY or home["district"] in ("滨江区", "萧山区"):
                center = self.centers["HZ-BJ"]
            else:
                center = self.centers["HZ-XH"]
        is_member = hh.member is not None and hh.member.joined <= created
        priced = []
        for product, qty in self._lines(persona, created, hh.baby, hh.line):
            use_member = is_member and product.member is not None
            price = product.member if use_member else product.price
            priced.append((product, qty, price, use_member))
        total = sum(price * qty for _, qty, price, _ in priced)

        st = self._lifecycle(created, method, today)
        status = {FulfillmentStatus.PICKED_UP: OrderStatus.FULFILLED,
                  FulfillmentStatus.DELIVERED: OrderStatus.FULFILLED,
                  FulfillmentStatus.CANCELLED: OrderStatus.CANCELLED}.get(
                      st["status"], OrderStatus.CONFIRMED)
        done = status == OrderStatus.FULFILLED
        order_id, fulfillment_id = self._take("orders"), self._take("fulfillments")
        if method == Method.DELIVERY:
            address = dict(home)
            if persona == GIFTER and rng.random() < 0.4:  # sent to someone else
                other, _, _ = self._name(rng.random() < 0.5)
                address.update(name=other, phone=self._phone())
            contact = (address["name"], address["phone"])
        else:
            address = None
            contact = (home["name"], home["phone"])
        local_day = created.astimezone(self.zone).strftime("%Y%m%d")
        order = batch.add(
            "orders", id=order_id, public_id=random_token(),
            number=f"SH-{local_day}-{order_id:04d}", user_id=hh.user_id, status=status,
            currency="CNY", subtotal_amount=total,
            delivery_fee_amount=0, total_amount=total, paid_amount=total if done else 0,
            payment_method=(PaymentMethod.PAY_AT_PICKUP if method == Method.PICKUP
                            else PaymentMethod.CASH_ON_DELIVERY),
            fulfillment_method=method, center_id=center.id, contact_name=contact[0],
            contact_phone=contact[1],
            note=rng.choice(ORDER_NOTES) if rng.random() < 0.08 else None, created_at=created,
            paid_at=st["completed_at"] if done else None,
            fulfilled_at=st["completed_at"] if done else None,
            cancelled_at=st["cancelled_at"])
        clerk = self.clerks[center.code].id
        batch.add("fulfillments", id=fulfillment_id, order_id=order_id, center_id=center.id,
                  method=method, status=st["status"], pickup_code=st["code"],
                  contact_name=contact[0], contact_phone=contact[1], address=address,
                  courier_id=clerk if st["dispatched_at"] else None, created_at=created,
                  ready_at=st["ready_at"], dispatched_at=st["dispatched_at"],
                  completed_at=st["completed_at"], cancelled_at=st["cancelled_at"],
                  handed_over_by_id=clerk if done else None)
        is_open = st["status"] in FulfillmentStatus.OPEN
        for product, qty, price, use_member in priced:
            names = {"product_id": product.id, "sku": product.sku, "name_zh": product.name_zh,
                     "name_en": product.name_en, "quantity": qty}
            batch.add("order_lines", order_id=order_id, unit_price_amount=price,
                      line_total_amount=price * qty, member_price=use_member, **names)
            batch.add("fulfillment_lines", fulfillment_id=fulfillment_id, **names)
            if is_open:
                key = (center.id, product.id)
                self.reserved[key] = self.reserved.get(key, 0) + qty
        if is_open:
            self.open_by_center[center.code] = self.open_by_center.get(center.code, 0) + 1
        if done and st["completed_at"] >= self.now - timedelta(days=30):
            self._satisfaction_call(batch, hh.customer_id, order_id, st["completed_at"])
        return order

    def _lifecycle(self, created: datetime, method: str, today: tuple[str, bool] | None) -> dict:
        """Status and timestamps of a fulfillment as they stand now.

        Past orders run their course (most completed, a few cancelled); whatever has not
        happened by now is still open. An order of today is open more often than not.
        """
        rng, now, hour = self.rng, self.now, timedelta(hours=1)
        st = {"status": FulfillmentStatus.RESERVED, "code": None, "ready_at": None,
              "dispatched_at": None, "completed_at": None, "cancelled_at": None}
        if today:
            left = now - created
            target = (rng.choice(["open", "advanced"]) if today[1] else
                      rng.choices(["open", "advanced", "done", "cancelled"], [35, 35, 22, 8])[0])
            first = created + left * rng.uniform(0.2, 0.6)
            second = first + (now - first) * rng.uniform(0.3, 0.95)
        else:
            target = "cancelled" if rng.random() < 0.045 else "done"
            first = created + hour * rng.uniform(0.5, 4 if method == Method.PICKUP else 3)
            wait = rng.choices([(1, 8), (8, 30), (30, 72)], [60, 30, 10])[0]
            second = first + hour * (rng.uniform(*wait) if method == Method.PICKUP
                                     else rng.uniform(0.5, 4))
        if target == "cancelled":
            cancelled = created + (now - created) * rng.uniform(0.1, 0.9) if today \
                else created + hour * rng.uniform(0.2, 6)
            if cancelled <= now:
                st.update(status=FulfillmentStatus.CANCELLED, cancelled_at=cancelled)
            return st
        if target == "open" or first > now:
            return st
        if method == Method.PICKUP:
            st.update(status=FulfillmentStatus.READY, ready_at=first, code=self._pickup_code())
            if target != "advanced" and second <= now:
                st.update(status=FulfillmentStatus.PICKED_UP, completed_at=second)
        else:
            st.update(status=FulfillmentStatus.DISPATCHED, dispatched_at=first)
            if target != "advanced" and second <= now:
                st.update(status=FulfillmentStatus.DELIVERED, completed_at=second)
        return st

    def _pickup_code(self) -> str:
        while True:
            code = "".join(self.rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code

    def _satisfaction_call(self, batch, customer_id, order_id, completed_at) -> None:
        """The call crm schedules 3 days after a hand-over; older ones mostly made already."""
        rng, now = self.rng, self.now
        due = completed_at + timedelta(days=current_app.config["FOLLOWUP_SATISFACTION_DAYS"])
        row = {"customer_id": customer_id, "order_id": order_id,
               "kind": FollowUpKind.SATISFACTION, "reason": f"satisfaction:order:{order_id}",
               "channel": "phone", "due_at": due, "status": FollowUpStatus.OPEN, "attempts": 0,
               "outcome": None, "notes": None, "satisfaction": None, "completed_at": None,
               "completed_by_id": None, "created_at": completed_at}
        called = due + timedelta(hours=rng.uniform(1, 30))
        roll = rng.random()
        if called <= now and roll < 0.68:
            score = rng.choices([5, 4, 3, 2, 1], [55, 30, 10, 4, 1])[0]
            notes = rng.choice(SATISFIED_NOTES if score >= 4 else LUKEWARM_NOTES if score == 3
                               else UNHAPPY_NOTES)
            row.update(status=FollowUpStatus.DONE, attempts=1, outcome="reached",
                       satisfaction=score, completed_at=called, completed_by_id=self.agent.id,
                       notes=f"[{called.strftime('%Y-%m-%d %H:%M')}] {notes}")
        elif called + timedelta(days=2) <= now and roll < 0.76:
            row.update(status=FollowUpStatus.UNREACHED, attempts=3, outcome="unreached",
                       completed_at=called + timedelta(days=2), completed_by_id=self.agent.id)
        elif called <= now and roll < 0.85:
            # one unanswered call; the retry is due a day later
            row.update(attempts=1, outcome="unreached", due_at=called + timedelta(days=1))
        batch.add("followups", **row)
