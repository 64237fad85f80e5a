"""Working-day clocks with the real official calendar (chinesecalendar): the National Day
holiday of 2026 (1–7 October) and its make-up working days (Sunday 20 September and
Saturday 10 October) are counted as the State Council set them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dispatch.extensions import db
from dispatch.models import CaseStatus, ClockUnit
from dispatch.services.cases import lifecycle, sweeps
from dispatch.services.workdays import add_working_days, is_workday, year_table
from tests.factories import World, gen_case, gen_category


def beijing(y: int, m: int, d: int, hour: int = 0) -> datetime:
    """A Beijing wall-clock time (UTC+8) as an aware UTC datetime."""
    return datetime(y, m, d, hour, tzinfo=UTC) - timedelta(hours=8)


def test_the_calendar_knows_the_national_day_holiday_and_its_make_up_days(app) -> None:  # type: ignore[no-untyped-def]
    assert not is_workday(date(2026, 10, 1)) and not is_workday(date(2026, 10, 7))
    assert is_workday(date(2026, 10, 10))  # a Saturday, made up for the holiday
    assert is_workday(date(2026, 9, 20))   # a Sunday, likewise
    table = year_table(2026)
    assert table.official
    assert date(2026, 10, 10) in [d.day for d in table.makeup_days]
    assert date(2026, 10, 5) in [d.day for d in table.holidays]
    assert is_workday(date(2027, 3, 1)) and not is_workday(date(2027, 3, 6))  # no table yet


def test_three_working_days_from_30_september_end_on_the_make_up_saturday(app) -> None:  # type: ignore[no-untyped-def]
    # 1–7 Oct off; Thu 8 (1), Fri 9 (2), Sat 10 made up (3): due at 24:00 on Saturday.
    assert add_working_days(beijing(2026, 9, 30, 10), 3) == beijing(2026, 10, 11)


def test_stage_deadlines_count_working_days_across_national_day(world: World) -> None:
    category = gen_category(clock_unit=ClockUnit.WORKDAYS, receive_hours=1, handle_hours=3,
                            reply_hours=2)
    db.session.flush()
    # Registered on Saturday 19 September: Sunday 20 is a make-up working day.
    case = gen_case(category, world.studio, at=beijing(2026, 9, 19, 15))
    assert case.due_at == beijing(2026, 9, 21)
    lifecycle.receive(case, world.desk(), at=beijing(2026, 9, 30, 10))
    assert case.due_at == beijing(2026, 10, 11)  # handling: 8, 9 and the Saturday 10th
    lifecycle.assign(case, world.desk(), team=world.team, at=beijing(2026, 9, 30, 11))
    lifecycle.accept(case, world.desk(), at=beijing(2026, 9, 30, 12))
    lifecycle.arrive(case, world.desk(), at=beijing(2026, 10, 9, 9))
    lifecycle.finish(case, world.desk(), "已修好", at=beijing(2026, 10, 9, 10))
    # Reply within 2 working days from Friday 9th: Saturday 10th (made up) and Monday 12th.
    assert case.due_at == beijing(2026, 10, 13)


def test_an_hours_category_keeps_counting_hours(world: World) -> None:
    case = gen_case(world.category, world.studio, at=beijing(2026, 9, 30, 10))
    assert case.due_at == beijing(2026, 9, 30, 10) + timedelta(
        hours=world.category.receive_hours)  # 24 hours, through the holiday


def test_overdue_and_escalation_follow_the_working_day_deadline(world: World) -> None:
    category = gen_category(clock_unit=ClockUnit.WORKDAYS, receive_hours=1)
    db.session.flush()
    case = gen_case(category, world.studio, at=beijing(2026, 9, 30, 10))
    assert case.due_at == beijing(2026, 10, 9)  # 1 working day: Thursday 8 October
    db.session.commit()
    assert sweeps.escalate_overdue(now=beijing(2026, 10, 7, 12)) == []  # still the holiday
    assert sweeps.escalate_overdue(now=beijing(2026, 10, 9, 1)) == [case.id]
    assert case.status is CaseStatus.REGISTERED


def test_the_desk_shows_the_years_table(signed_in, world: World) -> None:
    desk = signed_in("admin")
    page = desk.get("/desk/calendar?year=2026").get_data(as_text=True)
    makeup = page[page.index('data-testid="makeup-days"'):]
    assert "2026-10-10" in makeup and "2026-09-20" in makeup
    assert "2026-10-01" in page[page.index('data-testid="holidays"'):]
    later = desk.get("/desk/calendar?year=2031").get_data(as_text=True)
    assert 'data-testid="no-official-table"' in later
    assert desk.get("/desk/calendar?year=abc").status_code == 200
