"""Suggested responders: nearest first, skills, duty and load counted, the unavailable left
out, and the spatial index search agreeing with a scan of everyone."""

from __future__ import annotations

import math
import random

from dispatch.extensions import db
from dispatch.models import Case, Role, Team, User, VolunteerProfile
from dispatch.services.cases import lifecycle
from dispatch.services.responders import suggest as dispatching
from dispatch.services.responders.suggest import _Found, _score, suggest
from tests.factories import World, gen_case, gen_team, gen_user, take_step

FAR = (28.20, 113.05)  # about 40 km from the world's team and volunteers


def at(lat: float, lon: float, metres_north: float = 0.0,
       metres_east: float = 0.0) -> tuple[float, float]:
    return (lat + metres_north / 111_320,
            lon + metres_east / (111_320 * math.cos(math.radians(lat))))


def volunteer_at(world: World, point: tuple[float, float], *, skills: list[str] | None = None,
                 on_duty: bool = True, active: bool = True, team: Team | None = None) -> User:
    user = gen_user(Role.VOLUNTEER, team=team, active=active)
    assert user.profile is not None
    user.profile.latitude, user.profile.longitude = point
    user.profile.skills = ["repair"] if skills is None else skills
    user.profile.on_duty = on_duty
    return user


def far_case(world: World) -> Case:
    case = gen_case(world.category, world.studio, latitude=FAR[0], longitude=FAR[1])
    lifecycle.receive(case, world.desk())
    return case


def test_nearer_volunteers_come_first_with_the_distance_in_the_reason(world: World) -> None:
    case = far_case(world)
    third = volunteer_at(world, at(*FAR, metres_north=3000))
    first = volunteer_at(world, at(*FAR, metres_east=200))
    second = volunteer_at(world, at(*FAR, metres_north=-1200))
    db.session.commit()
    found = suggest(case, limit=3)
    assert [s.key for s in found] == [f"user:{first.id}", f"user:{second.id}",
                                      f"user:{third.id}"]
    assert 190 < found[0].distance_m < 210 and "200" in found[0].reason
    assert "1.2" in found[1].reason
    assert "设施维修" in found[0].reason  # the matching skill, by its label


def test_off_duty_and_inactive_people_and_inactive_teams_are_left_out(world: World) -> None:
    case = far_case(world)
    off = volunteer_at(world, at(*FAR, metres_east=50), on_duty=False)
    gone = volunteer_at(world, at(*FAR, metres_east=60), active=False)
    closed = gen_team(world.region, latitude=FAR[0], longitude=FAR[1], active=False)
    kept = volunteer_at(world, at(*FAR, metres_east=900))
    db.session.commit()
    keys = [s.key for s in suggest(case, limit=10)]
    assert f"user:{kept.id}" == keys[0]
    assert f"user:{off.id}" not in keys and f"user:{gone.id}" not in keys
    assert f"team:{closed.id}" not in keys


def test_a_matching_skill_outranks_a_slightly_nearer_stranger(world: World) -> None:
    case = far_case(world)
    stranger = volunteer_at(world, at(*FAR, metres_east=300), skills=["greening"])
    skilled = volunteer_at(world, at(*FAR, metres_east=1500), skills=["repair", "road"])
    db.session.commit()
    found = suggest(case, limit=2)
    assert [s.key for s in found] == [f"user:{skilled.id}", f"user:{stranger.id}"]
    assert found[0].skills == ("repair",) and found[1].skills == ()
    assert found[1].score > found[0].score


def test_open_work_in_hand_is_counted_and_ranks_lower(world: World) -> None:
    case = far_case(world)
    busy = volunteer_at(world, at(*FAR, metres_east=200))
    free = volunteer_at(world, at(*FAR, metres_east=900))
    db.session.flush()
    for _ in range(2):
        other = gen_case(world.category, world.studio, latitude=FAR[0], longitude=FAR[1])
        take_step(other, "receive", world)
        take_step(other, "assign", world, team=None, volunteer=busy)
    db.session.commit()
    found = {s.key: s for s in suggest(case, limit=5)}
    assert found[f"user:{busy.id}"].open_work == 2 and found[f"user:{free.id}"].open_work == 0
    ranked = [s.key for s in suggest(case, limit=5)]
    assert ranked.index(f"user:{free.id}") < ranked.index(f"user:{busy.id}")


def test_a_team_is_on_duty_when_any_member_is(world: World) -> None:
    case = far_case(world)
    idle = gen_team(world.region, latitude=FAR[0], longitude=FAR[1] + 0.001)
    ready = gen_team(world.region, latitude=FAR[0], longitude=FAR[1] + 0.02)
    db.session.flush()
    volunteer_at(world, at(0, 0), team=idle, on_duty=False)
    volunteer_at(world, at(0, 0), team=ready, on_duty=True)
    db.session.commit()
    found = {s.key: s for s in suggest(case, limit=10) if s.is_team}
    assert not found[f"team:{idle.id}"].on_duty and found[f"team:{ready.id}"].on_duty
    ranked = [key for key in found]
    assert ranked.index(f"team:{ready.id}") < ranked.index(f"team:{idle.id}")


