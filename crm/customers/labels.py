"""The words for a customer's codes: the stage of the relationship, the RFM segment, and
what a profile records (gender, the channel and time they prefer, how they found us)."""

from flask_babel import lazy_gettext as _l

from .figures import Segment
from .models import Stage

STAGE_LABELS = {
    Stage.PROSPECT: _l("Prospect"), Stage.FIRST_TIME: _l("First-time buyer"),
    Stage.REPEAT: _l("Repeat buyer"), Stage.VIP: _l("VIP"), Stage.DORMANT: _l("Dormant"),
    Stage.LOST: _l("Lost"),
}
SEGMENT_LABELS = {
    Segment.CHAMPIONS: _l("Champions"), Segment.LOYAL: _l("Loyal"), Segment.NEW: _l("New"),
    Segment.PROMISING: _l("Promising"), Segment.NEED_ATTENTION: _l("Need attention"),
    Segment.AT_RISK: _l("At risk"), Segment.HIBERNATING: _l("Hibernating"),
    Segment.LOST: _l("Lost"),
}
GENDER_LABELS = {"female": _l("Female"), "male": _l("Male"), "other": _l("Other")}
CHANNEL_CHOICE_LABELS = {"phone": _l("Phone call"), "sms": _l("SMS"), "email": _l("E-mail"),
                         "wechat": _l("WeChat")}
TIME_LABELS = {"morning": _l("Morning"), "afternoon": _l("Afternoon"),
               "evening": _l("Evening"), "weekend": _l("Weekend")}
SOURCE_LABELS = {"web": _l("Web shop"), "store": _l("In a store"), "event": _l("At an event"),
                 "hotline": _l("Hotline"), "referral": _l("Recommended by a friend"),
                 "import": _l("Imported"), "agent": _l("Entered by an agent")}
