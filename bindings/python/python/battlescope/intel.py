"""Battle intel: what a set of battles says about one alliance, corporation
or character — who they fight and fight beside, what they fly and lose,
their doctrines, where and when they are active.

>>> import battlescope as bs
>>> kms = bs.read_killmails("examples/data")
>>> report = bs.intel.analyze(kms, alliance=99009614)
>>> report["summary"]["battles"], [o["name"] for o in report["opponents"][:3]]

The report is core's (`battlescope_core::intel::analyze`), as the JSON
object ``battlescope intel`` prints (camelCase keys).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from battlescope import _battlescope as _native
from battlescope._battlescope import Battle, KillmailSet

if TYPE_CHECKING:
    import pandas as pd

    from battlescope import Records

__all__ = ["analyze"]


def analyze(
    killmails: KillmailSet | pd.DataFrame | Records,
    battles: Iterable[Battle] | None = None,
    *,
    alliance: int | None = None,
    corporation: int | None = None,
    character: int | None = None,
    doctrine_scope: Literal["side", "entity"] | None = None,
    doctrine_similarity: float | None = None,
    doctrine_min_fleet: int | None = None,
    doctrine_min_battles: int | None = None,
) -> dict[str, Any]:
    """The intel report on exactly one of ``alliance``, ``corporation`` or
    ``character`` (ids).

    ``battles`` are the battles to read (with their ``killmails``, looked up
    by id; a superset is fine); when omitted, ``cluster(killmails)`` with
    the default configuration, as ``battlescope intel`` does.

    Doctrine detection (``None`` keeps core's defaults): ``doctrine_scope``
    ``"side"`` (every pilot of the entity's side: the fleet; default) or
    ``"entity"`` (its own pilots); ``doctrine_similarity``, 0 to 1, the
    least similarity of hull mixes in one doctrine (default 0.7);
    ``doctrine_min_fleet``, fewest pilots in a mix (5);
    ``doctrine_min_battles``, fewest battles of a doctrine (2).
    """
    if battles is None:
        battles = _native.cluster(killmails)
    return _native.analyze_intel(
        killmails,
        battles,
        alliance=alliance,
        corporation=corporation,
        character=character,
        doctrine_scope=doctrine_scope,
        doctrine_similarity=doctrine_similarity,
        doctrine_min_fleet=doctrine_min_fleet,
        doctrine_min_battles=doctrine_min_battles,
    )
