"""Two cron schedulers on one Redis (two hosts, each running `python -m dispatch.jobs.cron`):
only the one holding the lease queues the periodic jobs; when it stops, the other takes over."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import redis
from rq.cron import get_cron_job_history_key

from dispatch.dev import embedded_redis
from dispatch.jobs import cron
from dispatch.jobs.cron import SturdyCronScheduler
from dispatch.jobs.periodic import check_health
from tests.conftest import wait_until


def test_only_the_leader_queues_and_the_other_takes_over_when_it_stops(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cron, "FOLLOWER_SLEEP", 0.5)
    url, server = embedded_redis.start(tmp_path / "redis", daemonize=False)
    assert server is not None
    schedulers = []
    for _ in range(2):
        scheduler = SturdyCronScheduler(connection=redis.Redis.from_url(url))
        scheduler.register(check_health, "default", interval=3600)  # once per leader here
        schedulers.append(scheduler)
    history = get_cron_job_history_key(schedulers[0].get_jobs()[0].name)
    threads = [threading.Thread(target=s.run, daemon=True) for s in schedulers]
    probe = redis.Redis.from_url(url)
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: probe.zcard("rq:cron_schedulers") == 2, 15, "both to register")
        wait_until(lambda: any(s.leading for s in schedulers), 15, "a leader")
        threading.Event().wait(2)  # several ticks of both
        assert probe.zcard(history) == 1  # queued once, not once per scheduler
        [leader] = [s for s in schedulers if s.leading]
        [follower] = [s for s in schedulers if not s.leading]

        leader.stop()
        threads[schedulers.index(leader)].join(10)
        wait_until(lambda: follower.leading, 15, "the follower to take the lease over")
        wait_until(lambda: probe.zcard(history) == 2, 15, "the new leader's first tick")
    finally:
        for scheduler in schedulers:
            scheduler.stop()
        for thread in threads:
            thread.join(10)
        server.terminate()
        server.wait(10)
