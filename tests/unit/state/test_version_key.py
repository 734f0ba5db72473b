"""version_key: plain string comparison must order events exactly as (occurred_at, event_id) does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.state.register import version_key

UTC = timezone.utc
BEIJING = timezone(timedelta(hours=8))
NEW_YORK = timezone(timedelta(hours=-5))


def test_the_key_is_twenty_digits_of_microseconds_a_bar_and_the_event_id() -> None:
    assert version_key(datetime(1, 1, 1, tzinfo=UTC), "e") == "00000000000000000000|e"
    assert version_key(datetime(1, 1, 1, 0, 0, 1, 5, tzinfo=UTC), "e") == "00000000000001000005|e"


def test_events_order_by_the_instant_whatever_their_offsets() -> None:
    instants = [
        datetime(2025, 3, 3, 9, 30, tzinfo=BEIJING),  # 01:30Z
        datetime(2025, 3, 2, 21, 0, tzinfo=NEW_YORK),  # 02:00Z, a calendar day earlier
        datetime(2025, 3, 3, 2, 0, 0, 1, tzinfo=UTC),
        datetime(2025, 3, 3, 10, 30, tzinfo=BEIJING),  # 02:30Z
    ]
    keys = [version_key(instant, "z") for instant in instants]
    assert keys == sorted(keys)
    assert sorted(keys, reverse=True) != keys


def test_the_same_instant_in_two_offsets_is_the_same_key() -> None:
    assert version_key(datetime(2025, 3, 3, 9, 30, tzinfo=BEIJING), "e") == version_key(
        datetime(2025, 3, 3, 1, 30, tzinfo=UTC), "e"
    )


def test_ties_are_broken_by_the_event_id() -> None:
    at = datetime(2025, 3, 3, 9, 30, tzinfo=BEIJING)
    ids = ["dingtalk:b", "dingtalk:a", "dingtalk:a2", "feishu:1", "dingtalk:"]
    assert sorted(version_key(at, i) for i in ids) == [version_key(at, i) for i in sorted(ids)]
    assert version_key(at, "zzz") < version_key(at + timedelta(microseconds=1), "a")


def test_years_1900_to_9998_sort_as_their_instants() -> None:
    instants = [
        datetime(year, month, 28, hour, tzinfo=zone)
        for year in (1900, 1901, 1969, 1970, 1999, 2000, 2038, 2262, 5000, 9998)
        for month, hour, zone in ((1, 0, UTC), (12, 23, BEIJING), (6, 12, NEW_YORK))
    ]
    keys = [version_key(instant, "e") for instant in instants]
    assert [key for _, key in sorted(zip(instants, keys, strict=True))] == sorted(keys)
    assert all(len(key.split("|")[0]) == 20 for key in keys)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        version_key(datetime(2025, 3, 3, 9, 30), "e")


OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
EVENTS = st.tuples(
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30), timezones=OFFSETS),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
)


@given(EVENTS, EVENTS)
def test_string_order_is_the_order_of_instant_then_event_id(
    first: tuple[datetime, str], second: tuple[datetime, str]
) -> None:
    as_tuples = (first[0], first[1]) < (second[0], second[1])
    assert (version_key(*first) < version_key(*second)) == as_tuples
    assert (version_key(*first).encode() < version_key(*second).encode()) == as_tuples  # Tablestore's byte order
