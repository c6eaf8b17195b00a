"""WSGI entry point: ``gunicorn wsgi:app -c gunicorn.conf.py`` (see the Procfile)."""

from cns_web import create_app

app = create_app()
