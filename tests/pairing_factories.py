"""Builders for households and pairings (beside factories.py, to merge without conflict)."""

from __future__ import annotations

from typing import Any

from dispatch.models import Household, Pairing, User
from dispatch.services.standing import pairings


def gen_household(coordinator: User, **kw: Any) -> Household:
    data = {"label": "燕庄小区 3号楼", "address": "燕庄小区3号楼2单元502室",
            "latitude": 27.8655, "longitude": 112.9468, "people": "王秀兰（78岁，独居）",
            "needs": "腿脚不便，需要代买药品", "contact_name": "王建军（儿子）",
            "contact_phone": "13912345678", **kw}
    return pairings.add_household(pairings.HouseholdData(**data), coordinator)


def gen_pairing(coordinator: User, member: User, rhythm_days: int = 7, **kw: Any) -> Pairing:
    return pairings.pair(gen_household(coordinator, **kw), member, rhythm_days, coordinator)
