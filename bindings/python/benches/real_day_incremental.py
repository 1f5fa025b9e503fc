"""Incremental clustering of a real day, as a notebook user would push it:
in time order and shuffled, with the defaults, against batch ``cluster()``.

    python bindings/python/benches/real_day_incremental.py \
        ../shared/data/eve-ref-2021-11/killmails-2021-11-27.tar.bz2

Prints the battles found, whether ids and members equal batch, and the
outcome counts (with ``keep_sealed=False`` late kills are counted and
warned about, never silent).
"""

from __future__ import annotations

import random
import sys
import time
import warnings

import battlescope as bs


def members(battles: list[bs.Battle]) -> dict[str, tuple[int, ...]]:
    return {b.id: tuple(b.killmail_ids) for b in battles}


def main(path: str) -> None:
    kms = bs.read_killmails(path)
    batch = members(bs.cluster(kms))
    print(f"{len(kms)} killmails, {len(batch)} battles in batch")
    ordered = sorted(kms, key=lambda k: (k.killmail_time, k.killmail_id))
    shuffled = list(kms)
    random.Random(1).shuffle(shuffled)
    for name, stream, keep in [
        ("time order", ordered, True),
        ("shuffled", shuffled, True),
        ("shuffled, keep_sealed=False", shuffled, False),
    ]:
        c = bs.Clusterer(keep_sealed=keep)
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for km in stream:
                c.push(km)
        took = time.perf_counter() - started
        got = members(c.battles())
        print(
            f"{name}: {len(got)} battles, equal to batch (ids and members): {got == batch}, "
            f"{len(caught)} warnings, {took:.1f} s, {c.counts}"
        )


if __name__ == "__main__":
    main(sys.argv[1])
