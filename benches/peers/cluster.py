#!/usr/bin/env python3
"""Plain-Python baseline of BattleScope's killmail clustering.

The honest "what a Python developer would write" implementation of the
clustering rules in the design ("Clustering", rules 1-4), standard library
only, for a speed comparison with the Rust engine:

1. Two killmails are linked when they are in the same solar system, their
   times differ by at most ``window`` seconds, and they share at least
   ``min_shared`` participants (character ids of the victim and attackers; or
   corporation ids without NPC corporations 1000000-1999999; or alliance
   ids). ``min_shared = 0`` links on place and time alone.
2. Linked killmails belong to the same battle (connected components).
3. Inside a component, sorted by (time, killmail id), a silence longer than
   ``max_gap`` between consecutive kills splits it (exactly ``max_gap`` does
   not).
4. Groups with fewer than ``min_kills`` kills are dropped.

Per system, kills are swept in time order; a dict participant -> last kill
(or, for ``min_shared >= 2``, participant -> recent kills) finds the links,
and a union-find collects the components.

Usage::

    python3 cluster.py kills.jsonl [-o battles.jsonl] [--window 1800]
        [--max-gap 900] [--min-shared 1] [--min-kills 2]
        [--correlate-by character|corporation|alliance]

Input: JSON Lines of ESI killmails (a ``zkb`` key is ignored; R2Z2 items
``{"esi": {...}}`` and RedisQ packages ``{"package": {"killmail": {...}}}``
are unwrapped). Duplicate killmail ids count once. Output: JSON Lines, one
battle per line, ``{"system": id, "killmail_ids": [sorted ids]}``, battles
sorted by (first kill time, first kill id). Timings go to standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict, deque
from datetime import datetime
from typing import Iterable, Iterator

NPC_CORPORATIONS = range(1_000_000, 2_000_000)
CORRELATE_BY = ("character", "corporation", "alliance")


def parse_time(text: str) -> int:
    """RFC 3339 UTC time -> unix seconds."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def participants(km: dict, correlate_by: str) -> frozenset:
    """The ids that link this killmail to others."""
    people = [km.get("victim") or {}] + list(km.get("attackers") or [])
    if correlate_by == "character":
        ids = {p.get("character_id") for p in people}
    elif correlate_by == "corporation":
        ids = {p.get("corporation_id") for p in people}
        ids = {c for c in ids if c is not None and c not in NPC_CORPORATIONS}
    elif correlate_by == "alliance":
        ids = {p.get("alliance_id") for p in people}
    else:
        raise ValueError(f"correlate_by must be one of {CORRELATE_BY}, got {correlate_by!r}")
    ids.discard(None)
    return frozenset(ids)


def unwrap(record: dict) -> dict:
    """The ESI killmail inside an R2Z2 item or RedisQ package, or the record itself."""
    if "esi" in record and isinstance(record["esi"], dict):
        return record["esi"]
    package = record.get("package")
    if isinstance(package, dict) and isinstance(package.get("killmail"), dict):
        return package["killmail"]
    return record


def to_kill(km: dict, correlate_by: str) -> tuple:
    """(time, killmail_id, system, participants) of one ESI killmail."""
    return (
        parse_time(km["killmail_time"]),
        int(km["killmail_id"]),
        int(km["solar_system_id"]),
        participants(km, correlate_by),
    )


def read_kills(lines: Iterable[str], correlate_by: str) -> list:
    """Kills of a JSON Lines input, first copy of each id only."""
    kills = []
    seen = set()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        km = unwrap(json.loads(line))
        kill = to_kill(km, correlate_by)
        if kill[1] in seen:
            continue
        seen.add(kill[1])
        kills.append(kill)
    return kills


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # Keep the smaller index as the root: components list in order.
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


