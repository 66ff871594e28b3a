"""Taking and giving back the shop's money: ``gateway`` (Stripe, the one module that imports
``stripe``), ``billing`` (intents and what they mean for an order), ``webhooks`` (Stripe's
events), ``refunds`` and ``refund_requests``, ``records`` (the ledger's reads), ``jobs``
(reconcile, expiry), ``models``, and the ``payments`` pages (``views``), ``api`` and ``cli``."""
