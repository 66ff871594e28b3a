"""One person, two profiles: finding them, and merging one into the other.

A prospect an agent entered and the profile of an account opened later with the same phone
or e-mail may be one person, or a stranger who typed someone else's e-mail. The account's
profile takes the prospect's history only when the account proves the contact
(``join_verified_prospects``, on ``contact_verified``), or when an agent merges them from the
360 (``merge_customers``). A merge moves every row that points at the absorbed profile (found
from the schema's foreign keys, so a table added later moves too), fills the kept profile's
empty fields, keeps both notes, records itself (``CustomerMerge``) and removes the absorbed
profile. Orders, coupons, points, the VIP membership and its event places belong to the
shop account (``users``), not to a profile: they follow the account's profile.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.clock import shop_zone, utcnow
from core.errors import Conflict, NotFound
from core.extensions import db
from core.models import User
from crm.followups.models import FollowUp, FollowUpStatus

from .erasure import is_erased
from .models import Customer, CustomerMerge
from .profiles import FIELD_LABELS, phone_forms, phone_key
from .services import (
    ensure_customer,
    prospects_matching,
    refresh_figures,
    verified_contacts,
)

#: the fields an empty one of the kept profile takes from the absorbed one
FILLED = ("phone", "email", "gender", "birthday", "city", "district", "address", "occupation",
          "interests", "preferred_channel", "preferred_time", "card_number")
#: the figures the bulk job keeps; they come along with a shop account
_FIGURES = ("r_score", "f_score", "m_score", "rfm_segment", "figures_at")
#: the words for the tables whose rows a merge moves (others show their table's name)
TABLE_LABELS = {
    "complaints": _l("Complaints"), "followups": _l("Follow-up calls and their notes"),
    "customer_children": _l("Children"), "customer_tags": _l("Tags"),
    "outbox_messages": _l("Messages"), "customer_access_log": _l("Access log lines"),
    "customer_merges": _l("Earlier merges"),
}
REASON_LABELS = {"agent": _l("merged by hand"),
                 "verified_email": _l("the account proved the e-mail"),
                 "verified_phone": _l("the account proved the phone")}
MATCH_LABELS = {"phone": _l("same phone"), "email": _l("same e-mail"),
                "name_city": _l("same name and city")}
MAX_DUPLICATES = 10


class CannotMerge(Conflict):
    code = "cannot_merge"
    message = _l("These two profiles cannot be merged.")


def _refusal(keep: Customer, absorb: Customer):
    if keep.id == absorb.id:
        return _l("A profile cannot be merged into itself.")
    if keep.user_id is not None and absorb.user_id is not None:
        return _l("Both profiles have a shop account: two accounts cannot be merged.")
    if is_erased(keep) or is_erased(absorb):
        return _l("One of these people closed their membership and was erased: their "
                  "profile cannot be merged.")
    return None


def refusal(keep: Customer, absorb: Customer) -> str | None:
    """Why ``absorb`` cannot be merged into ``keep``, or None."""
    reason = _refusal(keep, absorb)
    return str(reason) if reason is not None else None


def _references():
    """``[(table, column)]``: every column in the schema that names a customer."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == Customer.__tablename__ and fk.column.name == "id":
                found.append((table, fk.parent))
    return found


def _unique_partners(table, column) -> list[list]:
    """For each unique rule of ``table`` that holds ``column``: its other columns."""
    rules = [list(c.columns) for c in table.constraints
             if isinstance(c, sa.UniqueConstraint | sa.PrimaryKeyConstraint)]
    rules += [list(i.columns) for i in table.indexes if i.unique]
    if column.unique:
        rules.append([column])
    return [[c for c in cols if c.name != column.name] for cols in rules
            if any(c.name == column.name for c in cols)]


def _collisions(table, column, partners, keep_id: int, absorb_id: int):
    """Rows of ``absorb_id`` that the unique rule (``column`` + ``partners``) allows once per
    customer and ``keep_id`` already has."""
    other = table.alias()
    same = [other.c[column.name] == keep_id]
    same += [other.c[c.name] == table.c[c.name] for c in partners]
    return sa.and_(column == absorb_id, sa.exists().where(*same))


def rows_to_move(keep: Customer, absorb: Customer) -> tuple[dict[str, int], dict[str, int]]:
    """``({table: rows that would move}, {table: rows the kept profile has the like of})``
    for merging ``absorb`` into ``keep``."""
    moves, duplicates = {}, {}
    for table, column in _references():
        count = sa.select(sa.func.count()).select_from(table)
        n = db.session.execute(count.where(column == absorb.id)).scalar_one()
        twins = sum(db.session.execute(count.where(
            _collisions(table, column, partners, keep.id, absorb.id))).scalar_one()
            for partners in _unique_partners(table, column))
        if n - twins > 0:
            moves[table.name] = moves.get(table.name, 0) + n - twins
        if twins:
            duplicates[table.name] = duplicates.get(table.name, 0) + twins
    return moves, duplicates


