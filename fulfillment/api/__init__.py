"""Fulfillment's JSON API (under /api/v1) by topic: ``desk`` (the queue, its steps, stock
counts), ``quote`` (delivery quotes), ``slots``, ``transfers`` (and low stock). They hang on
``common.bp``; ``core.app`` imports each."""
