"""What a request may carry at all: one check at the edge, before any view runs.

Every value a person or a program sends, in the path, the query string, a header, a form or
a JSON body, is looked at here once. What no person types and no column holds (a NUL or
another control character, half of a UTF-16 surrogate pair, an id past its column, a number
past 64 bits, JSON nested deeper than any body of the API) is refused with the answer any
invalid field gets: ``400 validation_error`` naming the field (an error page for the HTML
side), and an address no page can have is simply not found. So views, schemas and services
never meet such a value, the database never fails on one, and a request refused here
changes nothing.

Free text in a body (a form's text area, a JSON string) may hold a tab, a newline or a
carriage return; nothing else below U+0020 is accepted anywhere.

A body whose sender signs it (Stripe's webhook, ``signed_body``) is taken as it was signed:
its bytes are the signature's, and a description with a form feed in it is still Stripe's
event, to be applied, not refused (and then sent again for days). Its path and headers are
checked like any other.

What only a field knows is checked where the field is read, by the same rules: ``<int:...>``
in a route is ``IdConverter``; ``request.args.get(name, type=int)`` (and ``request.form``,
``request.values``) reads a whole number within a column's range or gives the default;
``whole_number`` and ``id_or_none`` parse a number typed anywhere else, and the forms'
``core.forms.IntegerField`` keeps to the same range.
"""

import math
import re

from flask import Request, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.routing import ValidationError as NoMatch
from werkzeug.utils import cached_property

from .errors import NotFound, ValidationFailed

#: the largest id a database integer column holds (PostgreSQL's ``integer``): bigger ids
#: cannot exist, so an address or a query naming one is answered before the database is asked
MAX_ID = 2**31 - 1
#: the widest whole number a JSON body may carry anywhere (a ``bigint``)
MAX_JSON_INTEGER = 2**63 - 1
#: the API's own bodies nest three levels deep, a Stripe event about ten: room for both
MAX_JSON_DEPTH = 32

#: a line (a path, a query value): no control character (C0, DEL, C1) and no lone surrogate
_NOT_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: free text (a form or JSON body): the same, but tab, newline and carriage return are fine
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: a header value (read as Latin-1 by WSGI, so bytes of UTF-8 text look like C1): C0 but tab, DEL
_NOT_IN_HEADER = re.compile("[\x00-\x08\x0a-\x1f\x7f]")

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

CONTROL_MESSAGE = _l("May not contain control characters.")
TOO_DEEP_MESSAGE = _l("Nested too deeply.")
NUMBER_RANGE_MESSAGE = _l("Number out of range.")
NOT_A_NUMBER_MESSAGE = _l("Not a valid number.")