def test_reassigning_does_not_suggest_the_current_assignee(world: World) -> None:
    take_step(world.case, "receive", world)
    take_step(world.case, "assign", world)
    db.session.commit()
    keys = [s.key for s in suggest(world.case, limit=10)]
    assert f"team:{world.team.id}" not in keys and f"team:{world.outsider_team.id}" in keys


def test_the_index_search_finds_the_same_as_scoring_everyone(world: World) -> None:
    case = far_case(world)
    rng = random.Random(5)
    for _ in range(300):  # spread over ~60 km, some busy, some without the skill
        point = at(*FAR, metres_north=rng.gauss(0, 15_000), metres_east=rng.gauss(0, 15_000))
        volunteer_at(world, point, skills=rng.choice([["repair"], ["greening"], []]),
                     on_duty=rng.random() < 0.8)
    db.session.commit()
    everyone = db.session.execute(
        db.select(User, VolunteerProfile).join(VolunteerProfile)
        .where(VolunteerProfile.on_duty.is_(True), User.active.is_(True))).all()
    found = [_Found(f"user:{u.id}", u.id, u.display_name, False, p.latitude, p.longitude,
                    tuple(p.skills), True) for u, p in everyone] + \
        dispatching._teams(case)
    loads = dispatching.open_work([f.id for f in found if f.is_team],
                                  [f.id for f in found if not f.is_team])
    for limit in (1, 5, 12):
        expected = [s.key for s in _score(case, found, loads)[:limit]]
        assert [s.key for s in suggest(case, limit=limit)] == expected


def test_the_assignment_dropdown_lists_teams_and_the_nearest_volunteers(world: World) -> None:
    keys = [c.key for c in dispatching.candidates(world.case)]
    assert f"team:{world.team.id}" in keys and f"user:{world.member.id}" in keys
    assert f"user:{world.coordinator.id}" not in keys


def test_the_one_statement_open_work_agrees_with_the_grouped_counts_on_edge_cases(
        world: World) -> None:
    """The open work read with each volunteer (correlated COUNTs) is the same as
    ``open_work``'s grouped COUNTs, and the ranking the same as scoring everyone: volunteers
    who handle a case, are assigned one nobody handles, are assigned one someone else
    handles (not theirs), ties at one spot, off duty, inactive, and a coordinator with a
    profile (not a field role) all near the case."""
    from dispatch.models import AssignmentStatus, CaseStatus

    case = far_case(world)
    rng = random.Random(11)
    spot = at(*FAR, metres_east=700)
    crowd = [volunteer_at(world, spot if n % 4 == 0 else
                          at(*FAR, metres_north=rng.gauss(0, 2000), metres_east=rng.gauss(0, 2000)),
                          skills=rng.choice([["repair"], ["greening"], [], ["road", "repair"]]),
                          on_duty=rng.random() < 0.85, active=rng.random() < 0.95)
             for n in range(80)]
    desk = gen_user(Role.COORDINATOR)
    db.session.add(VolunteerProfile(user=desk, latitude=FAR[0], longitude=FAR[1],
                                    skills=["repair"], on_duty=True))
    db.session.flush()
    for n in range(40):  # open work: handled, assigned with nobody handling, someone else's
        holder, other = rng.choice(crowd), rng.choice(crowd)
        work = gen_case(world.category, world.studio, latitude=FAR[0], longitude=FAR[1])
        work.status, work.assignment_status = CaseStatus.HANDLING, AssignmentStatus.ASSIGNED
        work.assigned_volunteer_id = holder.id
        work.handled_by_id = (None, holder.id, other.id)[n % 3]
    db.session.commit()
    read = {f.key: f.load for f in dispatching._volunteers(case, 1000, with_load=True)}
    counted = dispatching.open_work([], [int(k.split(":")[1]) for k in read])
    assert read and {k: n for k, n in read.items() if n} == counted
    assert f"user:{desk.id}" not in read
    assert all(not (u.active and u.profile and u.profile.on_duty) for u in crowd
               if f"user:{u.id}" not in read)
    everyone = [_Found(f"user:{u.id}", u.id, u.display_name, False, u.profile.latitude,
                       u.profile.longitude, tuple(u.profile.skills), True)
                for u in crowd if u.active and u.profile and u.profile.on_duty]
    found = everyone + dispatching._teams(case)
    loads = dispatching.open_work([f.id for f in found if f.is_team],
                                  [f.id for f in found if not f.is_team])
    for limit in (1, 3, 10, 25):
        expected = [(s.key, s.open_work) for s in _score(case, found, loads)[:limit]]
        assert [(s.key, s.open_work) for s in suggest(case, limit=limit)] == expected
