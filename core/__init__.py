"""The kernel every module stands on: app factory, config, extensions, users, money, signals."""
