"""The header's city picker: without sharing a position, the shopper says which city they
are in, and the stores there come first (a cookie; no position, no IP lookup)."""

from flask import current_app, redirect, render_template, request, url_for

from core.urls import local_path

from ..nearby import CITY_COOKIE, chosen_city, pickup_cities
from ..web import bp


@bp.route("/city")
def choose_city():
    """The cities with a store; ``?set=<city>`` remembers one (``set=`` forgets it)."""
    back = local_path(request.args.get("next")) or url_for(".products")
    cities = pickup_cities()
    if "set" in request.args:
        chosen = request.args["set"]
        response = redirect(back)
        if chosen in cities:
            response.set_cookie(CITY_COOKIE, chosen, max_age=365 * 24 * 3600, httponly=True,
                                samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
        elif not chosen:
            response.delete_cookie(CITY_COOKIE)
        return response
    return render_template("storefront/city.html", cities=cities, chosen=chosen_city(),
                           back=back)
