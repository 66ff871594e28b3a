"""Catalog, cart, checkout, orders, payments, accounts, VIP membership."""
