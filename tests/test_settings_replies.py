"""The ready replies as settings: the case page offers the active templates from the table
(shared ones and the case's studio's own), a text with an unknown placeholder is refused
naming it, a stale form is refused naming what changed, a retired template is no longer
offered, and a coordinator changes only their studio's own templates."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import AuditEntry, ReplyTemplate, Role
from dispatch.services.cases import replies
from tests.conftest import WebClient
from tests.factories import World, gen_studio, gen_user, walk


def _template(code: str) -> ReplyTemplate:
    db.session.expire_all()
    found = db.session.scalar(select(ReplyTemplate).where(ReplyTemplate.code == code))
    assert found is not None
    return found


def _fields(template: ReplyTemplate | None = None, **kw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"version": 1, "code": "ours", "label_zh": "我们的回复",
                              "label_en": "Our reply", "text_zh": "您好，{title}已处理。——{studio}",
                              "text_en": "Hello, {title} is done. — {studio}",
                              "sort_order": "60", "active": "y"}
    if template is not None:
        fields.update(version=template.version, label_zh=template.label_zh,
                      label_en=template.label_en, text_zh=template.text_zh,
                      text_en=template.text_en, sort_order=str(template.sort_order))
    fields.update(kw)
    return {k: v for k, v in fields.items() if v is not None}


def test_the_five_defaults_are_offered_in_order(world: World) -> None:
    codes = [t.code for t in replies.offered(world.case)]
    assert codes == ["fixed", "temporary", "referred", "wish_done", "thanks"]
    text = replies.render("temporary", "zh", world.case) or ""
    assert world.case.tracking_code in text and world.studio.name_zh in text


def test_an_admin_edits_a_shared_template_and_the_case_page_offers_the_new_text(
        signed_in, world: World) -> None:
    fixed = _template("fixed")
    admin = signed_in("admin")
    assert admin.get(f"/desk/settings/replies/{fixed.id}").status_code == 200
    response = admin.post(f"/desk/settings/replies/{fixed.id}",
                          _fields(fixed, text_zh="修好了：{title}（{code}）"))
    assert response.status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "reply_template.update"))
    assert entry is not None and entry.after == {"text_zh": "修好了：{title}（{code}）"}
    assert entry.before["text_zh"].startswith("您好！")
    walk(world.case, world, "check_work")
    db.session.commit()
    page = signed_in("coordinator").get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    assert f'data-text="修好了：{world.case.title}（{world.case.tracking_code}）"' in page


@pytest.mark.parametrize(("text", "named"), [
    ("您好{name}", "{name}"), ("{title.__class__}", "{title.__class__}"),
    ("{title!r}", "{title!r}"), ("{title:>99999999}", "{title:&gt;99999999}"),
])
def test_an_unknown_placeholder_is_refused_naming_it(signed_in, world: World, text: str,
                                                     named: str) -> None:
    fixed = _template("fixed")
    response = signed_in("admin").post(f"/desk/settings/replies/{fixed.id}",
                                       _fields(fixed, text_en=text, label_zh="留下的名字"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and named in page and "留下的名字" in page
    assert _template("fixed").version == 1


def test_an_unclosed_brace_is_refused_in_english_too(signed_in, world: World) -> None:
    fixed = _template("fixed")
    admin = signed_in("admin")
    admin.post("/language", {"lang": "en", "next": "/"})
    response = admin.post(f"/desk/settings/replies/{fixed.id}", _fields(fixed, text_zh="{title"))
    assert response.status_code == 422
    assert "A brace { or } is not closed" in response.get_data(as_text=True)


def test_a_second_editor_sees_what_changed_and_nothing_is_overwritten(signed_in,
                                                                      world: World) -> None:
    fixed = _template("fixed")
    admin = signed_in("admin")
    url = f"/desk/settings/replies/{fixed.id}"
    assert admin.post(url, _fields(fixed, label_en="Repaired")).status_code == 302
    response = admin.post(url, _fields(fixed, sort_order="1"))  # still at version 1
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and 'data-field="label_en"' in page
    assert "Repaired" in page
    assert _template("fixed").sort_order == 10


def test_a_retired_template_is_no_longer_offered_and_its_code_is_refused(
        signed_in, world: World) -> None:
    thanks = _template("thanks")
    assert signed_in("admin").post(f"/desk/settings/replies/{thanks.id}",
                                   _fields(thanks, active=None)).status_code == 302
    assert not _template("thanks").active
    assert "thanks" not in [t.code for t in replies.offered(world.case)]
    assert replies.render("thanks", "zh", world.case) is None


def test_a_coordinator_writes_their_studios_own_template(signed_in, app, world: World
                                                        ) -> None:
    desk = signed_in("coordinator")
    assert desk.post("/desk/settings/replies/new", _fields(shared="y")).status_code == 302
    ours = _template("ours")
    assert ours.studio_id == world.studio.id  # a coordinator cannot make a shared one
    assert "ours" in [t.code for t in replies.offered(world.case)]
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "reply_template.create"))
    fixed = _template("fixed")
    assert desk.get(f"/desk/settings/replies/{fixed.id}").status_code == 403
    assert desk.post(f"/desk/settings/replies/{fixed.id}", _fields(fixed)).status_code == 403
    taken = desk.post("/desk/settings/replies/new", _fields(label_zh="又一个"))
    assert taken.status_code == 422 and "又一个" in taken.get_data(as_text=True)
    other = gen_user(Role.COORDINATOR, studio=gen_studio(world.region))
    db.session.commit()
    client = WebClient(app)
    client.login(other.username)
    assert client.get(f"/desk/settings/replies/{ours.id}").status_code == 403
    assert "我们的回复" not in client.get("/desk/settings/replies").get_data(as_text=True)


@pytest.mark.parametrize("who", ["volunteer", "captain"])
def test_field_roles_cannot_reach_the_reply_settings(signed_in, world: World, who: str
                                                     ) -> None:
    client = signed_in(who)
    assert client.get("/desk/settings/replies").status_code == 403
    assert client.post("/desk/settings/replies/new", _fields()).status_code == 403


@pytest.mark.parametrize(("field", "value"), [
    ("sort_order", "1e300"), ("sort_order", "99999999999"), ("code", "a b"), ("label_zh", ""),
    ("text_zh", ""), ("version", "NaN"),
])
def test_bad_template_input_is_a_form_error(signed_in, world: World, field: str, value: str
                                            ) -> None:
    response = signed_in("admin").post("/desk/settings/replies/new",
                                       _fields(label_en="Kept", **{field: value}))
    assert response.status_code == 422 and 'value="Kept"' in response.get_data(as_text=True)
    assert db.session.scalar(select(ReplyTemplate).where(ReplyTemplate.code == "ours")) is None
