"""Where a check-in was made: the distance from the phone's position to the site, and
whether it is farther than CHECKIN_FAR_M (recorded and flagged, never refused). Shared by
a case's "on site" and a shift's check-in."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from dispatch.geo.distance import distance_m


@dataclass(frozen=True)
class CheckinPlace:
    distance_m: float
    far: bool

    def note(self) -> str:
        where = _("Checked in %(km).1f km from the site.", km=self.distance_m / 1000)
        if self.far:
            where += " " + _("Flagged: farther than expected.")
        return where


def measure(latitude: float, longitude: float, site_latitude: float,
            site_longitude: float) -> CheckinPlace:
    distance = distance_m(latitude, longitude, site_latitude, site_longitude)
    return CheckinPlace(distance, distance > current_app.config["CHECKIN_FAR_M"])
