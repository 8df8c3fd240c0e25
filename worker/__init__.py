"""The Celery application, built from the Flask application factory.

Run a worker with ``celery -A worker worker -Q default,mail,long`` and the scheduler with
``celery -A worker beat``. Tasks live with their domain (``participa/<domain>/tasks.py``).
"""

from participa import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
app = celery
