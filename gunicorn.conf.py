"""gunicorn's settings for Dispatch (`make serve`, `make run`, the systemd unit in deploy/).

    gunicorn -c gunicorn.conf.py                 # the app comes from dispatch/wsgi.py
    kill -HUP <master pid>                       # graceful reload: new workers, then the old
                                                 # ones finish what they serve and exit

Every number can be changed from the environment without editing this file:
``BIND`` (127.0.0.1:8000), ``WEB_CONCURRENCY`` (worker processes), ``WEB_THREADS`` (threads
per worker), ``WEB_TIMEOUT`` (s), ``ACCESS_LOG`` ("-" for stdout, a path, or unset).
"""

from __future__ import annotations

import os

_cpus = os.cpu_count() or 1

wsgi_app = "dispatch.wsgi:app"
bind = os.environ.get("BIND", "127.0.0.1:8000").split(",")

# Threads, not only processes: a request mostly waits on PostgreSQL, Redis or the client's
# upload, and a thread waits for a fraction of a process's memory. One process per core plus
# one, four threads each (on 2 cores: 3 x 4 = 12 requests at once, within PostgreSQL's 100
# connections even with a few hosts: SQLAlchemy's pool holds 5 + 10 per process).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or _cpus + 1)
threads = int(os.environ.get("WEB_THREADS") or 4)

# A request that takes longer than this is cut off and its worker replaced; the longest
# legitimate one (three 10 MB photos from a slow phone) stays well under it.
timeout = int(os.environ.get("WEB_TIMEOUT") or 60)
graceful_timeout = 30  # on SIGTERM / HUP: how long a worker may finish what it serves
keepalive = 5  # behind nginx, which keeps connections to the upstream open
# A fresh process now and then: a slow leak (Pillow, a C extension) cannot grow for weeks.
max_requests = 2000
max_requests_jitter = 200
# Not preloaded: each worker imports the app itself, so that HUP loads new code and no
# database or Redis socket is shared across a fork.
preload_app = False
# gunicorn's control socket has one default path per user: two instances on one host (the
# several-hosts test, a blue/green deploy) would fight over it. Signals do the same job.
control_socket_disable = True

# The app writes one JSON line per request itself (method, path, status, duration, request
# id: dispatch/views/requests.py), under any server. gunicorn's access log is the server's
# own view (a request refused before the app, the bytes sent); off unless ACCESS_LOG is set,
# so that each request is logged once. It carries the same request id (the response header).
accesslog = os.environ.get("ACCESS_LOG") or None
access_log_format = (
    '{"logger": "gunicorn.access", "time": "%(t)s", "method": "%(m)s", "path": "%(U)s", '
    '"query": "%(q)s", "status": "%(s)s", "bytes": "%(B)s", "duration_ms": "%(M)s", '
    '"remote_addr": "%(h)s", "request_id": "%({x-request-id}o)s"}')
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "dispatch.logs.JsonFormatter"},
        "access": {"format": "%(message)s"},
    },
    "handlers": {
        "error": {"class": "logging.StreamHandler", "formatter": "json",
                  "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "access",
                   "stream": "ext://sys.stdout"},
    },
    # The root logger's handler is added by dispatch/wsgi.py (dispatch.logs.configure).
    "root": {"level": loglevel.upper(), "handlers": []},
    "loggers": {
        "gunicorn.error": {"handlers": ["error"], "level": loglevel.upper(),
                           "propagate": False},
        # With a logging config gunicorn always calls the access logger: its level is the switch.
        "gunicorn.access": {"handlers": ["access"], "level": "INFO" if accesslog else "WARNING",
                            "propagate": False},
    },
}
