"""The accounts API: registration, codes by SMS, tokens, and the password.

Asking for a code, a reset, or registering answers the same whether or not an account
exists; signing in answers 401 ``invalid_credentials`` alike for a wrong password and an
unknown account, and 429 ``too_many_requests`` with ``Retry-After`` past the limits.
"""

from flask import g

from core.api import load_body, ok, route
from core.auth import api_auth, bearer_token
from core.extensions import db
from core.sessions import revoke_token

from ..api import bp
from . import edge, recovery, signin
from .schemas import (
    CodeRequestSchema,
    CodeSentSchema,
    PasswordChangeSchema,
    RegisteredSchema,
    RegisterSchema,
    ResetConfirmSchema,
    ResetRequestSchema,
    TokenRequestSchema,
    TokenSchema,
)

LIMITED = "429:too_many_requests"


@route(bp, "/auth/register", ("POST",), summary="Open a shopper account by e-mail; the "
       "account opens when the link e-mailed to the address is followed (the same answer "
       "whether or not the address has an account)", tag="accounts", body=RegisterSchema,
       response=RegisteredSchema, status=202, auth=False,
       errors=("400:validation_error", LIMITED))
def register():
    data = load_body(RegisterSchema())
    edge.register(**data)
    return ok(RegisteredSchema().dump({"email": data["email"].strip().lower(),
                                       "name": data["name"], "status": "confirm_email"}), 202)


@route(bp, "/auth/otp", ("POST",), summary="Send a 6-digit sign-in code by SMS",
       tag="accounts", body=CodeRequestSchema, response=CodeSentSchema, status=202, auth=False,
       errors=("400:validation_error", LIMITED, "503:sms_unavailable"))
def send_code():
    data = load_body(CodeRequestSchema())
    return ok({"expires_in": edge.send_code(data["phone"])}, 202)


@route(bp, "/auth/token", ("POST",), summary="A bearer token for e-mail or phone and password, "
       "or for phone and SMS code (which opens the account when the phone is new: 201)",
       tag="accounts", body=TokenRequestSchema, response=TokenSchema, auth=False,
       also=("201:the code opened a new account",),
       errors=("400:validation_error", "401:invalid_credentials", LIMITED))
def token():
    data = load_body(TokenRequestSchema())
    created = False
    if "code" in data:
        user, created = edge.code_sign_in(data["phone"], data["code"], name=data.get("name"))
    else:
        user = edge.password_sign_in(data.get("email") or data["phone"], data["password"])
    row, plain = signin.issue_token(user)
    db.session.commit()
    return ok(TokenSchema().dump({"token": plain, "expires_at": row.expires_at}),
              201 if created else 200)


@route(bp, "/auth/token", ("DELETE",), summary="Revoke the token used", tag="accounts",
       status=204)
@api_auth()
def revoke():
    revoke_token(bearer_token())
    db.session.commit()
    return "", 204


@route(bp, "/auth/password-reset", ("POST",), summary="Send a link (e-mail) or code (SMS) to "
       "choose a new password; 202 whether or not an account exists", tag="accounts",
       body=ResetRequestSchema, status=202, auth=False,
       errors=("400:validation_error", LIMITED))
def password_reset():
    data = load_body(ResetRequestSchema())
    edge.request_reset(email=data.get("email"), phone=data.get("phone"))
    return ok({}, 202)


@route(bp, "/auth/password-reset/confirm", ("POST",), summary="Choose a new password with the "
       "e-mailed link's token or the SMS code; every session and token ends", tag="accounts",
       body=ResetConfirmSchema, status=204, auth=False,
       errors=("400:validation_error", "400:invalid_or_expired", LIMITED))
def password_reset_confirm():
    data = load_body(ResetConfirmSchema())
    if "token" in data:
        recovery.reset_with_link(data["token"], data["password"])
    else:
        edge.reset_by_code(data["phone"], data["code"], data["password"])
    db.session.commit()
    return "", 204


@route(bp, "/me/password", ("POST",), summary="Change my password (the current one is "
       "required when there is one); my other sessions and tokens end", tag="accounts",
       body=PasswordChangeSchema, status=204,
       errors=("400:validation_error", "401:invalid_credentials", LIMITED))
@api_auth()
def change_password():
    data = load_body(PasswordChangeSchema())
    edge.change_password(g.api_user, data.get("current_password"), data["password"],
                         keep_token=bearer_token())
    db.session.commit()
    return "", 204
