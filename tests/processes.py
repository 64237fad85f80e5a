"""Real server processes for the several-hosts and fault tests: gunicorn from
gunicorn.conf.py, ``worker.py``, the cron scheduler, each in its own process group with its
output in a log file, stopped (and the group killed) at the end."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from dispatch.config import PROJECT_ROOT
from tests.conftest import PASSWORD, wait_until

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def send(self, sig: int) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        self.send(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # whatever is left of its group
        self.popen.wait(10)


@dataclass
class Host:
    """One "host": its own processes, sharing the database, Redis and the upload folder."""

    env: dict[str, str]
    folder: Path
    processes: list[Process] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, name: str, args: list[str], **env: str) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(args, env={**self.env, **env}, cwd=PROJECT_ROOT,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def web(self, workers: int = 2, threads: int = 4, wait: bool = True, **env: str) -> Process:
        self.port = free_port()
        process = self.start("web", [sys.executable, "-m", "gunicorn", "-c",
                                     str(PROJECT_ROOT / "gunicorn.conf.py"),
                                     "--bind", f"127.0.0.1:{self.port}"],
                             WEB_CONCURRENCY=str(workers), WEB_THREADS=str(threads), **env)
        if wait:
            self.wait_for_web()
        return process

    def wait_for_web(self) -> None:
        process = next(p for p in self.processes if p.name == "web")
        wait_until(lambda: status(self.base + "/healthz") == 200 or process.popen.poll()
                   is not None, 90, f"gunicorn on {self.port}")
        assert process.popen.poll() is None, process.output()

    def worker(self, name: str = "worker") -> Process:
        return self.start(name, [sys.executable, str(PROJECT_ROOT / "worker.py")])

    def scheduler(self) -> Process:
        return self.start("scheduler", [sys.executable, "-m", "dispatch.jobs.cron"])

    def stop(self) -> None:
        stop_all(self.processes)


def stop_all(processes: list[Process]) -> None:
    """SIGTERM to all at once (each stops gracefully in parallel), then wait for each."""
    for process in processes:
        process.send(signal.SIGTERM)
    for process in processes:
        process.stop()


def host_env(database_url: str, redis_url: str, secret_key: str, uploads: Path,
             **extra: str) -> dict[str, str]:
    """What every host is configured with: the same database, Redis, secret key (a session
    signed by one host is valid on the other) and upload folder."""
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "SECRET_KEY": secret_key, "UPLOAD_DIR": str(uploads), "PYTHONUNBUFFERED": "1",
            "REPORT_LIMITS": "1000 per hour", "LOG_FORMAT": "json", **extra}


@contextlib.contextmanager
def hosts(count: int, env: dict[str, str], folder: Path) -> Iterator[list[Host]]:
    made = []
    for n in range(count):
        (folder / f"host{n + 1}").mkdir(parents=True, exist_ok=True)
        made.append(Host(env, folder / f"host{n + 1}"))
    try:
        yield made
    finally:
        stop_all([process for host in made for process in host.processes])


def status(url: str, timeout: float = 10) -> int:
    try:
        return requests.get(url, timeout=timeout).status_code
    except requests.RequestException:
        return 0


def csrf_of(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30).text
    match = CSRF.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def sign_in(base: str, username: str, password: str = PASSWORD) -> requests.Session:
    session = requests.Session()
    token = csrf_of(session, base + "/login")
    response = session.post(base + "/login", data={
        "username": username, "password": password, "csrf_token": token},
        allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:500]
    return session


@dataclass
class Receiver:
    """A group-chat robot on this machine: records each request's Idempotency-Key; waits
    ``delay`` seconds before answering, like a slow outside service."""

    url: str = ""
    keys: list[str | None] = field(default_factory=list)
    delay: float = 0.0


@contextlib.contextmanager
def receiving(delay: float = 0.0) -> Iterator[Receiver]:
    receiver = Receiver(delay=delay)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if receiver.delay:
                time.sleep(receiver.delay)
            with lock:
                receiver.keys.append(self.headers.get("Idempotency-Key"))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode": 0}')

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- a PostgreSQL server of the test's own, to restart at will ------------------------------

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass
class OwnPostgres:
    """A throwaway cluster (initdb into a temporary folder, a free port, no fsync), run as the
    ``postgres`` user when the test runs as root (initdb refuses root). Never the shared one."""

    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *args], capture_output=True, text=True,
                              timeout=timeout)
        assert done.returncode == 0, done.stdout + done.stderr

    def pg_ctl(self, action: str, *extra: str) -> None:
        self._run(str(PG_BIN / "pg_ctl"), action, "-D", str(self.folder / "data"), "-w",
                  "-l", str(self.folder / "server.log"), *extra)

    def start(self) -> None:
        self.pg_ctl("start", "-o", f"-p {self.port} -k {self.folder} -c listen_addresses="
                    "127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast")


@contextlib.contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    folder = Path(tempfile.mkdtemp(prefix="dispatch-own-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = OwnPostgres(folder, free_port())
    try:
        server._run(str(PG_BIN / "initdb"), "-D", str(folder / "data"), "-U", "postgres",
                    "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        server.start()
        yield server
    finally:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            server.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(folder, ignore_errors=True)


# -- what a resident's phone sends ---------------------------------------------------------

SPOT = (27.8655, 112.9468)  # inside the tests' region (tests/factories.py)
TOKEN = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')


def report_form(session: requests.Session, base: str, category: str) -> dict[str, str]:
    """Step 2's hidden fields (CSRF, a fresh submission token) and a resident's text."""
    page = session.get(f"{base}/report/details?kind=hazard&category={category}"
                       f"&lat={SPOT[0]}&lon={SPOT[1]}", timeout=30)
    assert page.status_code == 200, page.text[:300]
    token, csrf = TOKEN.search(page.text), CSRF.search(page.text)
    assert token and csrf
    return {"csrf_token": csrf.group(1), "kind": "hazard", "category": category,
            "lat": str(SPOT[0]), "lon": str(SPOT[1]), "address": "天鹤村小区7栋旁",
            "submission_token": token.group(1), "description": "路灯不亮，晚上很黑"}


def file_report(session: requests.Session, base: str, form: dict[str, str],
                photo: bytes | None = None) -> requests.Response:
    files = {"photos": ("photo.jpg", photo, "image/jpeg")} if photo else {
        "photos": ("", b"", "application/octet-stream")}
    return session.post(f"{base}/report/details", data=form, files=files,
                        allow_redirects=False, timeout=60)
