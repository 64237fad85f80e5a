"""``make run`` and ``make serve``: the production stack on one machine.

Starts the embedded Redis when REDIS_URL is unset, then ``--workers`` RQ workers
(``worker.py``), the cron scheduler (dispatch/jobs/cron.py, running dispatch/jobs/schedule.py)
and gunicorn (``gunicorn.conf.py``) as child processes; prints the URL (and, with ``--demo``,
the demo logins); Ctrl-C (or SIGTERM) stops all of them.

    python -m dispatch.dev.devstack --demo              # make run: one worker, the demo banner
    python -m dispatch.dev.devstack --workers 2         # make serve

A child that dies is started again after a short pause that grows while it keeps dying
(1 s, 2 s, ... up to 30 s; back to 1 s once it has run a minute), and the launcher says so;
the other children go on.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from dispatch.config import DEFAULT_INSTANCE, PROJECT_ROOT
from dispatch.dev import embedded_redis

HOST, PORT = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")
DEMO_LOGINS = [
    ("coordinator", "工作室协调员 Coordinator (书院路 Shuyuanlu)"),
    ("captain", "队长 Captain"),
    ("volunteer", "志愿者 Volunteer"),
    ("admin", "管理员 Administrator"),
]


def _wait_for_port(host: str, port: int, process: subprocess.Popen[bytes],
                   timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)


class Child:
    """One supervised process: started again, after a pause, whenever it dies."""

    FIRST_PAUSE, LONGEST_PAUSE, STEADY_AFTER = 1.0, 30.0, 60.0

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name, self.args, self.env = name, args, env
        self.restarts = 0
        self.pause = self.FIRST_PAUSE
        self.restart_at: float | None = None
        self.process = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.started_at = time.monotonic()
        # Its own process group: when it dies, what it started dies with it (below).
        return subprocess.Popen(self.args, env=self.env, cwd=PROJECT_ROOT,
                                start_new_session=True)

    def supervise(self) -> None:
        """Called every half second: notice a death, restart when its pause is over."""
        if self.restart_at is None:
            code = self.process.poll()
            if code is None:
                return
            # A gunicorn master killed outright leaves its workers holding the port until
            # they notice (up to a minute): end them now, or the restarted master cannot bind.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            if time.monotonic() - self.started_at >= self.STEADY_AFTER:
                self.pause = self.FIRST_PAUSE
            print(f"  [devstack] {self.name} (pid {self.process.pid}) exited with {code}; "
                  f"restarting in {self.pause:.0f} s", file=sys.stderr, flush=True)
            self.restart_at = time.monotonic() + self.pause
            self.pause = min(self.pause * 2, self.LONGEST_PAUSE)
        elif time.monotonic() >= self.restart_at:
            self.restart_at = None
            self.restarts += 1
            self.process = self._spawn()
            print(f"  [devstack] {self.name} restarted (pid {self.process.pid}, restart "
                  f"#{self.restarts})", file=sys.stderr, flush=True)

    def stop(self, sig: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)

    def wait(self) -> None:
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever it left behind


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # the same clean stop as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=int(os.environ.get("RQ_WORKERS", "1")),
                        help="RQ worker processes (worker.py)")
    parser.add_argument("--demo", action="store_true", help="print the demo logins")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    started_redis = False
    if not env.get("REDIS_URL"):
        url, _ = embedded_redis.start(DEFAULT_INSTANCE / "redis", daemonize=True)
        env["REDIS_URL"] = url
        started_redis = True
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    python = sys.executable
    workers = [Child(f"worker {n + 1}", [python, str(PROJECT_ROOT / "worker.py")], env)
               for n in range(max(args.workers, 1))]
    scheduler = Child("scheduler", [python, "-m", "dispatch.jobs.cron"], env)
    # gunicorn, as in production (gunicorn.conf.py); HOST/PORT pick the address.
    web = Child("web", [python, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "gunicorn.conf.py"),
                        "--bind", f"{HOST}:{PORT}"], env)
    children = (*workers, scheduler, web)
    _wait_for_port(HOST, int(PORT), web.process)
    print(f"\n  Dispatch is running: http://{HOST}:{PORT}/  (gunicorn, {len(workers)} RQ "
          f"worker(s), the cron scheduler)\n")
    if args.demo:
        password = env.get("DEMO_PASSWORD", "dispatch-demo")
        print(f"  Demo logins (password for all: {password}):")
        for username, who in DEMO_LOGINS:
            print(f"    {username:<12} {who}")
    print("\n  Press Ctrl-C to stop the web server, the workers"
          + (" and the embedded Redis." if started_redis else "."), "\n", flush=True)
    try:
        while True:
            for child in children:
                child.supervise()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        web.stop(signal.SIGTERM)  # gunicorn's graceful stop
        for worker in workers:
            worker.stop(signal.SIGINT)  # RQ's warm shutdown
        scheduler.stop(signal.SIGINT)
        for child in children:
            child.wait()
        if started_redis:
            embedded_redis.stop(Path(DEFAULT_INSTANCE) / "redis")
    return 0


if __name__ == "__main__":
    sys.exit(main())
