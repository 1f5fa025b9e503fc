"""Clusterer: incremental pushes end with the batch battles; events,
snapshots and restore."""

from __future__ import annotations

import datetime
import random
from pathlib import Path

import pytest

import battlescope as bs

# Long enough that nothing in the examples (2019–2026) is ever sealed.
FOREVER = "3000d"


def memberships(battles: list[bs.Battle]) -> set[tuple[int, ...]]:
    return {tuple(b.killmail_ids) for b in battles}


def test_any_order_with_duplicates_gives_the_batch_battles(examples: bs.KillmailSet) -> None:
    batch = bs.cluster(examples)
    kms = list(examples)
    for seed in range(5):
        rng = random.Random(seed)
        stream = kms + rng.sample(kms, 20)
        rng.shuffle(stream)
        c = bs.Clusterer(allowed_lateness=FOREVER)
        for km in stream:
            c.push(km)
        got = c.battles()
        assert memberships(got) == memberships(batch)
        # Statistics and sides depend on membership only.
        by_members = {tuple(b.killmail_ids): b for b in got}
        for b in batch:
            other = by_members[tuple(b.killmail_ids)]
            assert other.stats == b.stats and other.sides == b.sides


def test_in_time_order_ids_equal_batch_ids(examples: bs.KillmailSet) -> None:
    batch = bs.cluster(examples)
    c = bs.Clusterer(allowed_lateness=FOREVER)
    ordered = sorted(examples, key=lambda k: (k.killmail_time, k.killmail_id))
    c.push_many(ordered)
    assert [b.id for b in c.battles()] == [b.id for b in batch]
    assert c.battles() == batch


def test_events(examples: bs.KillmailSet) -> None:
    c = bs.Clusterer(allowed_lateness=FOREVER)
    ordered = sorted(examples, key=lambda k: (k.killmail_time, k.killmail_id))
    events = []
    for km in ordered:
        events.extend(c.push(km).events)
    kinds = {e["type"] for e in events}
    assert kinds <= {"created", "updated", "deleted"}
    created = [e for e in events if e["type"] == "created"]
    assert len(created) - sum(e["type"] == "deleted" for e in events) == len(c.battles())
    first = created[0]
    assert set(first) >= {"battle_id", "system_id", "killmail_ids", "start_time", "end_time"}
    updated = [e for e in events if e["type"] == "updated"]
    assert updated and updated[0]["reason"] in {"appended", "out_of_order", "late_arrival", "merge"}
    again = c.push(ordered[0])  # duplicate: nothing happens
    assert (again.outcome, again.events, again.sealed) == ("duplicate", [], [])


def test_push_outcomes(examples: bs.KillmailSet) -> None:
    ordered = sorted(examples, key=lambda k: (k.killmail_time, k.killmail_id))
    # 6 h lateness: fights days apart get sealed; nothing kept.
    c = bs.Clusterer(keep_sealed=False)
    sealed: list[bs.Battle] = []
    for km in ordered:
        p = c.push(km)
        assert p.outcome == "added"
        sealed.extend(p.sealed)
        assert {b.id for b in p.sealed} == {e["battle_id"] for e in p.events if e["type"] == "sealed"}
    assert c.push(ordered[-1]).outcome == "duplicate"
    late = c.push(ordered[0].to_dict() | {"killmail_id": 1})
    assert late.outcome == "late_beyond_horizon"
    assert isinstance(late.late_battles, list) and late.trusted_time is None
    assert c.push(ordered[0].to_dict() | {"killmail_id": 2}).outcome == "late_beyond_horizon"
    assert c.counts["late_beyond_horizon"] == 2 and c.counts["duplicates"] == 1
    # Sealed battles plus the open ones are the batch battles.
    every = sorted(sealed + c.open_battles(), key=lambda b: (b.start_time, b.killmail_ids[0]))
    assert every == bs.cluster(examples)
    assert "Pushed" in repr(late)


def test_keep_sealed_clusterer_equals_batch_in_any_order(examples: bs.KillmailSet) -> None:
    newest_first = sorted(examples, key=lambda k: (k.killmail_time, k.killmail_id), reverse=True)
    c = bs.Clusterer(allowed_lateness="1h")  # keep_sealed=True by default
    for km in newest_first:
        c.push(km)
    batch = bs.cluster(examples)
    assert c.battles() == batch
    assert c.counts["reclustered"] > 0
    assert c.battle_of(batch[0].killmail_ids[0]) == batch[0].id


def test_future_dated_kills_are_refused(examples: bs.KillmailSet) -> None:
    km = min(examples, key=lambda k: k.killmail_time)
    c = bs.Clusterer()
    c.set_trusted_time(km.killmail_time - datetime.timedelta(hours=2))
    refused = c.push(km)
    assert refused.outcome == "future_dated" and refused.late_battles == []
    assert refused.trusted_time == km.killmail_time - datetime.timedelta(hours=2)
    assert c.live_killmails == 0 and c.watermark is None


def test_snapshot_restore_continues_identically(examples: bs.KillmailSet) -> None:
    ordered = sorted(examples, key=lambda k: (k.killmail_time, k.killmail_id))
    half = len(ordered) // 2
    a = bs.Clusterer(allowed_lateness=FOREVER, max_gap="10m")
    a.push_many(ordered[:half])
    data = a.snapshot()
    assert isinstance(data, bytes)
    b = bs.Clusterer.restore(data)
    assert b.config == a.config and b.config["max_gap"] == "10m"
    assert b.battles() == a.battles()
    assert b.live_killmails == a.live_killmails
    assert a.push_many(ordered[half:]) == b.push_many(ordered[half:])
    assert a.battles() == b.battles()
    assert bs.Clusterer.restore(data.decode()).battles() == bs.Clusterer.restore(data).battles()


def test_restore_rejects_garbage() -> None:
    with pytest.raises(bs.ConfigError) as e:
        bs.Clusterer.restore(b"not json")
    assert e.value.field == "snapshot"
    with pytest.raises(bs.ConfigError):
        bs.Clusterer.restore(b'{"version": 99, "config": {}, "max_time": null, '
                             b'"killmails": [], "components": [], "sealed": []}')


def test_state_accessors(examples: bs.KillmailSet) -> None:
    c = bs.Clusterer(allowed_lateness=FOREVER)
    assert c.watermark is None and c.open_battle_count == 0
    c.push_many(examples)
    assert c.live_killmails == len(examples)
    assert c.open_battle_count == len(c.battles()) == 8
    assert c.watermark is not None and c.watermark.tzinfo is not None
    some = c.battles()[3]
    assert c.battle(some.id) == some
    assert c.battle("00000000-0000-0000-0000-000000000000") is None
    with pytest.raises(bs.ConfigError):
        c.battle("nope")
    assert "open battles" in repr(c)


def test_incremental_on_generated_fights(generated: Path) -> None:
    kms = bs.read_killmails(generated)
    c = bs.Clusterer()
    sealed: list[bs.Battle] = []
    for km in kms:
        sealed.extend(c.push(km).sealed)
    assert memberships(sealed + c.battles()) == memberships(bs.cluster(kms))


def test_clusterer_pickles_through_its_snapshot(examples: bs.KillmailSet) -> None:
    import pickle

    c = bs.Clusterer(allowed_lateness=FOREVER, min_kills=3)
    c.push_many(examples)
    copy = pickle.loads(pickle.dumps(c))
    assert copy.config == c.config and copy.battles() == c.battles()
