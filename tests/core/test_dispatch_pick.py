"""Dispatch strategies as a pure choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.lifecycle.dispatch import STRATEGIES, Candidate, pick

T0 = datetime(2026, 11, 24, 9, tzinfo=UTC)


def c(
    uid: int, load: int = 0, minutes_ago: int | None = None, skills: tuple[str, ...] = ()
) -> Candidate:
    last = None if minutes_ago is None else T0 - timedelta(minutes=minutes_ago)
    return Candidate(uid, frozenset(skills), load, last)


def test_manual_and_empty_pick_nobody() -> None:
    assert pick("manual", [c(1)], "x") is None
    assert pick("least_load", [], "x") is None


def test_round_robin_prefers_never_assigned_then_longest_wait() -> None:
    assert pick("round_robin", [c(1, minutes_ago=5), c(2), c(3, minutes_ago=50)], "x") == 2
    assert pick("round_robin", [c(1, minutes_ago=5), c(3, minutes_ago=50)], "x") == 3


def test_least_load_then_wait_then_id() -> None:
    assert pick("least_load", [c(1, load=3), c(2, load=1), c(3, load=2)], "x") == 2
    assert pick("least_load", [c(1, load=1, minutes_ago=1), c(2, load=1, minutes_ago=9)], "x") == 2
    assert pick("least_load", [c(4, load=0), c(2, load=0)], "x") == 2


def test_skill_match_filters_first() -> None:
    team = [c(1, load=0, skills=("plumbing",)), c(2, load=5, skills=("electrical",)), c(3, load=9)]
    assert pick("skill", team, "electrical") == 2
    assert pick("skill", [c(1, skills=("plumbing",))], "electrical") is None
    assert pick("skill", team, "it") == 3  # empty skills take any kind


candidates = st.lists(
    st.builds(
        c,
        st.integers(1, 30),
        st.integers(0, 10),
        st.one_of(st.none(), st.integers(0, 600)),
        st.tuples(*[st.sampled_from(["a", "b"])] * 1) | st.just(()),
    ),
    max_size=8,
    unique_by=lambda x: x.user_id,
)


@given(st.sampled_from(STRATEGIES), candidates, st.sampled_from(["a", "b", "c"]))
def test_pick_is_one_of_the_candidates_and_respects_skills(
    strategy: str, pool: list[Candidate], kind: str
) -> None:
    chosen = pick(strategy, pool, kind)
    if chosen is None:
        return
    person = next(p for p in pool if p.user_id == chosen)
    if strategy == "skill":
        assert not person.skills or kind in person.skills
    if strategy in ("least_load", "skill"):
        eligible = [p for p in pool if strategy != "skill" or not p.skills or kind in p.skills]
        assert person.open_load == min(p.open_load for p in eligible)
