"""Every string a person reads has its zh_CN translation."""

import re

import pytest
from babel.messages.pofile import read_po

from core.translations import TRANSLATIONS, source_messages, untranslated

#: ``%(name)s``, ``%(n)d``, ``%(price).2f`` ...: what ``gettext(..., **values)`` fills in
NAMED = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
#: ``{name}``: what ``str.format`` fills in
BRACED = re.compile(r"\{(\w+)\}")
#: an HTML start or end tag, e.g. ``<strong>`` or ``</a>`` (not a ``<this>`` in help text)
TAG = re.compile(r"</?(?:a|abbr|b|br|code|em|i|kbd|mark|p|small|span|strong|sub|sup|time|u)"
                 r"(?:\s[^<>]*)?/?>")


def _catalog(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def _entries(locale: str):
    """(msgids, msgstrs) of every entry, as tuples, whether it is a plural entry or not."""
    for m in _catalog(locale):
        if not m.id:
            continue
        ids = (m.id,) if isinstance(m.id, str) else tuple(m.id)
        strings = (m.string,) if isinstance(m.string, str) else tuple(m.string)
        yield ids, strings


def _placeholders(text: str) -> set[str]:
    return {f"%({n})" for n in NAMED.findall(text)} | {f"{{{n}}}" for n in BRACED.findall(text)}


def test_code_uses_translatable_strings():
    assert len(source_messages()) > 50


def test_zh_cn_catalogue_is_complete():
    missing = sorted(untranslated("zh_CN"))
    assert missing == [], f"{len(missing)} strings lack a zh_CN translation, e.g. {missing[:10]}"


def test_zh_cn_has_no_fuzzy_entries():
    fuzzy = [m.id for m in _catalog("zh_CN") if m.id and m.fuzzy]
    assert fuzzy == [], f"fuzzy entries are not shown to users: {fuzzy[:10]}"


def test_zh_cn_keeps_every_placeholder():
    """A msgstr shows every value its msgid shows, and asks for no value the code never gives."""
    lost, invented = [], []
    for ids, strings in _entries("zh_CN"):
        wanted = set().union(*(_placeholders(i) for i in ids))
        for s in strings:
            if not s:
                continue
            have = _placeholders(s)
            if wanted - have:
                lost.append((ids[0], sorted(wanted - have)))
            if have - wanted:
                invented.append((ids[0], sorted(have - wanted)))
    assert lost == [], f"zh_CN translations lose placeholders: {lost[:10]}"
    assert invented == [], (
        f"zh_CN translations use placeholders the code never fills: {invented[:10]}")


def test_zh_cn_translations_format_like_their_msgids():
    """Filling a msgstr with the msgid's values works: no stray ``%`` or wrong conversion."""
    broken = []
    for ids, strings in _entries("zh_CN"):
        names = {n for i in ids for n in NAMED.findall(i)}
        if not names:
            continue
        values = {n: 3 for n in names}
        for s in strings:
            if not s:
                continue
            try:
                s % values
            except (KeyError, ValueError, TypeError) as exc:
                broken.append((ids[0], repr(exc)))
    assert broken == [], f"zh_CN translations that cannot be formatted: {broken[:10]}"


def test_zh_cn_keeps_markup():
    """HTML in a msgid reaches the page as it is, so its translation keeps the same tags."""
    changed = [ids[0] for ids, strings in _entries("zh_CN")
               for s in strings
               if s and sorted(TAG.findall(ids[0])) != sorted(TAG.findall(s))]
    assert changed == [], f"zh_CN translations change the HTML of their msgid: {changed[:10]}"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_catalogue_holds_every_msgid_in_use(locale):
    held = {i for ids, _strings in _entries(locale) for i in ids}
    missing = sorted(source_messages() - held)
    assert missing == [], f"{locale} catalogue lacks {len(missing)} msgids, e.g. {missing[:10]}"


def test_en_catalogue_shows_the_english_msgids():
    """English is the source language: an en msgstr would only drift from the code."""
    filled = [ids[0] for ids, strings in _entries("en") if any(strings)]
    assert filled == [], f"en msgstrs should stay empty: {filled[:10]}"


def test_the_shop_speaks_its_default_locale(app):
    """The app finds the zh_CN catalogue for its default locale (Babel calls it zh_Hans_CN)."""
    from flask_babel import gettext, refresh

    with app.test_request_context("/"):
        refresh()
        assert gettext("Cart") == "购物车"
    with app.test_request_context("/?lang=en"):
        refresh()
        assert gettext("Cart") == "Cart"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_msgid_has_its_msgstr(locale):
    """Merging two branches that append the same entry can drop a ``msgstr`` line (the
    catalogues merge by union); gettext then reads the next entry's text as this one's."""
    lines = (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").read_text(
        encoding="utf-8").split("\n")
    orphans = []
    for i, line in enumerate(lines):
        if not line.startswith("msgid "):
            continue
        j = i + 1
        while j < len(lines) and lines[j].startswith('"'):
            j += 1
        following = lines[j] if j < len(lines) else ""
        if not following.startswith(("msgstr", "msgid_plural")):
            orphans.append(f"line {i + 1}: {line[:60]}")
    assert orphans == [], orphans[:10]
