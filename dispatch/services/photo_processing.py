"""The worker's half of a photo: the upload a filing accepted (checked by content, kept
unserved) is decoded, re-encoded without metadata and thumbnailed, and its row says so.

Only a "ready" row's files are served (``views/public/report.py``); the state changes by a
conditional UPDATE from "pending", so two runs of the job at once change it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from dispatch.extensions import db
from dispatch.models import CasePhoto, utcnow
from dispatch.services.photos import make_thumbnail, process_pending, upload_dir


def process_photo(key: str) -> str:
    """Process the pending photo ``key``; returns its state afterwards ("ready",
    "refused"), or "gone" when no row has that key (its filing was rolled back, and its
    files with it). Idempotent: a photo no longer pending is left as it is (a ready one
    gets its thumbnail back if that file went missing). Flushes; the caller commits."""
    photo = db.session.scalar(select(CasePhoto).where(CasePhoto.key == key))
    if photo is None:
        return "gone"
    if photo.state != "pending":
        if photo.state == "ready":
            make_thumbnail(upload_dir(), key)
        return photo.state
    try:
        stored = process_pending(upload_dir(), key)
    except FileNotFoundError:
        stored = None  # neither the upload nor an image: nothing can ever be shown
    if stored is None:  # not decodable after all: off every page, the desk's included
        values: dict[str, object] = {"state": "refused", "hidden": True}
    else:
        values = {"state": "ready", "width": stored.width, "height": stored.height,
                  "size_bytes": stored.size_bytes}
    db.session.execute(update(CasePhoto).where(CasePhoto.key == key,
                                               CasePhoto.state == "pending").values(**values))
    db.session.flush()
    db.session.expire(photo)
    return str(values["state"])


def waiting_too_long(older_than: timedelta = timedelta(minutes=2), limit: int = 500,
                     now: datetime | None = None) -> list[str]:
    """Photos still pending a while after they were filed: their job was lost (Redis was
    down at commit, or flushed) and nobody has looked at them since."""
    cutoff = (now or utcnow()) - older_than
    return list(db.session.scalars(select(CasePhoto.key).where(
        CasePhoto.state == "pending", CasePhoto.created_at < cutoff)
        .order_by(CasePhoto.id).limit(limit)))
