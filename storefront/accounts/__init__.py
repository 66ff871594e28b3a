"""Shopper accounts: opening one, signing in (password, or phone and SMS code), recovery,
and the one-time codes and links that prove a phone or an e-mail address."""

from .signin import authenticate, register_user

__all__ = ["authenticate", "register_user"]
