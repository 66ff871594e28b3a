"""Finding 7: ten wrong passwords from anyone locked the account itself (admin, clerks) out
of /login. Nothing counts by account alone any more."""

from core.models import Role
from tests.conftest import PASSWORD

from ..api.conftest import API

STRANGERS = [{"REMOTE_ADDR": f"203.0.113.{n}"} for n in range(1, 6)]
OWN_DESK = {"REMOTE_ADDR": "10.1.2.3"}


def test_strangers_cannot_keep_the_admin_or_a_clerk_out(client, make_user, make_center,
                                                          session):
    admin = make_user(role=Role.ADMIN, email="admin@haiyun.example.com")
    clerk = make_user(role=Role.STAFF, center=make_center(), email="staff.sh01@haiyun.example.com")
    session.commit()
    for user in (admin, clerk):
        for where in STRANGERS:  # 50 wrong passwords, from five addresses
            for i in range(10):
                client.post("/login", data={"identifier": user.email, "password": f"x{i}"},
                            environ_base=where)
                client.post(f"{API}/auth/token", json={"email": user.email, "password": "x"},
                            environ_base=where)
        response = client.post("/login", data={"identifier": user.email, "password": PASSWORD},
                               environ_base=OWN_DESK)
        assert response.status_code == 302, user.role
        client.post("/logout")
        response = client.post(f"{API}/auth/token",
                               json={"email": user.email, "password": PASSWORD},
                               environ_base=OWN_DESK)
        assert response.status_code == 200, user.role
