"""Ready replies to the resident, in Chinese and in English, from the ``reply_templates``
table (edited on the desk: ``services/desk/reply_settings.py``).

The coordinator picks one on the case page; a script copies its text into the reply box to
be edited. Without the script, choosing a template and leaving the box empty sends the
template as it is. Placeholders (``{title}``, ``{assignee}``, ``{studio}``, ``{code}``) are
filled from the case; the texts are the studio's own words, so they are data rather than
interface strings for the translation catalogue. A case is offered the active templates
shared by every studio and those of its own studio.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from dispatch.extensions import db
from dispatch.models import Case, ReplyTemplate

LANGUAGES = ("zh", "en")
PLACEHOLDERS = ("title", "assignee", "studio", "code")

# The five texts every studio started with; the migration seeds the same rows, and
# ``seed_defaults`` fills a database made without migrations (tests, the demo).
DEFAULTS: tuple[dict[str, str], ...] = (
    {"code": "fixed", "label_zh": "已修复", "label_en": "Fixed",
     "text_zh": "您好！您反映的“{title}”已由{assignee}处理完毕，感谢您对社区的关心。"
                "如仍有问题，请在本页反馈，我们会再次跟进。——{studio}",
     "text_en": "Hello! The problem you reported, “{title}”, has been fixed by {assignee}. "
                "Thank you for caring about the neighbourhood. If anything is still wrong, "
                "tell us on this page and we will follow up. — {studio}"},
    {"code": "temporary", "label_zh": "已临时处置", "label_en": "Made safe for now",
     "text_zh": "您好！“{title}”已由{assignee}先行做了临时处置，彻底修复需要协调相关单位，"
                "我们会继续跟进并在本页更新进展（查询码 {code}）。——{studio}",
     "text_en": "Hello! {assignee} has made “{title}” safe for now. A lasting repair needs "
                "other bodies to act; we are following it up and will post progress on this "
                "page (tracking code {code}). — {studio}"},
    {"code": "referred", "label_zh": "已转交职能部门", "label_en": "Passed to the responsible body",
     "text_zh": "您好！经核实，“{title}”属于相关职能部门的职责范围，我们已转交并督促办理，"
                "结果会在本页告知您。——{studio}",
     "text_en": "Hello! We checked “{title}”: it is the responsibility of another public "
                "body. We have passed it on and will press for it to be handled; the result "
                "will be posted on this page. — {studio}"},
    {"code": "wish_done", "label_zh": "微心愿已实现", "label_en": "Micro-wish fulfilled",
     "text_zh": "您好！您的微心愿“{title}”已由{assignee}帮您实现，祝您生活愉快！——{studio}",
     "text_en": "Hello! Your micro-wish “{title}” has been fulfilled by {assignee}. "
                "All the best! — {studio}"},
    {"code": "thanks", "label_zh": "感谢反映", "label_en": "Thanks for reporting",
     "text_zh": "感谢您反映“{title}”！问题已处理，欢迎继续通过“码上办”反映身边的问题。——{studio}",
     "text_en": "Thank you for reporting “{title}”! It has been dealt with; please keep "
                "telling us about problems around you. — {studio}"},
)


def seed_defaults() -> int:
    """Add the default templates missing by code; how many were added."""
    have = set(db.session.scalars(select(ReplyTemplate.code)))
    added = 0
    for order, row in enumerate(DEFAULTS, start=1):
        if row["code"] not in have:
            db.session.add(ReplyTemplate(sort_order=order * 10, **row))
            added += 1
    db.session.flush()
    return added


def offered(case: Case) -> list[ReplyTemplate]:
    """The active templates for this case: shared ones and its studio's own, in order."""
    mine = ReplyTemplate.studio_id.is_(None)
    if case.studio_id is not None:
        mine = or_(mine, ReplyTemplate.studio_id == case.studio_id)
    return list(db.session.scalars(select(ReplyTemplate).where(ReplyTemplate.active, mine)
                                   .order_by(ReplyTemplate.sort_order, ReplyTemplate.code)))


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(text: str, language: str, case: Case) -> str:
    """``text`` with the case's placeholders filled; a text that is not a valid template
    (saved before the check, or by hand) is given back as written rather than failing."""
    studio = case.studio
    team, volunteer = case.assigned_team, case.assigned_volunteer
    assignee_en = team.name_en if team else volunteer.display_name if volunteer else ""
    assignee_zh = team.name_zh if team else volunteer.display_name if volunteer else ""
    values = _Blank(
        title=case.title, code=case.tracking_code,
        assignee=(assignee_en or "our volunteers") if language == "en"
        else (assignee_zh or "志愿者"),
        studio=(studio.name_en if language == "en" else studio.name_zh) if studio else "")
    try:
        return text.format_map(values)
    except (ValueError, KeyError, AttributeError, IndexError):
        return text


def render(code: str, language: str, case: Case) -> str | None:
    """The template's text for this case, or None for an unknown or retired code, another
    studio's template, or an unknown language."""
    if language not in LANGUAGES:
        return None
    template = next((t for t in offered(case) if t.code == code), None)
    if template is None:
        return None
    return fill(template.text(language), language, case)


def choices(case: Case) -> list[tuple[str, str, str]]:
    """(value, label, text) for the select: every offered template in both languages."""
    return [(f"{t.code}.{language}", f"{t.label} · {'中文' if language == 'zh' else 'English'}",
             fill(t.text(language), language, case))
            for t in offered(case) for language in LANGUAGES]


def parse(value: str) -> tuple[str, str]:
    """``"fixed.en"`` → ("fixed", "en"); a bare code means Chinese, the default."""
    code, _sep, language = (value or "").partition(".")
    return code, language or "zh"
