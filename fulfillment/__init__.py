"""Centers, stock per center, routing, reservations, the pickup and delivery desks; ``views/``
(the desk's pages, on ``web.bp``) and ``api/`` (its JSON routes, on ``api.common.bp``)."""
