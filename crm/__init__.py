"""The customer center: customer 360, follow-ups, complaints, segments, the VIP area."""
