"""What the follow-up rules' messages say when a rule has no script of its own: a reorder
reminder, a birthday card, a baby's birthday card, and the sentence about the baby's age
they and the call scripts tell. The planning renders them in SQL (``planning``), a single
contact renders them here; both in the shop's language."""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from crm.customers.models import Customer

from .models import FollowUpKind

#: a child this many months old or more is past the baby years (no age in the scripts)
BABY_MONTHS = 36


def baby_note(months, *, question: bool = False, count: int | None = None) -> str:
    """" Your baby is 6 months old now." (with a question for a call), or "" when the age
    is unknown or the child is past the baby years. ``months`` may be a marker (SQL), with
    ``count`` choosing the plural form."""
    if months is None:
        return ""
    if isinstance(months, int) and not 0 <= months < BABY_MONTHS:
        return ""
    count = months if count is None else count
    if question:
        return " " + ngettext(
            "Your baby is %(months)s month old now: is there anything we can help with at "
            "this stage?", "Your baby is %(months)s months old now: is there anything we can "
            "help with at this stage?", count, months=months)
    return " " + ngettext("Your baby is %(months)s month old now.",
                          "Your baby is %(months)s months old now.", count, months=months)


def default_message(kind: str, customer: Customer, products: str, baby: str = ""
                    ) -> tuple[str, str]:
    """The subject and body of a rule's message without a script of its own; ``baby`` is
    the baby's age note (``baby_note``), told in a reorder reminder and a baby's card."""
    shop = current_app.config["SHOP_NAME"]
    if kind == FollowUpKind.REORDER:
        return (_("[%(shop)s] Time to restock", shop=shop),
                _("%(name)s, the %(products)s you bought should be running low in a few days. "
                  "Reply or order online to have the next one ready.", name=customer.name,
                  products=products) + baby)
    if kind == FollowUpKind.BABY_BIRTHDAY:
        return (_("[%(shop)s] Happy birthday to your little one", shop=shop),
                _("%(name)s, happy birthday to your baby from all of us! A small gift waits "
                  "for you at your next visit.", name=customer.name) + baby)
    return (_("[%(shop)s] Happy birthday", shop=shop),
            _("%(name)s, happy birthday from all of us! A small birthday gift waits for you "
              "at your next visit.", name=customer.name))
