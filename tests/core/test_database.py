"""core.database's helpers for a request's transaction."""

import uuid

import sqlalchemy as sa

from core.database import commit_answered
from core.extensions import db
from core.models import User


def test_a_commit_after_the_answer_writes_and_leaves_the_objects_as_read(app):
    """``commit_answered``: the database's own COMMIT (another connection sees the row), the
    session's objects left loaded (reading them asks nothing), and the next commit expires
    them again as usual."""
    email = f"answered-{uuid.uuid4().hex[:8]}@example.com"
    with app.app_context():
        try:
            user = User(email=email, name="answered", role="customer", password_hash="x")
            db.session.add(user)
            db.session.flush()
            commit_answered(db.session)
            assert not sa.inspect(user).expired_attributes
            with db.engine.connect() as other:
                assert other.execute(sa.select(sa.func.count()).select_from(User).where(
                    User.email == email)).scalar_one() == 1
            assert db.session().expire_on_commit is True
            user.name = "again"
            db.session.commit()
            assert "name" in sa.inspect(user).expired_attributes
        finally:
            db.session.rollback()
            db.session.execute(sa.delete(User).where(User.email == email))
            db.session.commit()
            db.session.remove()
