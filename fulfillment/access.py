"""Who may work a center's orders, and whether a fulfillment is in a state for a step: the
two checks every desk step starts with (``services``, ``pickup``, ``delivery``, ``courier``,
``lots``, ``transfers``, ``returns``). Below them all, so each can build on it."""

from flask_babel import lazy_gettext as _l

from core.errors import Forbidden, IllegalTransition, NotFound
from core.models import Role, User

from .labels import status_word
from .models import Fulfillment


def check_center_access(actor: User, center_id: int) -> None:
    """Admins reach every center; staff only their own (others' work does not exist for them)."""
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.STAFF and actor.center_id == center_id:
        return
    if actor.role == Role.STAFF:
        raise NotFound()
    raise Forbidden()


def require_state(f: Fulfillment, *, method: str | tuple[str, ...],
                  states: tuple[str, ...]) -> None:
    """``IllegalTransition`` unless ``f`` is of ``method`` (one or several) and in ``states``."""
    methods = (method,) if isinstance(method, str) else method
    if f.method not in methods or f.status not in states:
        raise IllegalTransition(
            _l("This order is %(status)s and cannot take this step.", status=status_word(f.status)),
            extra={"status": f.status},
        )
