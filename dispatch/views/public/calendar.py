"""A volunteer's calendar feed at its secret address (no sign-in: the phone's calendar
app fetches it). An unknown or revoked address is a plain 404."""

from __future__ import annotations

from flask import abort
from werkzeug.wrappers import Response

from dispatch.services.standing import calendar
from dispatch.views.public.blueprint import bp


@bp.get("/cal/<token>.ics")
def calendar_feed(token: str) -> Response:
    user = calendar.owner_of(token)
    if user is None:
        abort(404)
    return Response(calendar.feed_for(user), mimetype="text/calendar",
                    headers={"Cache-Control": "private, max-age=300",
                             "Content-Disposition": 'inline; filename="dispatch.ics"',
                             "Referrer-Policy": "no-referrer"})