def _cancel_twin_calls(keep_id: int, absorb_id: int, now) -> int:
    """Open calls of the absorbed profile for a recall or campaign the kept profile already
    has an open call for: one call is enough."""
    kept = sa.orm.aliased(FollowUp)
    twin = sa.exists().where(
        kept.customer_id == keep_id, kept.status == FollowUpStatus.OPEN,
        sa.or_(kept.recall_id == FollowUp.recall_id, kept.campaign_id == FollowUp.campaign_id))
    return db.session.execute(
        sa.update(FollowUp).where(FollowUp.customer_id == absorb_id,
                                  FollowUp.status == FollowUpStatus.OPEN, twin)
        .values(status=FollowUpStatus.CANCELLED, completed_at=now)
        .execution_options(synchronize_session=False)).rowcount


def _move_rows(keep_id: int, absorb_id: int) -> tuple[dict, dict]:
    """Point every row of ``absorb_id`` at ``keep_id``; a row a unique rule allows once per
    customer and the kept profile already has (a tag) is dropped. ``(moved, dropped)``."""
    moved, dropped = {}, {}
    for table, column in _references():
        for partners in _unique_partners(table, column):
            n = db.session.execute(sa.delete(table).where(
                _collisions(table, column, partners, keep_id, absorb_id))).rowcount
            if n:
                dropped[table.name] = dropped.get(table.name, 0) + n
        n = db.session.execute(sa.update(table).where(column == absorb_id)
                               .values({column.name: keep_id})).rowcount
        if n:
            moved[table.name] = moved.get(table.name, 0) + n
    return moved, dropped


def _lock_pair(keep: Customer, absorb: Customer) -> None:
    """Lock both rows (in id order) and read them afresh: two merges of one profile wait for
    each other, and the second finds it gone."""
    ids = sorted({keep.id, absorb.id})
    found = db.session.execute(sa.select(Customer.id).where(Customer.id.in_(ids))
                               .order_by(Customer.id).with_for_update()).scalars().all()
    if len(found) != len(ids):
        raise NotFound()
    for customer in {keep, absorb}:
        db.session.refresh(customer)


def _notes_block(keep: Customer, absorb: Customer, now) -> str:
    """What the absorbed profile said that the kept one does not: its name and contacts
    where they differ, and its notes."""
    header = [_("Merged from profile %(id)d on %(date)s", id=absorb.id,
                date=now.astimezone(shop_zone()).date().isoformat())]
    if absorb.name and absorb.name != keep.name:
        header.append(absorb.name)
    if absorb.phone and phone_key(absorb.phone) != phone_key(keep.phone):
        header.append(absorb.phone)
    if absorb.email and absorb.email.lower() != (keep.email or "").lower():
        header.append(absorb.email)
    block = " · ".join(header)
    return f"[{block}]\n{absorb.notes}" if absorb.notes else f"[{block}]"


def merge_customers(keep: Customer, absorb: Customer, *, actor: User | None,
                    reason: str = "agent") -> Customer:
    """Merge ``absorb`` into ``keep`` and remove it; returns ``keep``.

    Refused (``CannotMerge``, nothing written) for one profile twice, for two profiles that
    both have a shop account, and for an erased person. ``actor`` is the agent, or None when
    the account proved the contact (``reason`` ``verified_email`` / ``verified_phone``).
    """
    _lock_pair(keep, absorb)
    why = _refusal(keep, absorb)
    if why is not None:
        raise CannotMerge(why)
    now = utcnow()
    db.session.flush()
    twins = _cancel_twin_calls(keep.id, absorb.id, now)
    moved, dropped = _move_rows(keep.id, absorb.id)
    if twins:
        dropped["followups"] = twins
    db.session.expire_all()  # the rows moved under the ORM's feet

    account = absorb.user_id
    if account is not None:  # the shop account (orders, coupons, points) comes along
        absorb.user_id = None
        db.session.flush()
        keep.user_id = account
        for field in _FIGURES:
            setattr(keep, field, getattr(absorb, field))
    for field in FILLED:
        if not getattr(keep, field) and getattr(absorb, field):
            setattr(keep, field, getattr(absorb, field))
    block = _notes_block(keep, absorb, now)
    keep.notes = f"{keep.notes}\n\n{block}" if keep.notes else block
    # consent is never widened by a merge: marketing needs both, an opt-out of either stays
    keep.marketing_consent = bool(keep.marketing_consent and absorb.marketing_consent)
    keep.service_consent = bool(keep.service_consent and absorb.service_consent)
    keep.created_at = min(keep.created_at, absorb.created_at)
    db.session.add(CustomerMerge(
        customer_id=keep.id, absorbed_id=absorb.id, absorbed_user_id=account, reason=reason,
        moved=moved, duplicates=dropped, actor_id=actor.id if actor is not None else None,
        at=now))
    db.session.delete(absorb)
    db.session.flush()
    refresh_figures(keep, now)
    return keep


