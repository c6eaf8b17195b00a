"""gunicorn configuration for the Procfile: ``gunicorn wsgi:app -c gunicorn.conf.py``.

The settings, and why each has its value, live in ``cns_web/gunicorn_config.py``
so that ``cns serve`` (which has no access to this file once cns is installed)
starts gunicorn with exactly the same configuration.
"""

from cns_web.gunicorn_config import *  # noqa: F403
