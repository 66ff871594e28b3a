"""The VIP club as the shop prices it: ``models`` (memberships, tiers, member prices, the
points ledger), ``membership`` (joining), ``tiers`` and ``points``. The club's content,
events and member area are crm's (``crm.club``)."""
