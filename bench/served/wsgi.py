"""The WSGI app ``bench.served`` starts gunicorn with: the bare baseline under
``BARE_PREFIX``, Dispatch everywhere else, both built from the environment (see the
package's docstring). JSON logs as dispatch/wsgi.py, so each request costs what it costs
in a deployment."""

from __future__ import annotations

import importlib
import json
import os

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bench.served import BARE_ENV, BARE_PREFIX, BARE_URL_ENV, SETTINGS_ENV
from dispatch import create_app, logs

logs.configure()
_module, _function = os.environ[BARE_ENV].split(":")
_bare = getattr(importlib.import_module(_module), _function)(os.environ[BARE_URL_ENV])
dispatch_app = create_app(json.loads(os.environ[SETTINGS_ENV]))
app = DispatcherMiddleware(dispatch_app, {BARE_PREFIX: _bare})
