"""Compiling and checking the message catalogues (translations/<locale>/LC_MESSAGES)."""

import os
import tempfile
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHOD_MAP = [
    ("core/**.py", "python"), ("fulfillment/**.py", "python"), ("storefront/**.py", "python"),
    ("crm/**.py", "python"), ("demo/**.py", "python"), ("templates/**.html", "jinja2"),
]


def compile_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """Write each locale's .mo from its .po when the .po is newer (or the .mo is missing).

    The .mo is written to a temporary file beside it and then moved over the old one, so
    a process reading the catalogues meanwhile (a server, another test run compiling at
    the same moment) finds the old file or the new one, never a half-written one; and
    since the new file's time is set only once it is whole, nobody takes a half-written
    file for an up-to-date one. Returns the files written.
    """
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as f:
            catalog = read_po(f)
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix=f".{mo_path.stem}-",
                                   suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            os.chmod(tmp, 0o644)
            os.replace(tmp, mo_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(mo_path)
    return written


def source_messages() -> set[str]:
    """Every msgid the code and templates use."""
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS,
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def untranslated(locale: str) -> set[str]:
    """The msgids in use that ``locale``'s catalogue lacks or leaves empty or fuzzy."""
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    # a plural entry covers both its singular and its plural msgid
    done = {i for m in catalog for i in ([m.id] if isinstance(m.id, str) else m.id)
            if m.id and m.string and not m.fuzzy
            and (m.string if isinstance(m.string, str) else all(m.string))}
    return source_messages() - done
