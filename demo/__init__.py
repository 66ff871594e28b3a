"""``flask demo``: the demo seeder. It may use every package; nothing uses it."""
