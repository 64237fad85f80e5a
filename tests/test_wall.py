"""The public results wall (成果上墙) and the published task list (领题解题)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from dispatch.extensions import db
from dispatch.models import Case, CaseKind, CasePhoto, PhotoStage, utcnow
from dispatch.services.cases import claims, lifecycle
from dispatch.services.permissions import Actor
from tests.conftest import WebClient
from tests.factories import World, gen_case, shows_phone_tail, walk


def photo(case: Case, key: str, stage: PhotoStage, hidden: bool = False) -> None:
    db.session.add(CasePhoto(case_id=case.id, key=key, stage=stage, width=800, height=600,
                             size_bytes=1000, hidden=hidden))


def test_the_wall_shows_a_resolved_case_with_its_photos_but_not_a_hidden_one(
        web: WebClient, world: World) -> None:
    case = world.case
    case.reporter_name = "周美华"
    photo(case, "beforeshot0001", PhotoStage.REPORT)
    photo(case, "hiddenshot0002", PhotoStage.REPORT, hidden=True)
    walk(case, world, "archive", satisfied=True, rating=4, comment="棚子修好了，谢谢！")
    photo(case, "aftershot00003", PhotoStage.AFTER)
    db.session.commit()
    page = web.get("/wall").get_data(as_text=True)
    assert case.title in page and f"/c/{case.tracking_code}" in page
    assert "beforeshot0001_thumb" in page and "aftershot00003_thumb" in page
    assert "hiddenshot0002" not in page
    assert "棚子修好了，谢谢！" in page and "★★★★☆" in page
    assert world.team.name_zh in page  # who did it
    assert "周美华" not in page and "13812345678" not in page and not shows_phone_tail(page)


def test_an_unresolved_or_duplicate_case_is_not_on_the_wall(web: WebClient,
                                                            world: World) -> None:
    walk(world.case, world, "reply")
    db.session.commit()
    page = web.get("/wall").get_data(as_text=True)
    assert f'data-case="{world.case.tracking_code}"' not in page


def test_the_task_list_shows_who_took_a_claimed_wish_and_flags_overdue_tasks(
        web: WebClient, world: World) -> None:
    desk = world.desk()
    claimed = gen_case(world.category, world.studio, kind=CaseKind.WISH,
                       title="王奶奶家晾衣架坏了", address="天鹤村小区5栋502室")
    lifecycle.receive(claimed, desk)
    claims.claim(claimed, Actor.of(world.volunteer))
    waiting = gen_case(world.category, world.studio, kind=CaseKind.INSPECTION,
                       title="S272线K93+520非机动车道坑槽")
    lifecycle.receive(waiting, desk)
    db.session.execute(update(Case).where(Case.id == waiting.id)
                       .values(due_at=utcnow() - timedelta(hours=2)))
    hazard = gen_case(world.category, world.studio, title="不在任务清单上的隐患")
    lifecycle.receive(hazard, desk)
    db.session.commit()
    page = web.get("/wall").get_data(as_text=True)
    tasks = page.split('id="tasks"', 1)[1]
    assert "王奶奶家晾衣架坏了" in tasks and world.volunteer.display_name in tasks
    assert "天鹤村小区5栋502室" not in page  # a micro-wish's place stays private
    card = tasks.split(f'data-case="{waiting.tracking_code}"', 1)[1].split("</article>")[0]
    assert 'class="overdue"' in card
    assert "不在任务清单上的隐患" not in tasks
    assert tasks.index(waiting.title) < tasks.index(claimed.title)  # overdue first
