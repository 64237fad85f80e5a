"""Where a form may send the user back to: only a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a same-site path, else None. Never another host (``//evil``,
    ``/\\evil``, a scheme), and never a control character: a CR or LF would split the
    Location header, a NUL would break it."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
