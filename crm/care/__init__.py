"""Customer care: complaints and their remedies (refunds, replacements, goodwill coupons),
the lots complained about, and recalls."""