class IdConverter(IntegerConverter):
    """``<int:...>`` in a route: a database id, 1 to ``MAX_ID``. Anything else does not match,
    so the address is not found (404), and a 30-digit id never reaches the database."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(self.max)):  # before int(): 5,000 digits cost more than a no
            raise NoMatch()
        return super().to_python(value)


def is_plain_line(text: str) -> bool:
    """Whether ``text`` holds no character this edge refuses in one line of text (for what
    arrives other than in a request's fields: a cell of an uploaded sheet)."""
    return _NOT_IN_LINE.search(text) is None


def whole_number(text: str) -> int:
    """``int(text)`` for an id, a page or a count read from a query or a form: a
    ``ValueError``, like any text that is not a number, past what a column holds."""
    number = int(text)
    if not -MAX_ID <= number <= MAX_ID:
        raise ValueError("out of range")
    return number


def id_or_none(text: str | None) -> int | None:
    """The id ``text`` names when it is one (ASCII digits, 1 to ``MAX_ID``), else None: for
    a field that takes an id or something else (a lot's id or its batch number)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def _bounded(type_):
    return whole_number if type_ is int else type_


class Parameters(ImmutableMultiDict):
    """``request.args`` and ``request.form``: ``get(..., type=int)`` reads a whole number
    within what a column holds (``whole_number``), else gives the default, as werkzeug does
    for any value its type refuses. Views keep writing ``type=int``."""

    def get(self, key, default=None, type=None):
        return super().get(key, default, _bounded(type))

    def getlist(self, key, type=None):
        return super().getlist(key, _bounded(type))


class CombinedParameters(CombinedMultiDict):
    """``request.values``, bounded as ``Parameters``."""

    def get(self, key, default=None, type=None):
        return super().get(key, default, _bounded(type))

    def getlist(self, key, type=None):
        return super().getlist(key, _bounded(type))


class ShopRequest(Request):
    parameter_storage_class = Parameters

    @cached_property
    def values(self) -> CombinedParameters:
        sources = [self.args]
        if self.method != "GET":
            sources.append(self.form)
        return CombinedParameters([s if isinstance(s, MultiDict) else MultiDict(s)
                                   for s in sources])


class ShopJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading a body nested past the interpreter's depth as invalid JSON (a
    ``ValueError``: ``get_json(silent=True)`` gives None, else a 400) instead of failing."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _json_errors(data) -> dict:
    """The flaws of a parsed JSON body, by field path (nested like marshmallow's errors)."""
    errors: dict = {}
    stack = [((), data, 1)]
    while stack:
        path, value, depth = stack.pop()
        message = None
        if depth > MAX_JSON_DEPTH:
            message = TOO_DEEP_MESSAGE
        elif isinstance(value, dict):
            for key, item in value.items():
                if _NOT_IN_LINE.search(key):
                    _place(errors, path + ("_keys",), CONTROL_MESSAGE)
                else:
                    stack.append((path + (key,), item, depth + 1))
        elif isinstance(value, list):
            stack.extend((path + (str(i),), item, depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str):
            message = CONTROL_MESSAGE if _NOT_IN_TEXT.search(value) else None
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int):
            message = NUMBER_RANGE_MESSAGE if abs(value) > MAX_JSON_INTEGER else None
        elif isinstance(value, float):
            message = None if math.isfinite(value) else NOT_A_NUMBER_MESSAGE
        if message is not None:
            _place(errors, path, message)
    return errors


def _place(errors: dict, path: tuple, message) -> None:
    *parents, last = path or ("_body",)
    for key in parents:
        child = errors.setdefault(key, {})
        if not isinstance(child, dict):  # a field with its own message already
            return
        errors = child
    messages = errors.setdefault(last, [])
    if isinstance(messages, list) and str(message) not in messages:
        messages.append(str(message))


def _pairs_errors(pairs, pattern: re.Pattern, unnamed: str) -> dict:
    pairs = list(pairs)
    # one search over them all first (a space is no character any pattern refuses): a
    # request's headers and query are nearly always clean
    if not pattern.search(" ".join(text for pair in pairs for text in pair)):
        return {}
    errors: dict = {}
    for key, value in pairs:
        if pattern.search(key) or pattern.search(value):
            name = unnamed if _NOT_IN_LINE.search(key) else key
            errors[name] = [str(CONTROL_MESSAGE)]
    return errors


def signed_body(view):
    """Mark a view whose body its sender signs: the edge leaves the body to the signature."""
    view.signed_body = True
    return view


def check_request() -> None:
    """The before-request hook: refuse what no field may hold (see the module's docstring)."""
    if _NOT_IN_LINE.search(request.path):
        raise NotFound()
    errors = _pairs_errors(request.args.items(multi=True), _NOT_IN_LINE, "_query")
    errors.update(_pairs_errors(request.headers.items(), _NOT_IN_HEADER, "_headers"))
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "signed_body", False):
        pass
    elif request.mimetype in _FORM_TYPES:
        errors.update(_pairs_errors(request.form.items(multi=True), _NOT_IN_TEXT, "_form"))
    elif request.is_json and request.content_length != 0:
        data = request.get_json(silent=True)  # parsed once: the view reads the cached body
        if data is not None:
            errors.update(_json_errors(data))
    if errors:
        raise ValidationFailed(errors=errors)


def register_inputs(app) -> None:
    """Before the blueprints: their routes' ``<int:...>`` must be built by ``IdConverter``."""
    app.request_class = ShopRequest
    app.json = ShopJSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_request)
