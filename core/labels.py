"""The words for the kernel's codes: the roles a user can hold."""

from flask_babel import lazy_gettext as _l

from .models import Role

ROLE_LABELS = {
    Role.CUSTOMER: _l("Customer"),
    Role.ADMIN: _l("Administrator"),
    Role.CRM: _l("Customer center agent"),
    Role.STAFF: _l("Store staff"),
}
