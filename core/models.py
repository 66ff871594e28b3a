"""Users, roles, API tokens, and the column types and CHECK helper every module uses.

A closed set of codes (the roles here; states, kinds and methods in each package's models) is
a ``StrEnum``: a member is its code, equal to it, formatted as it, and bound and serialized
as the plain string. Groups of codes (``Role.STAFF_MEMBERS``) sit beside the members as
``nonmember`` tuples, and ``one_of`` makes a set the table's ``CHECK (... IN (...))``.
"""

import hashlib
import secrets
from datetime import UTC, timedelta
from enum import StrEnum, nonmember

import sqlalchemy as sa
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from .clock import utcnow
from .extensions import db


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def filled_index(table: str, column: str) -> sa.Index:
    """``ix_<table>_<column>`` of the rows whose ``column`` is filled: for a column most rows
    leave empty (a key to a rare thing), so a new row of it writes no index entry; a look-up
    by a value (``column = x``, a foreign key's check) still uses it."""
    filled = sa.text(f"{column} IS NOT NULL")
    return sa.Index(f"ix_{table}_{column}", column, sqlite_where=filled,
                    postgresql_where=filled)


def one_of(column: str, values, *, name: str) -> sa.CheckConstraint:
    """A CHECK named ``name`` that ``column`` holds one of ``values`` (an enum, or some of its
    members), in the order given: ``column IN ('a', 'b')``, the SQL the migrations wrote."""
    codes = [str(value) for value in values]
    if not codes or any("'" in code for code in codes):
        raise ValueError(f"codes for a CHECK must be plain words: {codes}")
    listed = ", ".join(f"'{code}'" for code in codes)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name)


def random_token(nbytes: int = 12) -> str:
    """An unguessable URL-safe token, for ids the public sees."""
    return secrets.token_urlsafe(nbytes)


class Role(StrEnum):
    """The roles a user can hold; a shopper holds none of the staff roles."""

    CUSTOMER = "customer"
    ADMIN = "admin"
    CRM = "crm"
    STAFF = "staff"
    ALL = nonmember((CUSTOMER, ADMIN, CRM, STAFF))
    #: anyone who works for the brand
    STAFF_MEMBERS = nonmember((ADMIN, CRM, STAFF))


class User(UserMixin, db.Model):
    """An account: a shopper, or someone who works for the brand.

    A shopper may have signed up by phone and SMS code alone (no e-mail, no password yet).
    A contact counts as the account's own only once verified: a phone by a code sent to it,
    an e-mail by a link. Only a verified phone signs in, and no two accounts verify the same.
    """

    __tablename__ = "users"
    __table_args__ = (
        one_of("role", Role, name="role_known"),
        sa.CheckConstraint("role != 'staff' OR center_id IS NOT NULL", name="staff_has_center"),
        sa.CheckConstraint("email IS NOT NULL OR phone_verified_at IS NOT NULL",
                           name="can_sign_in"),
        sa.Index("uq_users_verified_phone", "phone", unique=True,
                 sqlite_where=sa.text("phone_verified_at IS NOT NULL"),
                 postgresql_where=sa.text("phone_verified_at IS NOT NULL")),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(254), unique=True)
    #: empty for an account opened by phone and code that has not chosen a password
    password_hash = sa.Column(sa.String(255))
    name = sa.Column(sa.String(100), nullable=False)
    phone = sa.Column(sa.String(32))
    #: when a code sent to ``phone`` came back: the phone then signs in and is the person's
    phone_verified_at = sa.Column(UTCDateTime)
    #: when a link sent to ``email`` was opened
    email_verified_at = sa.Column(UTCDateTime)
    role = sa.Column(sa.String(16), nullable=False, default=Role.CUSTOMER)
    #: the center a staff member works at; staff see only this center's work
    center_id = sa.Column(sa.Integer, sa.ForeignKey("centers.id"), index=True)
    locale = sa.Column(sa.String(8))
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    def set_password(self, password: str) -> None:
        """Hash and keep the password (Werkzeug's scrypt)."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """Whether ``password`` is this account's; always False while it has none. The hash is
        checked either way, so a wrong guess costs the same time with or without one."""
        if not self.password_hash:
            check_password_hash(dummy_password_hash(), password)
            return False
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the token of this browser's session (see
        ``UserSession``), so that ending the session on the server ends the cookie too."""
        token = getattr(self, "session_token", None)
        if not token:
            raise RuntimeError("sign the user in through core.sessions.sign_in")
        return token

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def is_staff_member(self) -> bool:
        """Anyone who works for the brand (not a shopper)."""
        return self.role in Role.STAFF_MEMBERS


def dummy_password_hash() -> str:
    """A scrypt hash of nothing anyone knows, checked when an account is unknown or has no
    password: a sign-in then takes about as long as with a real account."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = generate_password_hash(secrets.token_hex(16), method="scrypt")
    return _DUMMY_HASH


_DUMMY_HASH = None


class UserSession(db.Model):
    """A signed-in browser. The cookie carries a random token whose SHA-256 is stored here;
    signing out deletes the row, so a copy of the cookie stops working at once, and signing
    out everywhere (or a new password) deletes every row of the account."""

    __tablename__ = "user_sessions"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False)

    user = sa.orm.relationship(User)


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False)

    user = sa.orm.relationship(User)

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, days: int) -> tuple["ApiToken", str]:
        """Create a token for ``user``; returns the row and the plain token (shown once)."""
        plain = secrets.token_urlsafe(32)
        row = cls(user=user, token_hash=cls.hash(plain), expires_at=utcnow() + timedelta(days=days))
        db.session.add(row)
        db.session.flush()
        return row, plain

