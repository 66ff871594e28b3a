"""Selling at a store's counter: an order of the ``store`` channel, paid and handed over at
once, that feeds the same stock ledger, points, tiers and follow-ups as a web order."""