def merge_preview(keep: Customer, absorb: Customer) -> dict:
    """What merging ``absorb`` into ``keep`` would do, for the agent to confirm."""
    account_id = keep.user_id or absorb.user_id
    account = db.session.get(User, account_id) if account_id else None
    prospect = absorb if keep.user_id else keep
    unproven = False
    if account is not None and keep.user_id != absorb.user_id:
        proven = verified_contacts(account)
        unproven = not _proves(proven, prospect)
    moves, duplicates = rows_to_move(keep, absorb)
    return {
        "refusal": refusal(keep, absorb),
        "rows": [(TABLE_LABELS.get(t, t), n) for t, n in sorted(moves.items())],
        "duplicates": [(TABLE_LABELS.get(t, t), n) for t, n in sorted(duplicates.items())],
        "fills": [(FIELD_LABELS.get(f, f), getattr(absorb, f)) for f in FILLED
                  if not getattr(keep, f) and getattr(absorb, f)],
        "account_moves": absorb.user_id is not None and keep.user_id is None,
        "account": account, "unproven": unproven, "notes": bool(absorb.notes),
    }


def _proves(proven: dict, prospect: Customer) -> bool:
    phone = proven.get("phone")
    email = proven.get("email")
    return bool((phone and prospect.phone and phone_key(phone) == phone_key(prospect.phone))
                or (email and prospect.email and email.lower() == prospect.email.lower()))


def possible_duplicates(customer: Customer, *, limit: int = MAX_DUPLICATES) -> list[dict]:
    """Other profiles that may be the same person: the same phone (however written), the same
    e-mail (any case), or the same name in the same city. ``[{"customer", "matches",
    "refusal"}]``, oldest first."""
    conditions = []
    if customer.phone:
        conditions.append(Customer.phone.in_(phone_forms(customer.phone)))
    if customer.email:
        conditions.append(sa.func.lower(Customer.email) == customer.email.lower())
    if customer.name and customer.city:
        conditions.append(sa.and_(Customer.name == customer.name, Customer.city == customer.city))
    if not conditions:
        return []
    others = db.session.execute(
        sa.select(Customer).where(Customer.id != customer.id, sa.or_(*conditions))
        .order_by(Customer.id).limit(limit)).scalars().all()
    found = []
    for other in others:
        matches = []
        if customer.phone and other.phone and phone_key(other.phone) == phone_key(customer.phone):
            matches.append("phone")
        if customer.email and other.email and other.email.lower() == customer.email.lower():
            matches.append("email")
        if customer.city and (other.name, other.city) == (customer.name, customer.city):
            matches.append("name_city")
        found.append({"customer": other, "matches": matches,
                      "refusal": refusal(customer, other)})
    return found


def merge_history(customer: Customer) -> list[tuple[CustomerMerge, User | None]]:
    """The merges into ``customer``, newest first, with who made them (None: the account)."""
    return list(db.session.execute(
        sa.select(CustomerMerge, User).outerjoin(User, User.id == CustomerMerge.actor_id)
        .where(CustomerMerge.customer_id == customer.id)
        .order_by(CustomerMerge.at.desc(), CustomerMerge.id.desc())).all())


def join_verified_prospects(user: User, channel: str, value: str | None) -> Customer | None:
    """``user`` proved ``value`` (their phone or e-mail): the prospects with it join the
    account's profile (the first one becomes it when the account has none yet). Returns the
    account's profile, or None when nothing was joined."""
    if user.is_staff_member or channel not in ("phone", "email"):
        return None
    proven = verified_contacts(user).get(channel)
    if not proven or not value:
        return None
    same = (phone_key(proven) == phone_key(value) if channel == "phone"
            else proven.lower() == value.strip().lower())
    if not same:
        return None  # the account's contact changed since: prove the one it has
    prospects = prospects_matching(**{channel: proven})
    if not prospects:
        return None
    own = ensure_customer(user)
    for prospect in prospects:
        if prospect.id == own.id:
            continue
        try:
            merge_customers(own, prospect, actor=None, reason=f"verified_{channel}")
        except CannotMerge:
            continue  # an erased person's profile takes nobody in
    return own
