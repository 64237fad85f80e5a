"""Serving a benchmark's app and its bare baseline through one gunicorn, as deployed.

    with gunicorn(stack, app, bare="bench.report:create_bare_app", bare_database_url=url) as server:
        ...  # the app at server.base + "/", the bare one at server.base + BARE_PREFIX + "/..."
        server.cpu_seconds()  # CPU used so far by gunicorn's master and workers

One gunicorn from the repository's ``gunicorn.conf.py`` (its workers, threads and timeouts,
the settings a deployment uses) serves ``bench.served.wsgi:app``: a dispatcher that mounts the
bare baseline's WSGI app under ``BARE_PREFIX`` and the Dispatch app everywhere else. So the
app and its baseline share the server, the worker processes, the database and the machine in
the same run, and their ratio is what the app adds. The app's settings (database, Redis,
secret key, uploads ...) are the ones the benchmark built its in-process app with, passed to
every gunicorn worker as JSON in ``BENCH_APP_SETTINGS``.

This package is not a benchmark: ``bench/run.py`` runs only ``bench/*.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from flask import Flask

from bench.common import Stack

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BARE_PREFIX = "/bare"
SETTINGS_ENV = "BENCH_APP_SETTINGS"
BARE_ENV = "BENCH_BARE"  # "module:function" returning the bare WSGI app, given a database URL
BARE_URL_ENV = "BENCH_BARE_DATABASE_URL"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings_of(stack: Stack, app: Flask) -> dict[str, object]:
    """What the stack built ``app`` with: the same settings give every worker the same app."""
    settings = stack.settings.get(id(app))
    if settings is None:
        raise ValueError("not an app of this stack")
    return settings


@dataclass
class Server:
    base: str  # http://127.0.0.1:<port>
    pid: int  # gunicorn's master

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its live workers, from /proc (Linux)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in [self.pid, *_children(self.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a worker that just exited
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.extend(int(child) for child in (task / "children").read_text().split())
    return found


@contextlib.contextmanager
def gunicorn(stack: Stack, app: Flask, *, bare: str, bare_database_url: str,
             workers: int | None = None, threads: int | None = None) -> Iterator[Server]:
    """gunicorn on a free loopback port until the block ends.

    ``workers``/``threads``: None keeps gunicorn.conf.py's (CPU count + 1, and 4)."""
    port = free_port()
    env = {**os.environ, SETTINGS_ENV: json.dumps(settings_of(stack, app)), BARE_ENV: bare,
           BARE_URL_ENV: bare_database_url, "BIND": f"127.0.0.1:{port}",
           "PYTHONPATH": str(PROJECT_ROOT)}
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    if threads:
        env["WEB_THREADS"] = str(threads)
    log_path = stack.workdir / f"gunicorn-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "gunicorn.conf.py"),
             "bench.served.wsgi:app"], cwd=PROJECT_ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base, process, log_path)
        yield Server(base, process.pid)
    finally:
        process.terminate()  # gunicorn's graceful stop: workers finish what they serve
        try:
            process.wait(timeout=35)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def rq_worker(stack: Stack, app: Flask) -> Iterator[subprocess.Popen[bytes]]:
    """One worker process as ``make serve`` runs it (worker.py's SimpleWorker), on the
    app's settings, until the block ends."""
    env = {**os.environ, SETTINGS_ENV: json.dumps(settings_of(stack, app)),
           "PYTHONPATH": str(PROJECT_ROOT)}
    with (stack.workdir / "worker.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "bench.served.worker"],
                                   cwd=PROJECT_ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until every worker answers: /healthz (no I/O) asked until it stops failing."""
    deadline = time.monotonic() + 90
    with requests.Session() as session:
        session.trust_env = False
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode}):\n"
                                   + log.read_text(errors="replace")[-3000:])
            try:
                if session.get(f"{base}/healthz", timeout=2).status_code == 200:
                    # Every worker imports the app itself (no preload): give them all time.
                    ok = sum(session.get(f"{base}/healthz", timeout=5).status_code == 200
                             for _ in range(20))
                    if ok == 20:
                        return
            except requests.RequestException:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn on {base} did not answer within 90 s")
