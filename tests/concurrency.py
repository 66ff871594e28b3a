"""Running the same work in several threads at once, each in its own app context and session."""

import threading
from concurrent.futures import ThreadPoolExecutor

from core.extensions import db


def run_together(app, work, items, *, refused: tuple[type[Exception], ...]) -> list[str]:
    """Call ``work(item)`` for every item at the same moment (a barrier), committing each
    that returns; ``"done"`` for those, ``"refused"`` for those raising one of ``refused``
    (rolled back)."""
    barrier = threading.Barrier(len(items))

    def one(item):
        with app.app_context():
            barrier.wait(timeout=60)
            try:
                work(item)
                db.session.commit()
                return "done"
            except refused:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(one, items))
