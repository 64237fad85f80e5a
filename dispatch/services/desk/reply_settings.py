"""The ready replies' settings: code, labels and texts in Chinese and English, the order
they are offered in, offered or retired. A template with no studio is every studio's
(admins change those); a studio's own templates are changed by its coordinators too. The
texts may use only the case's placeholders (``replies.PLACEHOLDERS``): an unknown ``{x}``
is refused naming it, so a resident never sees a brace or an empty gap the author did not
mean. Writes go through ``versioned``."""

from __future__ import annotations

import string
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models import ReplyTemplate, Role, User
from dispatch.services.cases.replies import PLACEHOLDERS
from dispatch.services.desk import place_checks as check
from dispatch.services.desk import versioned
from dispatch.services.errors import InvalidInput, NotPermitted

FIELDS = ("label_zh", "label_en", "text_zh", "text_en", "sort_order", "active")
ACTION = "reply_template.update"
MAX_TEXT = 2000
MAX_ORDER = 10_000


def may_edit(user: User, template: ReplyTemplate) -> bool:
    if user.role is Role.ADMIN:
        return True
    return (user.role is Role.COORDINATOR and template.studio_id is not None
            and template.studio_id == user.studio_id)


def values_of(template: ReplyTemplate) -> dict[str, Any]:
    return {name: getattr(template, name) for name in FIELDS}


def placeholders_checked(text: str, field: str) -> str:
    """``text`` if every ``{…}`` in it is a known placeholder, written plainly."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise InvalidInput(field, _("A brace { or } is not closed. Write a placeholder as "
                                    "{title}, or a brace itself as {{ or }}.")) from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise InvalidInput(field, _(
                "Unknown placeholder “{%(name)s}”. Use only %(known)s.",
                name=(name + (f"!{conversion}" if conversion else "")
                      + (f":{spec}" if spec else ""))[:40],
                known=" ".join(f"{{{p}}}" for p in PLACEHOLDERS)))
    return text


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    label_zh = (values.get("label_zh") or "").strip()
    if not label_zh:
        raise InvalidInput("label_zh", _("Please give the Chinese name."))
    text_zh = (values.get("text_zh") or "").strip()
    if not text_zh:
        raise InvalidInput("text_zh", _("Please write the Chinese text."))
    text_en = (values.get("text_en") or "").strip()
    for name, text in (("text_zh", text_zh), ("text_en", text_en)):
        if len(text) > MAX_TEXT:
            raise InvalidInput(name, _("At most %(n)d characters.", n=MAX_TEXT))
        placeholders_checked(text, name)
    order = values.get("sort_order")
    if not isinstance(order, int) or not 0 <= order <= MAX_ORDER:
        raise InvalidInput("sort_order", _("A whole number from 0 to %(n)d.", n=MAX_ORDER))
    return {"label_zh": label_zh[:60], "label_en": (values.get("label_en") or "").strip()[:120],
            "text_zh": text_zh, "text_en": text_en, "sort_order": order}


def update_template(template: ReplyTemplate, user: User, expected_version: int,
                    values: dict[str, Any]) -> ReplyTemplate:
    if not may_edit(user, template):
        raise NotPermitted("settings")
    clean = _checked(values)
    clean["active"] = bool(values.get("active"))
    return versioned.save(template, user, expected_version, clean, action=ACTION,
                          fields=FIELDS, values_of=values_of)


def create_template(user: User, values: dict[str, Any], shared: bool) -> ReplyTemplate:
    """A new template: every studio's (``shared``, admins only) or the user's studio's."""
    if user.role is not Role.ADMIN and (shared or user.studio_id is None):
        raise NotPermitted("settings")
    clean = _checked(values)
    template = ReplyTemplate(code=check.code(values.get("code")),
                             studio_id=None if shared else user.studio_id, **clean)
    try:
        with db.session.begin_nested():  # the unique code decides a race, not a lookup
            versioned.created(template, user, "reply_template.create", values_of)
    except IntegrityError:
        raise InvalidInput("code", _("This code is taken.")) from None
    return template


def listed(user: User) -> list[ReplyTemplate]:
    """Admins see every template; a coordinator the shared ones and their studio's."""
    query = select(ReplyTemplate).order_by(ReplyTemplate.active.desc(),
                                           ReplyTemplate.sort_order, ReplyTemplate.code)
    if user.role is not Role.ADMIN:
        query = query.where(or_(ReplyTemplate.studio_id.is_(None),
                                ReplyTemplate.studio_id == user.studio_id))
    return list(db.session.scalars(query))
