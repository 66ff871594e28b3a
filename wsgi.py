"""What gunicorn serves: ``gunicorn wsgi:app``; with ``CELERY_BROKER_URL`` set, also what
the Celery worker runs: ``celery -A wsgi:celery worker -B``."""

from core.app import create_app

app = create_app()

celery = None
if app.config.get("CELERY_BROKER_URL"):
    from core.tasks import make_celery

    celery = make_celery(app)
