"""Catalog, cart, checkout, orders, accounts; ``payments/`` (Stripe, refunds), ``loyalty/``
(VIP membership, tiers, points) and ``views/`` (the shop's pages, on ``web.bp``)."""
