"""Who is asking: Flask-Login sessions for pages, bearer tokens for the API, and roles."""

from functools import wraps

from flask import g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .errors import Forbidden, Unauthorized
from .extensions import login_manager
from .models import ApiToken, User
from .sessions import user_holding, user_of_session


@login_manager.user_loader
def _load_user(session_token: str):
    return user_of_session(session_token)


login_manager.login_view = "storefront.login"
login_manager.login_message = _l("Please sign in to continue.")
login_manager.login_message_category = "info"


def roles_required(*roles: str):
    """Page guard: anonymous -> the sign-in page; signed in without the role -> 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def bearer_token() -> str | None:
    """The token of the ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def bearer_user() -> User | None:
    """The user of a valid ``Authorization: Bearer`` token, or None."""
    token = bearer_token()
    return token_user(token) if token else None


def token_user(plain: str) -> User | None:
    """The active user a valid, unexpired token belongs to, or None."""
    return user_holding(ApiToken.__table__, ApiToken.hash(plain))


def api_auth(*roles: str, optional: bool = False):
    """API guard: no or bad token -> 401; a token without one of ``roles`` -> 403.

    The user is in ``g.api_user``. With ``optional`` anonymous callers pass with None.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = bearer_user()
            if user is None and not optional:
                raise Unauthorized(_l("A valid bearer token is required."))
            if user is not None and roles and user.role not in roles:
                raise Forbidden()
            g.api_user = user
            return view(*args, **kwargs)

        wrapped.api_roles = roles
        wrapped.api_auth = not optional
        return wrapped

    return decorator
