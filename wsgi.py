"""What gunicorn serves: ``gunicorn wsgi:app``; with ``CELERY_BROKER_URL`` set, also what
the Celery worker runs: ``celery -A wsgi:celery worker -B``."""

import sys

from core.app import create_app
from core.instance import InsecureInstance

try:
    app = create_app()
except InsecureInstance as refusal:  # an operator's mistake: say what to do, no traceback
    print(f"The shop will not start: {refusal}", file=sys.stderr)
    raise SystemExit(1) from None

celery = None
if app.config.get("CELERY_BROKER_URL"):
    from core.tasks import make_celery

    celery = make_celery(app)
