"""The incremental clusterer: push killmails as they arrive, react to
battle events, persist the state and carry on after a restart.

    python examples/python/incremental.py
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import battlescope as bs

DATA = Path(__file__).resolve().parents[1] / "data" / "wormhole-fights-2024.jsonl"


def describe(event: dict[str, Any]) -> str:
    kind = event["type"]
    if kind == "created":
        return f"battle {event['battle_id'][:8]} created with {len(event['killmail_ids'])} kills"
    if kind == "updated":
        return (
            f"battle {event['battle_id'][:8]} +{len(event['added_killmail_ids'])} kills "
            f"({event['reason']})"
        )
    if kind == "sealed":
        return f"battle {event['battle_id'][:8]} sealed with {event['killmail_count']} kills"
    if event["merged_into"] is None:
        return f"battle {event['battle_id'][:8]} dissolved"
    return f"battle {event['battle_id'][:8]} merged into {event['merged_into'][:8]}"


def main() -> None:
    killmails = sorted(bs.read_killmails(DATA), key=lambda k: (k.killmail_time, k.killmail_id))
    half = len(killmails) // 2

    # keep_sealed=False: a long-running feed lets sealed battles go (they
    # leave with push(...).sealed) instead of keeping its history.
    clusterer = bs.Clusterer(correlation_window="30m", max_gap="15m", keep_sealed=False)
    kinds: Counter[str] = Counter()
    sealed: list[bs.Battle] = []
    for km in killmails[:half]:
        pushed = clusterer.push(km)
        kinds.update(e["type"] for e in pushed.events)
        sealed.extend(pushed.sealed)
        for event in pushed.events:
            if event["type"] in {"created", "deleted"}:  # updates and seals are many
                print(describe(event))

    # Persist, then continue in a "new process".
    state = clusterer.snapshot()
    restored = bs.Clusterer.restore(state)
    for km in killmails[half:]:
        pushed = restored.push(km)
        kinds.update(e["type"] for e in pushed.events)
        sealed.extend(pushed.sealed)

    final = sealed + restored.battles()
    print(f"\nevents: {dict(kinds)}; snapshot was {len(state):,} bytes")
    print(f"{len(final)} battles ({len(sealed)} sealed, {restored.open_battle_count} open)")
    batch = bs.cluster(killmails)
    same = {b.id: b.killmail_ids for b in final} == {b.id: b.killmail_ids for b in batch}
    print(f"same battles as batch cluster(): {same}")


if __name__ == "__main__":
    main()
