"""A shop process of its own, as a gunicorn worker is, that tries passwords when told to.

The tests of sign-in counters shared through ``REDIS_URL`` start two of these: each builds
the app from the environment (so ``REDIS_URL`` there decides where it counts), then reads
``ADDRESS PASSWORD`` lines on stdin and answers each with the status of
``POST /api/v1/auth/token`` for the account, from that client address.

    python -m tests.support.signin_worker DATABASE_URL EMAIL [--setup]

``--setup`` first builds the schema and opens the account (password: the tests' PASSWORD).
"""

import os
import sys


def main(argv: list[str]) -> None:
    database_url, email, *flags = argv
    from core.app import create_app
    from core.clock import utcnow
    from core.extensions import db
    from core.models import Role, User

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "signin-worker", "WTF_CSRF_ENABLED": False,
                      # the counters are what is shared here; the page cache stays home
                      "CACHE_TYPE": "SimpleCache", "SERVER_NAME": None})
    if "--setup" in flags:
        with app.app_context():
            db.create_all()
            user = User(email=email, name="Owner", role=Role.CUSTOMER,
                        email_verified_at=utcnow())
            user.set_password(os.environ["SIGNIN_WORKER_PASSWORD"])
            db.session.add(user)
            db.session.commit()
    client = app.test_client()
    print(f"ready {app.config['RATELIMIT_STORAGE_URI'].split(':', 1)[0]}", flush=True)
    for line in sys.stdin:
        address, password = line.rstrip("\n").split(" ", 1)
        response = client.post("/api/v1/auth/token", json={"email": email,
                                                            "password": password},
                               environ_base={"REMOTE_ADDR": address})
        print(response.status_code, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
