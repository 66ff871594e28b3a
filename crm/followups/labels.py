"""The words for a follow-up's codes: its kind and state, a call's outcome, and when it is
due on the queue."""

from flask_babel import lazy_gettext as _l

from .models import FollowUpKind, FollowUpStatus

KIND_LABELS = {
    FollowUpKind.SATISFACTION: _l("Satisfaction call"),
    FollowUpKind.REORDER: _l("Reorder reminder"),
    FollowUpKind.WELCOME: _l("Welcome pack"), FollowUpKind.BIRTHDAY: _l("Birthday greeting"),
    FollowUpKind.WINBACK: _l("Win-back call"), FollowUpKind.COMPLAINT: _l("Complaint follow-up"),
    FollowUpKind.BABY_BIRTHDAY: _l("Baby's birthday"), FollowUpKind.APOLOGY: _l("Apology call"),
    FollowUpKind.NO_SHOW: _l("Uncollected pickup"), FollowUpKind.NEXT_ACTION: _l("Next action"),
    FollowUpKind.RECALL: _l("Recall call"), FollowUpKind.CAMPAIGN: _l("Campaign call"),
}
FOLLOWUP_STATUS_LABELS = {
    FollowUpStatus.OPEN: _l("Open"), FollowUpStatus.DONE: _l("Done"),
    FollowUpStatus.UNREACHED: _l("Unreached"), FollowUpStatus.CANCELLED: _l("Cancelled"),
}
#: how a call went (``queue.OUTCOMES``)
OUTCOME_LABELS = {
    "reached": _l("Reached the customer"),
    "unreached": _l("No answer (try again later)"),
    "wrong_number": _l("Wrong number"),
    "declined": _l("Customer declined to talk"),
}
#: the queue's groups by when a follow-up is due
WHEN_LABELS = {"overdue": _l("Overdue"), "today": _l("Later today"),
               "week": _l("Coming up this week")}
