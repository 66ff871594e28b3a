"""The store desk's HTML pages by topic: ``desk``, ``pickup``, ``delivery``, ``stock``,
``transfers``, ``lots``. They hang on ``fulfillment.web.bp``; ``core.app`` imports each."""
