"""The shopper's address book: saved delivery addresses, one of them the default.

``models`` (the ``addresses`` table), ``services`` (the rules: add, change, delete, choose
the default, look one up for its owner only) and ``forms`` (the account page's form). The
pages are ``storefront.views.addresses``, the API ``storefront.address_api``; checkout offers
the saved addresses first and places an order to one by its id.
"""
