"""The board's remembered filters, kept in the signed session cookie.

Why the session and not a table: the filters are a view's state, not the studio's data
(nothing else reads them, no audit), they are a few short strings, the cookie is signed so
nobody else's filters can be planted, and no migration or model change is needed. Signing
out forgets them; they are stored with the user's id so a shared browser never hands one
coordinator's filters to the next. Whatever is restored is read again by the filter form,
which drops any value that is no longer a choice (a retired category, a removed studio).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from dispatch.views.params import ANY_CONTROL

KEY = "board_filters"
FIELDS = ("status", "kind", "category", "region", "studio", "channel", "q", "overdue")
MAX_LENGTH = 60  # the longest filter value (the search box)


def _clean(args: object) -> dict[str, str]:
    if not isinstance(args, dict):
        return {}
    return {key: value for key, value in args.items()
            if key in FIELDS and isinstance(value, str) and value
            and len(value) <= MAX_LENGTH and not ANY_CONTROL.search(value)}


def keep(session: MutableMapping[str, Any], user_id: int, args: dict[str, str]) -> None:
    cleaned = _clean(args)
    entry = {"user": user_id, "args": cleaned}
    if session.get(KEY) != entry:  # an unchanged session is not written out again
        session[KEY] = entry


def restore(session: MutableMapping[str, Any], user_id: int) -> dict[str, str]:
    """The remembered filters of this user, cleaned; {} when there are none."""
    entry = session.get(KEY)
    if not isinstance(entry, dict) or entry.get("user") != user_id:
        return {}
    return _clean(entry.get("args"))


def forget(session: MutableMapping[str, Any]) -> None:
    session.pop(KEY, None)
