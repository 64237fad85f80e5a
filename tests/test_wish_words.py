"""A micro-wish is posted in a wish's words with a wish's categories; a hazard is reported
in a hazard's words with a hazard's categories."""

from __future__ import annotations

from dispatch.extensions import db
from tests.conftest import WebClient
from tests.factories import World, gen_category
from tests.test_reports import SPOT


def kinds_world(world: World) -> tuple[str, str, str]:
    wish = gen_category(kind="wish", name_en="Help for older residents", name_zh="助老心愿")
    hazard = gen_category(kind="hazard", name_en="Broken railing", name_zh="栏杆损坏")
    both = gen_category(kind=None, name_en="Anything else", name_zh="其他事项")
    db.session.commit()
    return wish.code, hazard.code, both.code


def test_step_one_offers_each_kind_its_own_categories(web: WebClient, world: World) -> None:
    wish, hazard, both = kinds_world(world)
    wish_page = web.get("/report?kind=wish").get_data(as_text=True)
    assert f'value="{wish}"' in wish_page and f'value="{both}"' in wish_page
    assert f'value="{hazard}"' not in wish_page
    assert "我要反映" not in wish_page.split("<main", 1)[-1].split("</h1>")[0]
    hazard_page = web.get("/report?kind=hazard").get_data(as_text=True)
    assert f'value="{hazard}"' in hazard_page and f'value="{wish}"' not in hazard_page


def test_a_wish_is_posted_in_the_words_of_a_wish(web: WebClient, world: World) -> None:
    wish, _hazard, _both = kinds_world(world)
    page = web.get(f"/report/details?kind=wish&category={wish}&lat={SPOT[0]}&lon={SPOT[1]}"
                   ).get_data(as_text=True)
    for hazard_words in ("我要反映", "问题描述", "提交反映"):
        assert hazard_words not in page.split("</header>", 1)[-1]
    assert "发布心愿" in page


def test_a_category_of_the_other_kind_is_refused(web: WebClient, world: World) -> None:
    _wish, hazard, _both = kinds_world(world)
    response = web.get(f"/report/details?kind=wish&category={hazard}&lat={SPOT[0]}"
                       f"&lon={SPOT[1]}")
    assert response.status_code == 400
