"""The words for a complaint's codes (its state, category, severity, channel and remedy),
the steps an agent can take, and a recall call's progress, as the customer center shows them."""

from flask_babel import lazy_gettext as _l

from .models import Category, ComplaintChannel, ComplaintStatus, Remedy, Severity

CATEGORY_LABELS = {
    Category.QUALITY: _l("Quality"), Category.DELIVERY: _l("Delivery"),
    Category.SERVICE: _l("Service"), Category.PRICE: _l("Price"), Category.OTHER: _l("Other"),
}
SEVERITY_LABELS = {Severity.LOW: _l("Low"), Severity.MEDIUM: _l("Medium"),
                   Severity.HIGH: _l("High")}
CHANNEL_LABELS = {
    ComplaintChannel.HOTLINE: _l("Hotline"), ComplaintChannel.STORE: _l("In a store"),
    ComplaintChannel.ONLINE: _l("Online"), ComplaintChannel.FOLLOWUP: _l("On a follow-up call"),
}
REMEDY_LABELS = {Remedy.REFUND: _l("Refund"), Remedy.REPLACEMENT: _l("Replacement"),
                 Remedy.COUPON: _l("Coupon"), Remedy.APOLOGY: _l("Apology")}
#: how each state reads on a page (the log, and an order's refund request)
STATUS_LABELS = {
    ComplaintStatus.OPEN: _l("Open"), ComplaintStatus.ACKNOWLEDGED: _l("Acknowledged"),
    ComplaintStatus.INVESTIGATING: _l("Investigating"),
    ComplaintStatus.RESOLVED: _l("Resolved"), ComplaintStatus.CLOSED: _l("Closed"),
}
#: the step that moves a complaint into a state, on the button that takes it
STEP_LABELS = {
    ComplaintStatus.ACKNOWLEDGED: _l("Acknowledge"),
    ComplaintStatus.INVESTIGATING: _l("Investigate (or reopen)"),
    ComplaintStatus.RESOLVED: _l("Resolve"),
    ComplaintStatus.CLOSED: _l("Close"),
}
#: how far a recall's call got
PROGRESS_LABELS = {"reached": _l("Reached"), "not_reached": _l("Not reached"),
                   "pending": _l("Pending")}


def complaint_labels() -> dict:
    """The words for a complaint's codes, as its pages show them."""
    return {"status": STATUS_LABELS, "category": CATEGORY_LABELS,
            "severity": SEVERITY_LABELS, "channel": CHANNEL_LABELS, "remedy": REMEDY_LABELS}
