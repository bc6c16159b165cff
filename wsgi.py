"""The WSGI entry point: gunicorn 'wsgi:app'."""

from kitlog import create_app

app = create_app()
