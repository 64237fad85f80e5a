"""The periodic scheduler: RQ's CronScheduler (``schedule.py`` says what runs when) in a loop
that outlives a Redis outage.

RQ's own ``CronScheduler.start`` lets a ``ConnectionError`` escape at the first tick Redis
does not answer, and the process exits. Here each tick that cannot reach Redis is logged and
tried again after a growing pause (1 s up to 10 s), for as long as the outage lasts. A job
whose time came during the outage stays due (RQ marks a job enqueued only after its enqueue
succeeded), so once Redis answers, each periodic job is queued once, not once per missed tick:
an interval job's next run is counted from that enqueue, a cron job's from the next match.

    python -m dispatch.jobs.cron          # what `make run` starts; REDIS_URL from the environment

**Several hosts**, each running its own scheduler: RQ's schedulers do not know of each other,
and each would queue every periodic job. So only the one holding a lease in Redis
(``dispatch.cron.leader``, renewed at every tick, ``LEASE_SECONDS``) queues anything; the
others tick idle and take the lease over when it lapses (its holder stopped: at once; it died
or lost Redis: within ``LEASE_SECONDS``). The new leader's interval jobs run once at once
(they are all safe to run twice); its cron-expression jobs keep to their times.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
import uuid
from types import FrameType

import redis
from rq.cron import CronScheduler
from rq.exceptions import SchedulerNotFound

from dispatch import logs

log = logging.getLogger("dispatch.cron")
SCHEDULE = "dispatch.jobs.schedule"
OUTAGE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 10.0
LEASE_KEY = "dispatch.cron.leader"
LEASE_SECONDS = 90  # longer than the longest sleep between a leader's ticks (60 s)
FOLLOWER_SLEEP = 5.0  # how often a scheduler without the lease tries to take it
# Take the lease if nobody holds it, or renew it if we do; 1 when we hold it afterwards.
TAKE_OR_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('expire', KEYS[1], ARGV[2])
  return 1
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
return 0
"""
GIVE_UP = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class SturdyCronScheduler(CronScheduler):
    """RQ's scheduler, whose loop waits out Redis instead of exiting."""

    stopping = False
    leading = False
    lease_id = ""

    def holds_lease(self) -> bool:
        """Take or renew the leader's lease; whether this scheduler leads now."""
        if not self.lease_id:
            self.lease_id = f"{self.name}:{uuid.uuid4().hex[:8]}"
        leading = bool(self.connection.eval(TAKE_OR_RENEW, 1, LEASE_KEY, self.lease_id,
                                            LEASE_SECONDS))
        if leading != self.leading:
            log.info("cron scheduler %s: %s", self.name,
                     "leads: queues the periodic jobs" if leading
                     else "follows: another scheduler queues the periodic jobs")
        self.leading = leading
        return leading

    def tick(self) -> float:
        """Queue what is due (if leading), heartbeat; return how long to sleep. Raises on an
        outage."""
        if not self.holds_lease():
            self.heartbeat()
            return FOLLOWER_SLEEP
        if self.enqueue_jobs():
            self.save()
        self.heartbeat()
        return min(self.calculate_sleep_interval(), LEASE_SECONDS / 3)

    def run(self) -> None:
        """Tick until ``stopping`` (SIGINT/SIGTERM under ``main``)."""
        pause, registered = FIRST_PAUSE, False
        try:
            while not self.stopping:
                try:
                    if not registered:
                        self.register_birth()
                        registered = True
                    sleep_for = self.tick()
                    if pause > FIRST_PAUSE:
                        log.warning("cron scheduler: Redis answers again")
                    pause = FIRST_PAUSE
                except OUTAGE as error:
                    log.error("cron scheduler: Redis unreachable (%s); trying again in %.0f s",
                              error, pause)
                    sleep_for, pause = pause, min(pause * 2, LONGEST_PAUSE)
                self._sleep(sleep_for)
        finally:
            try:
                if self.leading:  # hand over now, not when the lease lapses
                    self.connection.eval(GIVE_UP, 1, LEASE_KEY, self.lease_id)
                self.register_death()
            except (*OUTAGE, SchedulerNotFound):
                pass  # Redis is away or lost it: the registry entry expires by itself

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.5, max(deadline - time.monotonic(), 0)))

    def stop(self, signum: int = 0, _frame: FrameType | None = None) -> None:
        log.info("cron scheduler: signal %s, stopping", signum)
        self.stopping = True


def build(url: str) -> SturdyCronScheduler:
    connection = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
    scheduler = SturdyCronScheduler(connection=connection)
    scheduler.load_config_from_file(SCHEDULE)
    return scheduler


def main() -> int:
    logs.configure()
    url = os.environ.get("REDIS_URL")
    if not url:
        print("REDIS_URL is not set", file=sys.stderr)
        return 2
    scheduler = build(url)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, scheduler.stop)
    scheduler.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