def link_system(kills: list, window: int, min_shared: int) -> UnionFind:
    """Union-find over one system's kills, sorted by (time, id)."""
    n = len(kills)
    uf = UnionFind(n)
    if min_shared <= 0:
        # Sorted by time: linking neighbours within the window is enough.
        for i in range(1, n):
            if kills[i][0] - kills[i - 1][0] <= window:
                uf.union(i - 1, i)
    elif min_shared == 1:
        # The latest earlier kill of each participant is enough: earlier
        # kills of the same participant within the window are linked to it.
        last = {}
        for i, (t, _, _, people) in enumerate(kills):
            for p in people:
                j = last.get(p)
                if j is not None and t - kills[j][0] <= window:
                    uf.union(i, j)
                last[p] = i
    else:
        recent = defaultdict(deque)
        for i, (t, _, _, people) in enumerate(kills):
            shared = defaultdict(int)
            for p in people:
                q = recent[p]
                while q and t - kills[q[0]][0] > window:
                    q.popleft()
                for j in q:
                    shared[j] += 1
                q.append(i)
            for j, count in shared.items():
                if count >= min_shared:
                    uf.union(i, j)
    return uf


def cluster(
    kills: list,
    window: int = 1800,
    max_gap: int = 900,
    min_shared: int = 1,
    min_kills: int = 2,
) -> list:
    """Battles of `kills` ((time, id, system, participants) tuples).

    Returns ``[{"system": id, "killmail_ids": [sorted ids]}]`` sorted by
    (first kill time, first kill id).
    """
    by_system = defaultdict(list)
    for kill in kills:
        by_system[kill[2]].append(kill)
    battles = []
    for system, system_kills in by_system.items():
        system_kills.sort(key=lambda k: (k[0], k[1]))
        uf = link_system(system_kills, window, min_shared)
        components = defaultdict(list)
        for i in range(len(system_kills)):
            components[uf.find(i)].append(i)
        for members in components.values():
            run = [members[0]]
            for a, b in zip(members, members[1:]):
                if system_kills[b][0] - system_kills[a][0] > max_gap:
                    if len(run) >= min_kills:
                        battles.append((system, [system_kills[i] for i in run]))
                    run = []
                run.append(b)
            if len(run) >= min_kills:
                battles.append((system, [system_kills[i] for i in run]))
    battles.sort(key=lambda b: (b[1][0][0], b[1][0][1]))
    return [
        {"system": system, "killmail_ids": sorted(k[1] for k in run)}
        for system, run in battles
    ]


def cluster_killmails(
    killmails: Iterable[dict],
    window: int = 1800,
    max_gap: int = 900,
    min_shared: int = 1,
    min_kills: int = 2,
    correlate_by: str = "character",
) -> list:
    """`cluster` over ESI killmail dicts (duplicates by id count once)."""
    seen = set()
    kills = []
    for km in killmails:
        kill = to_kill(unwrap(km), correlate_by)
        if kill[1] not in seen:
            seen.add(kill[1])
            kills.append(kill)
    return cluster(kills, window, max_gap, min_shared, min_kills)


def write_battles(battles: list, out) -> None:
    for b in battles:
        out.write(json.dumps(b, separators=(",", ":")))
        out.write("\n")


def open_lines(path: str) -> Iterator[str]:
    if path == "-":
        yield from sys.stdin
    else:
        with open(path, encoding="utf-8") as f:
            yield from f


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="JSON Lines of ESI killmails ('-' for standard input)")
    ap.add_argument("-o", "--output", help="battles as JSON Lines (default: standard output)")
    ap.add_argument("--window", type=int, default=1800, help="correlation window, seconds")
    ap.add_argument("--max-gap", type=int, default=900, help="largest silence inside a battle, seconds")
    ap.add_argument("--min-shared", type=int, default=1, help="shared participants needed to link")
    ap.add_argument("--min-kills", type=int, default=2, help="smallest battle")
    ap.add_argument("--correlate-by", choices=CORRELATE_BY, default="character")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    kills = read_kills(open_lines(args.input), args.correlate_by)
    t1 = time.perf_counter()
    battles = cluster(kills, args.window, args.max_gap, args.min_shared, args.min_kills)
    t2 = time.perf_counter()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            write_battles(battles, out)
    else:
        write_battles(battles, sys.stdout)
    t3 = time.perf_counter()
    in_battles = sum(len(b["killmail_ids"]) for b in battles)
    print(
        f"kills {len(kills)} battles {len(battles)} kills_in_battles {in_battles} "
        f"parse {t1 - t0:.3f}s cluster {t2 - t1:.3f}s write {t3 - t2:.3f}s total {t3 - t0:.3f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
