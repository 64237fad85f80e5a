"""The WSGI entry point for gunicorn (``gunicorn.conf.py`` names it): JSON logs, then the app.

    gunicorn -c gunicorn.conf.py            # what `make serve` and `make run` start
"""

from dispatch import create_app, logs

logs.configure()
app = create_app()
