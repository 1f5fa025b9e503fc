"""Killmail files to a table of battles.

Run from the repository root, after `pip install ./bindings/python[pandas]`:

    python examples/python/quickstart.py [files or directories ...]

With no argument it reads examples/data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import battlescope as bs

DATA = Path(__file__).resolve().parents[1] / "data"


def main(argv: list[str]) -> int:
    sources = argv or [str(DATA)]
    killmails = bs.read_killmails(sources)
    print(f"{len(killmails)} killmails, skipped: {killmails.skipped or 'none'}")
    for error in killmails.errors[:5]:
        print(f"  skipped: {error}")

    battles = bs.cluster(killmails, correlation_window="30m", max_gap="15m")
    print(f"{len(battles)} battles")

    table = bs.battles_to_pandas(battles)
    columns = ["start_time", "system_name", "kill_count", "unique_pilots", "isk_destroyed"]
    print(table.sort_values("isk_destroyed", ascending=False)[columns].head(10).to_string())

    largest = max(battles, key=len)
    print(f"\nlargest: {largest}")
    for side in largest.sides:
        efficiency = "n/a" if side.efficiency is None else f"{side.efficiency:.0%}"
        print(
            f"  side {side.index}: {len(side.pilots)} pilots, {side.kills} kills, "
            f"{side.losses} losses, {side.isk_lost / 1e9:.2f} B ISK lost, efficiency {efficiency}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
