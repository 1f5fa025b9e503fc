"""Hand-built cases for the Python clustering baseline (run with pytest)."""

from __future__ import annotations

import io
import json
import os
import sys
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cluster as cl  # noqa: E402

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
JITA = 30000142
TAMA = 30002813


def km(kid, secs, victim, attackers, system=JITA, corp=None, alliance=None):
    """An ESI killmail: `victim` and `attackers` are character ids (None for NPCs)."""
    when = (T0 + timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def person(c):
        p = {"corporation_id": (corp or {}).get(c, 98000000 + (c or 0) % 1000)}
        if c is not None:
            p["character_id"] = c
        if alliance and c in alliance:
            p["alliance_id"] = alliance[c]
        return p

    v = person(victim)
    v.update({"damage_taken": 100, "ship_type_id": 587})
    atts = []
    for i, a in enumerate(attackers):
        p = person(a)
        p.update({"damage_done": 100, "final_blow": i == 0, "security_status": 0.0})
        atts.append(p)
    return {
        "killmail_id": kid,
        "killmail_time": when,
        "solar_system_id": system,
        "victim": v,
        "attackers": atts,
        "zkb": {"hash": "0" * 40},
    }


def battles(kms, **kw):
    return [b["killmail_ids"] for b in cl.cluster_killmails(kms, **kw)]


def test_long_fight_with_14_minute_lulls_stays_one_battle():
    # Four hours, a kill every 14 minutes, the same two pilots trading.
    kms = [km(i + 1, i * 14 * 60, 1 + i % 2, [2 - i % 2]) for i in range(18)]
    assert (kms[-1]["killmail_time"]) > "2024-01-01T03:58"
    assert battles(kms) == [list(range(1, 19))]


def test_16_minute_lull_splits():
    kms = [
        km(1, 0, 1, [2]),
        km(2, 60, 3, [2]),
        km(3, 60 + 16 * 60, 4, [2]),
        km(4, 60 + 17 * 60, 5, [2]),
    ]
    assert battles(kms) == [[1, 2], [3, 4]]


def test_exactly_max_gap_does_not_split_and_one_second_more_does():
    kms = [km(1, 0, 1, [2]), km(2, 900, 3, [2]), km(3, 1801, 4, [2])]
    assert battles(kms) == [[1, 2]]
    assert battles(kms, max_gap=901) == [[1, 2, 3]]


def test_two_gangs_in_one_system_without_shared_pilots_stay_apart():
    gang_a = [km(1, 0, 10, [11, 12]), km(3, 120, 13, [11]), km(5, 240, 12, [14])]
    gang_b = [km(2, 60, 20, [21, 22]), km(4, 180, 23, [21]), km(6, 300, 22, [24])]
    assert battles(gang_a + gang_b) == [[1, 3, 5], [2, 4, 6]]


def test_a_kill_sharing_pilots_with_both_gangs_merges_them():
    gang_a = [km(1, 0, 10, [11, 12]), km(3, 120, 13, [11])]
    gang_b = [km(2, 60, 20, [21, 22]), km(4, 180, 23, [21])]
    bridge = km(5, 200, 12, [21])
    assert battles(gang_a + gang_b + [bridge]) == [[1, 2, 3, 4, 5]]


def test_min_kills_drops_singletons():
    kms = [km(1, 0, 1, [2]), km(2, 60, 3, [2]), km(3, 120, 8, [9])]
    assert battles(kms) == [[1, 2]]
    assert battles(kms, min_kills=1) == [[1, 2], [3]]
    assert battles(kms, min_kills=3) == []


def test_min_shared_zero_links_by_place_and_time_alone():
    kms = [
        km(1, 0, 1, [2]),
        km(2, 600, 3, [4]),
        km(3, 1200, 5, [6]),
        km(4, 0, 7, [8], system=TAMA),
    ]
    assert battles(kms) == []
    assert battles(kms, min_shared=0) == [[1, 2, 3]]


def test_window_bounds_links_but_chains_carry_on():
    # 1 and 3 share pilot 2 but are 40 min apart: linked only through 2's
    # chain with kill 2 in between, which shares pilot 2 as well.
    kms = [km(1, 0, 1, [2]), km(2, 1200, 3, [2]), km(3, 2400, 4, [2])]
    assert battles(kms, max_gap=1800) == [[1, 2, 3]]
    kms = [km(1, 0, 1, [2]), km(2, 1200, 3, [9]), km(3, 2400, 4, [2])]
    assert battles(kms, max_gap=3600, min_kills=1) == [[1], [2], [3]]


def test_min_shared_two_needs_two_common_pilots():
    kms = [km(1, 0, 1, [2, 3]), km(2, 60, 4, [2, 3]), km(3, 120, 5, [2, 6])]
    assert battles(kms, min_shared=2) == [[1, 2]]
    assert battles(kms, min_shared=1) == [[1, 2, 3]]


def test_corporation_mode_ignores_npc_corporations():
    # Two NPC kills in one system, different pilots, both by CONCORD.
    concord = 1000125
    kms = [km(1, 0, 1, [None], corp={1: 98000001, None: concord}),
           km(2, 30, 2, [None], corp={2: 98000002, None: concord})]
    assert battles(kms, correlate_by="corporation") == []
    # Same player corporation on both: linked.
    kms = [km(1, 0, 1, [3], corp={1: 98000001, 3: 98000005}),
           km(2, 30, 2, [4], corp={2: 98000002, 4: 98000005})]
    assert battles(kms, correlate_by="corporation") == [[1, 2]]
    assert battles(kms, correlate_by="character") == []


def test_alliance_mode():
    kms = [km(1, 0, 1, [3], alliance={3: 99000001}),
           km(2, 30, 2, [4], alliance={4: 99000001})]
    assert battles(kms, correlate_by="alliance") == [[1, 2]]


def test_same_second_kills_and_duplicates():
    kms = [km(5, 0, 1, [2]), km(4, 0, 3, [2]), km(5, 0, 1, [2])]
    assert battles(kms) == [[4, 5]]


def test_battles_sorted_by_first_kill_and_cli_output(tmp_path, capsys):
    kms = [km(9, 500, 1, [2], system=TAMA), km(10, 520, 3, [2], system=TAMA),
           km(3, 0, 5, [6]), km(4, 10, 7, [6])]
    path = tmp_path / "kills.jsonl"
    path.write_text("".join(json.dumps(k) + "\n" for k in kms))
    out = tmp_path / "battles.jsonl"
    assert cl.main([str(path), "-o", str(out)]) == 0
    lines = [json.loads(l) for l in out.read_text().splitlines()]
    assert lines == [
        {"system": JITA, "killmail_ids": [3, 4]},
        {"system": TAMA, "killmail_ids": [9, 10]},
    ]
    assert "cluster" in capsys.readouterr().err


def test_unwraps_r2z2_and_redisq():
    a = km(1, 0, 1, [2])
    b = km(2, 10, 3, [2])
    recs = [{"killmail_id": 1, "hash": "x", "esi": a}, {"package": {"killID": 2, "killmail": b}}]
    kills = cl.read_kills(io.StringIO("\n".join(json.dumps(r) for r in recs)), "character")
    assert [k[1] for k in kills] == [1, 2]
