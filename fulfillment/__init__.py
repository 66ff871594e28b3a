"""Centers, stock per center, routing, reservations, the pickup and delivery desks."""
