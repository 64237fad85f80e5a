"""QR posters: each service point's and studio's poster carries a QR code of the report
form with the place already set, and that link opens the form with the pin placed."""

from __future__ import annotations

import html
import re

from dispatch.extensions import db
from dispatch.models import ServicePoint, ServicePointKind
from tests.factories import World


def test_a_service_points_poster_opens_the_report_form_at_its_place(signed_in, web,
                                                                    world: World) -> None:
    point = ServicePoint(code="bee1", kind=ServicePointKind.REST_STATION,
                         region_id=world.region.id, name_zh="书院路暖蜂益站",
                         name_en="Shuyuanlu Warm Bee station", latitude=27.8631,
                         longitude=112.9502)
    db.session.add(point)
    db.session.commit()
    desk = signed_in("coordinator")
    assert "书院路暖蜂益站" in desk.get("/desk/posters").get_data(as_text=True)
    page = desk.get(f"/desk/posters/points/{point.id}").get_data(as_text=True)
    assert "<svg" in page and "书院路暖蜂益站" in page
    url = html.unescape(re.search(r'data-testid="poster-url">([^<]+)<', page).group(1))
    assert "lat=27.863100" in url and "lon=112.950200" in url and "crs=wgs84" in url
    form = web.get(url.split("5000", 1)[1]).get_data(as_text=True)
    assert 'value="27.8631' in form and "书院路暖蜂益站" in form
    assert desk.get(f"/desk/posters/studios/{world.studio.id}").status_code == 200
