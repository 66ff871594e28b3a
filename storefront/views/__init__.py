"""The shop's HTML pages by topic: ``catalog``, ``cart``, ``checkout``, ``orders``,
``account``, ``vip``. They hang on ``storefront.web.bp``; ``core.app`` imports each."""
