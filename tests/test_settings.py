"""The categories' settings page: admins only, every change audited with before and after,
a clock of 0 refused, a stale form refused with what changed, a category retired (kept)."""

from __future__ import annotations

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import AuditEntry, Category, ClockUnit
from tests.factories import World


def _fields(world: World, **kw: object) -> dict[str, object]:
    category = world.category
    return {"version": category.version, "name_zh": category.name_zh,
            "name_en": category.name_en, "icon": category.icon, "skills": ["repair"],
            "clock_unit": "workdays", "receive_hours": 1, "handle_hours": 3,
            "reply_hours": 2, "active": "y", "claimable": "y",
            "claim_hours": 72, **kw}


def test_an_admin_changes_the_clocks_and_the_audit_log_says_so(signed_in, world: World
                                                                ) -> None:
    admin = signed_in("admin")
    assert admin.get(f"/desk/settings/categories/{world.category.id}").status_code == 200
    response = admin.post(f"/desk/settings/categories/{world.category.id}", _fields(world))
    assert response.status_code == 302
    db.session.expire_all()
    category = db.session.get(Category, world.category.id)
    assert category.clock_unit is ClockUnit.WORKDAYS and category.handle_hours == 3
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "category.update"))
    assert entry is not None and entry.before["clock_unit"] == "hours"
    assert entry.after["clock_unit"] == "workdays"
    # The list's audit log names the fields in the reader's words, not the columns'.
    log = admin.get("/desk/settings/categories").get_data(as_text=True)
    assert "处理时限: 3" in log  # the form's own label ("To handle"), in Chinese
    # Saving the same skills in another order is no change.
    again = _fields(world, version=category.version, skills=["safety", "repair"])
    category.skills = ["repair", "safety"]
    db.session.commit()
    again["version"] = db.session.get(Category, world.category.id).version
    assert admin.post(f"/desk/settings/categories/{world.category.id}", again).status_code == 302
    db.session.expire_all()
    last = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "category.update")
                              .order_by(AuditEntry.id.desc())).first()
    assert last is not None and "skills" not in (last.after or {})
    assert "handle_hours" not in log and "clock_unit" not in log


def test_a_clock_of_zero_is_refused_with_what_was_typed(signed_in, world: World) -> None:
    admin = signed_in("admin")
    response = admin.post(f"/desk/settings/categories/{world.category.id}",
                          _fields(world, handle_hours=0, name_zh="新名字"))
    assert response.status_code == 422 and "新名字" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Category, world.category.id).name_zh != "新名字"


def test_a_second_editor_sees_what_changed_and_nothing_is_overwritten(signed_in,
                                                                      world: World) -> None:
    admin = signed_in("admin")
    first = _fields(world, handle_hours=5)
    second = _fields(world, handle_hours=9)  # the same version, shown at the same time
    assert admin.post(f"/desk/settings/categories/{world.category.id}", first
                      ).status_code == 302
    response = admin.post(f"/desk/settings/categories/{world.category.id}", second)
    assert response.status_code == 409
    assert 'data-testid="stale"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Category, world.category.id).handle_hours == 5


def test_coordinators_see_the_settings_but_cannot_change_them(signed_in, world: World
                                                               ) -> None:
    desk = signed_in("coordinator")
    assert desk.get("/desk/settings/categories").status_code == 200
    assert desk.post(f"/desk/settings/categories/{world.category.id}", _fields(world)
                     ).status_code == 403


def test_retiring_keeps_the_category_and_its_cases(signed_in, world: World) -> None:
    admin = signed_in("admin")
    fields = _fields(world)
    fields.pop("active")
    assert admin.post(f"/desk/settings/categories/{world.category.id}", fields
                      ).status_code == 302
    db.session.expire_all()
    category = db.session.get(Category, world.category.id)
    assert category is not None and not category.active
    assert world.case.category_id == category.id
