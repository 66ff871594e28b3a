"""The words the member area uses for a member's points lines and event registrations."""

from flask_babel import lazy_gettext as _l

from storefront.loyalty.models import PointsKind

from .models import RegistrationStatus

POINTS_KIND_LABELS = {
    PointsKind.EARNED: _l("Earned on an order"), PointsKind.REDEEMED: _l("Spent at checkout"),
    PointsKind.EXPIRED: _l("Expired"), PointsKind.REVERSED: _l("Reversed (refund or cancellation)"),
    PointsKind.ADJUSTED: _l("Adjusted by our customer center"),
}
REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.REGISTERED: _l("Registered"),
    RegistrationStatus.WAITLISTED: _l("On the waitlist"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
}
