"""The numbers behind the Statistics view, on caches with known contents."""

from __future__ import annotations

from inspector.core import State, actions, open_cache
from inspector.core.model import Entry
from inspector.core.stats import compute
from tests.glance_service import GlanceService

NOW = 1_800_000_000.0
H = 3600.0
D = 86400.0


def cached(i: int, size: int, hits: int | None, accessed_ago: float) -> Entry:
    return Entry(f"img-{i:02d}", State.CACHED, size, hits, NOW - accessed_ago, NOW - 90 * D)


KNOWN = [
    cached(1, 500, 0, 10),  # < 1 h
    cached(2, 4000, 1, 2 * H),  # 1 h–1 d
    cached(3, 300, 3, 2 * D),  # 1–7 d
    cached(4, 2000, 7, 10 * D),  # 1–4 w
    cached(5, 100, 20, 40 * D),  # 1–3 mo
    cached(6, 900, 60, 200 * D),  # 3–12 mo
    cached(7, 50, 500, 400 * D),  # > 1 y
    Entry("queued-1", State.QUEUED, 0, modified_ts=NOW),
    Entry("bad-1", State.INVALID, 77, modified_ts=NOW),
]


def test_empty_cache() -> None:
    s = compute([], 10_000, now=NOW)
    assert s.summary.total_size == 0
    assert s.largest == () and s.hottest == ()
    assert [b.count for b in s.hits] == [0] * 7
    assert [b.count for b in s.ages] == [0] * 7
    assert s.lru.ids == () and s.lru.evicted_ids == () and s.lru.evicted_bytes == 0
    assert s.top_decile_hit_share == 0.0


def test_largest_and_hottest() -> None:
    s = compute(KNOWN, 10_000, now=NOW, top=3)
    assert [e.id for e in s.largest] == ["img-02", "img-04", "img-06"]
    assert [e.id for e in s.hottest] == ["img-07", "img-06", "img-05"]


def test_hit_distribution() -> None:
    s = compute(KNOWN, 10_000, now=NOW)
    assert [(b.label, b.count) for b in s.hits] == [
        ("0", 1),
        ("1", 1),
        ("2–4", 1),
        ("5–9", 1),
        ("10–49", 1),
        ("50–99", 1),
        ("100+", 1),
    ]
    assert s.hits[6].ids == ("img-07",)
    assert s.hits[1].bytes == 4000
    # one entry of seven is the top decile: it carries 500 of 591 hits
    assert s.top_decile_hit_share == 500 / 591


def test_age_distribution() -> None:
    s = compute(KNOWN, 10_000, now=NOW)
    assert [b.count for b in s.ages] == [1] * 7
    assert [b.ids for b in s.ages] == [(f"img-{i:02d}",) for i in range(1, 8)]


def test_unknown_hits_are_not_zero() -> None:
    entries = [cached(1, 10, None, H), cached(2, 10, None, H), cached(3, 10, 4, H)]
    s = compute(entries, 10_000, now=NOW)
    assert s.unknown_hits == 2
    assert sum(b.count for b in s.hits) == 1
    assert s.hits[0].count == 0  # unknown is not counted as "0 hits"
    assert [e.id for e in s.hottest] == ["img-03"]


def test_never_accessed_has_no_age() -> None:
    entries = [Entry("old", State.CACHED, 10, 0, 0.0, NOW - D), cached(2, 10, 1, H)]
    s = compute(entries, 10_000, now=NOW)
    assert s.never_accessed == 1
    assert sum(b.count for b in s.ages) == 1


def test_lru_curve() -> None:
    s = compute(KNOWN, 5000, now=NOW)
    # most recent first: 1 (500), 2 (4000), 3 (300), 4 (2000) ...
    assert s.lru.ids[:3] == ("img-01", "img-02", "img-03")
    assert list(s.lru.cumulative[:3]) == [500, 4500, 4800]
    assert s.lru.cumulative[-1] == s.summary.total_size == 7850
    assert s.lru.evicted_ids == ("img-04", "img-05", "img-06", "img-07")
    assert s.lru.evicted_bytes == 3050


def test_lru_curve_beyond_the_line_is_the_prune_plan(glance: GlanceService) -> None:
    for i in range(20):
        glance.cache(f"{i:08x}-0000-4000-8000-{i:012x}", bytes(1000 * (i % 7 + 1)))
    for i in (3, 17, 5, 11, 0):
        glance.read(f"{i:08x}-0000-4000-8000-{i:012x}")
    cache = open_cache(glance.path)
    entries = cache.scan().entries
    stats = compute(entries, 40_000, eviction_order=cache.eviction_order(entries))
    plan = actions.plan_prune(cache, entries, 40_000)
    assert set(stats.lru.evicted_ids) == {e.id for e in plan.entries}
    assert stats.lru.evicted_bytes == plan.bytes_freed


def test_top_ten_by_default_and_the_hottest_never_cold() -> None:
    entries = [cached(i, 100 + i, i % 3, H) for i in range(12)]
    s = compute(entries, 10**6, now=NOW)
    assert [e.id for e in s.largest] == [f"img-{i:02d}" for i in range(11, 1, -1)]
    assert s.max_size == s.lru.max_size == 10**6
    # hits 2 then 1, by id within equal hits; entries with 0 hits are never "hot"
    assert [e.hits for e in s.hottest] == [2, 2, 2, 2, 1, 1, 1, 1]
    one = compute([cached(1, 10, 0, H), cached(2, 10, 1, H)], 10**6, now=NOW, top=1)
    assert [e.id for e in one.hottest] == ["img-02"]


def test_the_top_decile_of_twenty_is_two_entries() -> None:
    entries = [cached(i, 10, hits, H) for i, hits in enumerate([50, 30] + [1] * 18)]
    s = compute(entries, 10**6, now=NOW)
    assert s.top_decile_hit_share == 80 / 98


def test_lru_curve_by_last_access_not_by_name() -> None:
    entries = [
        cached(1, 100, 0, 5 * H),
        cached(2, 200, 0, 1 * H),
        cached(3, 300, 0, 3 * H),
    ]
    s = compute(entries, 300, now=NOW)
    assert s.lru.ids == ("img-02", "img-03", "img-01")  # most recent first
    # 200 fits, 500 does not: the line falls after the first entry.
    assert (s.lru.first_evicted, s.lru.evicted_ids) == (1, ("img-03", "img-01"))
    exact = compute(entries, 500, now=NOW)  # a cache exactly at its maximum keeps it all
    assert (exact.lru.first_evicted, exact.lru.evicted_bytes) == (2, 100)
