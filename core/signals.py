"""Signals that carry news upward through the layers (crm -> storefront -> fulfillment -> core).

A receiver runs inside the sender's transaction: what it writes commits or rolls back
with the change that fired it. Slow work goes to the outbox, never inline.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the Fulfillment; a pickup order is packed and waits at the desk
fulfillment_ready = _signals.signal("fulfillment-ready")
#: sender: the Fulfillment; handed over at the desk or delivered to the door. kwargs:
#: ``collected`` (optional): ``{"method": "cash" | "card_terminal" | "wechat_scan" |
#: "alipay_scan", "amount": fen}``, what the clerk or courier took for an offline order
fulfillment_completed = _signals.signal("fulfillment-completed")
#: sender: the Fulfillment; part of a pickup left with the shopper, the rest stays reserved.
#: kwargs: ``lines`` (``{fulfillment line id: units}``), ``actor_id``, ``collected``
#: (optional, as for ``fulfillment_completed``: what the clerk took for that part)
fulfillment_part_collected = _signals.signal("fulfillment-part-collected")
#: sender: the Fulfillment; cancelled and its reservation released
fulfillment_cancelled = _signals.signal("fulfillment-cancelled")
#: sender: the Order, just placed (stock reserved)
order_placed = _signals.signal("order-placed")
#: sender: the Order, paid online
order_paid = _signals.signal("order-paid")
#: sender: the Order, cancelled. kwargs: ``expired`` (bool, unpaid past its time),
#: ``reason`` (optional, e.g. "no_show": a pickup nobody collected)
order_cancelled = _signals.signal("order-cancelled")
#: sender: the Order, fulfilled (handed over or delivered)
order_fulfilled = _signals.signal("order-fulfilled")
#: sender: the Order, an anonymous sale at a store's counter that a shopper just claimed as
#: theirs (its ``user_id`` is now set): what an order earns its owner follows
order_claimed = _signals.signal("order-claimed")
#: sender: the Membership, new VIP
member_joined = _signals.signal("member-joined")
#: sender: the User, newly registered shopper
user_registered = _signals.signal("user-registered")
#: sender: the User; a contact was proven theirs (a code sent to the phone came back, a link
#: sent to the e-mail was opened). kwargs: ``channel`` ("phone" or "email"), ``value``
contact_verified = _signals.signal("contact-verified")
#: sender: the Order; money went back to the shopper. kwargs: ``refund`` (the Refund row),
#: ``amount`` (fen), ``full`` (bool), ``reason`` (str, e.g. "late_payment")
order_refunded = _signals.signal("order-refunded")
#: sender: the Fulfillment; a pickup nobody collected went back to stock after N days
fulfillment_no_show = _signals.signal("fulfillment-no-show")
#: sender: the Fulfillment; a delivery attempt failed. kwargs: ``reason``
delivery_failed = _signals.signal("delivery-failed")
#: sender: the Membership; its tier changed. kwargs: ``old``, ``new`` (tier codes)
member_tier_changed = _signals.signal("member-tier-changed")
#: sender: the Membership, just closed by the member (its own row already anonymized); the
#: listeners scrub the person from their own records. Orders stay for the books.
member_closed = _signals.signal("member-closed")
#: sender: the Center whose desk code box received a code. kwargs: ``code`` (as typed or
#: scanned). A receiver that knows this kind of code (a VIP card number) returns the address
#: of its page; the desk goes there instead of counting a wrong pickup code. Others return None.
desk_code_received = _signals.signal("desk-code-received")
