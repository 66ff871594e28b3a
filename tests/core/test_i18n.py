"""Catalogues: compiled whole or not at all, found for zh_CN, never cached while missing."""

import os
import shutil
import threading

from babel.messages.pofile import read_po
from babel.support import Translations
from flask_babel import get_locale, gettext

from core.translations import TRANSLATIONS, compile_catalogs
from tests.conftest import make_app

ZH_PO = TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po"


def _sample() -> tuple[str, str]:
    """A plain msgid of the zh_CN catalogue and its translation."""
    with ZH_PO.open("rb") as f:
        catalog = read_po(f)
    return next((m.id, m.string) for m in catalog
                if isinstance(m.id, str) and m.id and m.string and "%" not in m.id)


def _copy_catalogue(root) -> None:
    (root / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(ZH_PO, root / "zh_CN" / "LC_MESSAGES" / "messages.po")


def test_a_reader_never_meets_a_half_written_catalogue(tmp_path):
    """One thread recompiles again and again while another keeps loading the catalogue."""
    _copy_catalogue(tmp_path)
    po = tmp_path / "zh_CN" / "LC_MESSAGES" / "messages.po"
    msgid, expected = _sample()
    assert compile_catalogs(tmp_path) == [po.with_suffix(".mo")]
    assert compile_catalogs(tmp_path) == []  # up to date: nothing is written
    done, problems, reads, writes = threading.Event(), [], [0], [0]

    def recompile():
        try:
            stamp = po.stat().st_mtime
            for i in range(1, 41):
                os.utime(po, (stamp + i * 10, stamp + i * 10))  # the .po changed
                writes[0] += len(compile_catalogs(tmp_path))
        finally:
            done.set()

    def read():
        while not done.is_set():
            try:
                found = Translations.load(str(tmp_path), ["zh_CN"])
                if found.gettext(msgid) != expected:
                    problems.append(f"untranslated: {type(found).__name__}")
            except Exception as err:  # a torn file: bad magic, corrupt, short read
                problems.append(repr(err))
            reads[0] += 1

    threads = [threading.Thread(target=recompile), threading.Thread(target=read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert writes[0] == 40 and reads[0] > 0
    assert problems == []
    assert sorted(p.name for p in po.parent.iterdir()) == ["messages.mo", "messages.po"]


def test_zh_cn_is_found_in_its_own_folder(app):
    """Babel names zh_CN zh_Hans_CN; the catalogue is in translations/zh_CN, and no other."""
    msgid, expected = _sample()
    assert not (TRANSLATIONS / "zh_Hans_CN").exists()
    with app.test_request_context("/?lang=zh_CN"):
        assert str(get_locale()) == "zh_Hans_CN"
        assert gettext(msgid) == expected
    with app.test_request_context("/?lang=en"):
        assert gettext(msgid) == msgid


def test_a_missing_catalogue_is_looked_for_again(tmp_path):
    """A request served before the .mo exists is in English; the next one finds the file."""
    _copy_catalogue(tmp_path / "translations")
    msgid, expected = _sample()
    app = make_app("sqlite://", tmp_path / "instance",
                   BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations"))
    with app.test_request_context("/"):
        assert gettext(msgid) == msgid
    compile_catalogs(tmp_path / "translations")
    with app.test_request_context("/"):
        assert gettext(msgid) == expected


def test_words_speak_their_language_whatever_the_request_s(app):
    """``Words``: one language's messages, amounts and names inside a request reading the
    other, which keeps its own."""
    from types import SimpleNamespace

    from core.i18n import Words

    msgid, expected = _sample()
    place = SimpleNamespace(name_zh="海韵·静安店", name_en="Haiyun Jing'an")
    with app.test_request_context("/?lang=en"):
        _ = Words("zh_CN")
        assert _(msgid) == expected and _.locale == "zh_CN"
        assert _.money(12800, "CNY") == "¥128.00"
        assert _.localized(place, "name") == "海韵·静安店"
        assert gettext(msgid) == msgid and str(get_locale()) == "en"  # the request's: English
    with app.test_request_context("/?lang=zh_CN"):
        _ = Words("en")
        assert _(msgid) == msgid and _.localized(place, "name") == "Haiyun Jing'an"
        assert _("%(n)s days", n=3) == "3 days"
        assert gettext(msgid) == expected
