"""The monthly report counts what the ledger says, by calendar month in Asia/Shanghai."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dispatch.extensions import db
from dispatch.models import Case
from dispatch.services.cases import lifecycle
from dispatch.services.desk.figures import percentile
from dispatch.services.desk.statistics import Month, build
from dispatch.services.permissions import Actor
from tests.factories import World, gen_case, gen_category, gen_studio, take_step

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = Month(2026, 3, SHANGHAI)
HOUR = 3600.0


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def drive(case: Case, world: World, start: datetime, steps: list[tuple[str, float]],
          **extra: dict[str, Any]) -> Case:
    """Take each step ``hours`` after ``start``; ``extra[action]`` adds keyword arguments."""
    for action, hours in steps:
        take_step(case, action, world, at=start + timedelta(hours=hours),
                  **extra.get(action, {}))
    return case


def to_reply(reply_at: float) -> list[tuple[str, float]]:
    return [("receive", 1), ("assign", 2), ("accept", 3), ("arrive", 4),
            ("finish", reply_at - 2), ("check_work", reply_at - 1), ("reply", reply_at)]


@pytest.fixture
def march(world: World) -> dict[str, Case]:
    """Ten cases around March 2026 (Shanghai time), each with a known story."""
    cat2 = gen_category(name_zh="照明", name_en="Lighting")
    studio2 = gen_studio(world.region, name_zh="第二工作室", name_en="Second studio")
    db.session.flush()

    def new(at: datetime, category: Any = None, studio: Any = None) -> Case:
        return gen_case(category or world.category, studio or world.studio, at=at)

    cases: dict[str, Case] = {}
    start = utc(2026, 3, 2, 2)
    cases["a"] = drive(new(start), world, start, to_reply(12) + [
        ("give_feedback", 20), ("archive", 24)])
    start = utc(2026, 3, 5)
    cases["b"] = drive(new(start), world, start, to_reply(30) + [
        ("give_feedback", 31), ("archive", 32)],
        assign={"team": None, "volunteer": world.volunteer},
        give_feedback={"satisfied": False, "rating": 2})
    start = utc(2026, 3, 8)
    cases["c"] = drive(new(start, cat2, studio2), world, start, to_reply(50) + [
        ("give_feedback", 51), ("archive", 52)], assign={"team": world.outsider_team})
    start = utc(2026, 3, 12)
    cases["d"] = drive(new(start, cat2), world, start, to_reply(20) + [
        ("give_feedback", 22), ("reopen", 23)],  # the reopen clears the verdict; the
        give_feedback={"satisfied": False, "rating": 1})  # ledger still counts it
    start = utc(2026, 3, 10)
    cases["e"] = drive(new(start), world, start, to_reply(8))
    lifecycle.apply_transition(cases["e"], Actor.system(), "auto_confirm",
                               at=utc(2026, 3, 20))
    start = utc(2026, 3, 14)
    cases["f"] = drive(new(start), world, start, [("receive", 5)])
    # 23:30 on 31 March in Shanghai is 15:30 UTC: still March.
    cases["g"] = new(utc(2026, 3, 31, 15, 30))
    # 00:30 on 1 April in Shanghai: April, though still 31 March in UTC.
    cases["h"] = new(utc(2026, 3, 31, 16, 30))
    # Filed at 23:00 on 28 February (Shanghai), received at 01:00 on 1 March.
    cases["i"] = drive(new(utc(2026, 2, 28, 15), cat2), world, utc(2026, 2, 28, 15),
                       [("receive", 2)])
    start = utc(2026, 3, 15)
    cases["j"] = drive(new(start, cat2, studio2), world, start,
                       [("receive", 1), ("mark_not_ours", 2)])
    db.session.commit()
    return cases


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [8, 12, 20, 30, 50]
    assert percentile(values, 0.5) == 20
    assert percentile(values, 0.9) == pytest.approx(42)
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None


def test_month_bounds_are_local_midnights() -> None:
    assert MARCH.start == utc(2026, 2, 28, 16)
    assert MARCH.end == utc(2026, 3, 31, 16)
    assert Month(2026, 12, SHANGHAI).next().label == "2027-01"
    assert Month(2026, 1, SHANGHAI).previous().label == "2025-12"
    assert Month.parse("2026-13", SHANGHAI) is None


def test_totals_match_the_stories(march: dict[str, Case]) -> None:
    totals = build(MARCH).totals
    assert totals.registered == 8  # a b c d e f g j; h is April, i is February
    assert totals.received == 8  # a b c d e f i j; g waits
    assert (totals.resolved, totals.archived) == (3, 4)  # j is "not ours"
    assert totals.replied == 5
    assert totals.reply_median == 20 * HOUR  # replies after 8 12 20 30 50 hours
    assert totals.reply_p90 == pytest.approx(42 * HOUR)
    assert (totals.feedback, totals.satisfied, totals.unsatisfied) == (4, 2, 2)
    assert totals.satisfaction_rate == 0.5
    assert totals.auto_confirmed == 1


def test_a_case_at_half_past_eleven_on_the_last_day_belongs_to_that_month(
        march: dict[str, Case]) -> None:
    assert build(MARCH).totals.registered == 8
    april = build(MARCH.next()).totals
    assert april.registered == 1  # h
    february = build(MARCH.previous()).totals
    assert (february.registered, february.received) == (1, 0)  # i, received in March


def test_breakdowns_by_category_team_and_studio(world: World,
                                                march: dict[str, Case]) -> None:
    report = build(MARCH)
    by_category = {g.name: g.figures for g in report.by_category}
    main, lighting = by_category[world.category.name_zh], by_category["照明"]
    assert (main.registered, main.received, main.resolved) == (5, 4, 2)  # a b e f g
    assert (lighting.registered, lighting.received, lighting.resolved) == (3, 4, 1)
    assert lighting.reply_median == 35 * HOUR  # c 50, d 20
    assert (main.feedback, main.satisfied, lighting.feedback, lighting.satisfied) == (2, 1, 2, 1)

    by_team = {g.key: g.figures for g in report.by_team}
    assert set(by_team) == {f"t{world.team.id}", f"t{world.outsider_team.id}",
                            "volunteers", "none"}
    assert by_team[f"t{world.team.id}"].replied == 3  # a d e
    assert by_team[f"t{world.team.id}"].reply_median == 12 * HOUR
    assert by_team["volunteers"].reply_median == 30 * HOUR  # b
    assert by_team["none"].registered == 3  # f g j

    by_studio = {g.name: g.figures for g in report.by_studio}
    assert by_studio["第二工作室"].registered == 2  # c j
    assert by_studio[world.studio.name_zh].registered == 6

    only_second = build(MARCH, studio_id=march["c"].studio_id).totals
    assert (only_second.registered, only_second.resolved, only_second.satisfied) == (2, 1, 1)


def test_time_per_stage_counts_cases_replied_or_archived(march: dict[str, Case]) -> None:
    totals = build(MARCH).totals
    assert totals.stage_cases == 6  # a b c d e replied, a b c j archived
    a = march["a"]
    assert (a.seconds_registered, a.seconds_received, a.seconds_handling,
            a.seconds_replied, a.seconds_feedback) == (3600, 3600, 36000, 28800, 14400)


def test_an_empty_month_is_zeros_not_an_error(world: World) -> None:
    report = build(Month(2020, 1, SHANGHAI))
    assert report.empty
    assert report.totals.registered == 0 and report.totals.reply_median is None
    assert report.by_category == [] and report.totals.satisfaction_rate is None


def test_the_page_shows_the_month_with_chart_data_as_json(signed_in, world: World,
                                                          march: dict[str, Case]) -> None:
    world.category.name_zh = "</script><script>alert(1)</script>"
    db.session.commit()
    page = signed_in("coordinator").get("/desk/reports/monthly?month=2026-03")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="registered">8<' in html
    assert 'data-testid="reply-median">20.0<' in html
    assert 'data-testid="reply-p90">42.0<' in html
    assert 'data-testid="satisfaction">50%<' in html
    assert "<script>alert(1)" not in html
    block = re.search(r'<script type="application/json" id="monthly-chart-data">(.*?)</script>',
                      html, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert "</script><script>alert(1)</script>" in data["categories"]
    assert sum(data["received"]) == 8 and sum(data["resolved"]) == 3
    assert "month=2026-02" in html and "month=2026-04" in html


def test_an_empty_month_page_says_so(signed_in) -> None:
    page = signed_in("coordinator").get("/desk/reports/monthly?month=2020-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="empty-month"' in html and 'data-testid="registered">0<' in html
    assert "monthly-chart-data" not in html


def test_a_bad_month_or_studio_is_refused_in_the_users_language(signed_in) -> None:
    client = signed_in("coordinator")
    page = client.get("/desk/reports/monthly?month=2026-13")
    assert page.status_code == 422
    assert "YYYY-MM" in page.get_data(as_text=True)
    assert client.get("/desk/reports/monthly?studio=99999").status_code == 422


def test_volunteers_cannot_see_the_report(signed_in) -> None:
    assert signed_in("volunteer").get("/desk/reports/monthly").status_code == 403


def test_the_print_view_uses_the_print_styles_on_screen(signed_in, march: dict[str, Case]) -> None:
    html = signed_in("coordinator").get(
        "/desk/reports/monthly?month=2026-03&print=1").get_data(as_text=True)
    # The address carries its fingerprint (?v=…, views/assets.py).
    assert re.search(r'css/print\.css(\?v=\w+)?" media="all"', html) and "print-view" in html
