"""成员单位分配: an alliance's package split among its members to the fen (docs/alliance.md, *Allocation*)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from yibao.alliance.policy import Allocation
from yibao.models.enums import Level
from yibao.settlement.money import fraction, integer_weights, largest_remainder, round_half_up


@dataclass(frozen=True)
class Member:
    """One member institution: its level and its work points (工作量点数), exact."""

    institution_id: str
    level: Level
    work_points: Fraction


def weight(member: Member, terms: Allocation) -> Fraction:
    """Work points × the level's coefficient (1 when not listed)."""
    return member.work_points * fraction(terms.coefficients.get(member.level, 1))


def _split(total: int, weights: Sequence[Fraction]) -> list[int]:
    return largest_remainder(total, integer_weights(weights))


def _split_by_group(amounts: dict[int, int], group: Sequence[int], weights: Sequence[Fraction]) -> list[int]:
    """Each group's amount split over its members (positions with that `group` value) by their weights."""
    shares = [0] * len(group)
    for key, amount in amounts.items():
        positions = [i for i, g in enumerate(group) if g == key]
        for i, share in zip(positions, _split(amount, [weights[i] for i in positions]), strict=True):
            shares[i] = share
    return shares


def _by_points(package_fen: int, members: Sequence[Member], terms: Allocation) -> list[int]:
    weights = [weight(m, terms) for m in members]
    primary = [m.level in terms.primary_care_levels for m in members]
    floor = terms.primary_care_floor
    total = sum(weights, Fraction(0))
    primary_weight = sum((w for w, p in zip(weights, primary, strict=True) if p), Fraction(0))
    binds = floor is not None and package_fen > 0 and 0 < primary_weight < total * fraction(floor)
    if not binds:
        return _split(package_fen, weights)
    floor_fen = round_half_up(package_fen * fraction(floor))
    return _split_by_group({1: floor_fen, 0: package_fen - floor_fen}, [int(p) for p in primary], weights)


def _fixed(package_fen: int, members: Sequence[Member], terms: Allocation) -> list[int]:
    tier_of = {level: t for t, tier in enumerate(terms.tiers) for level in tier.levels}
    missing = [m for m in members if m.level not in tier_of]
    if missing:
        raise ValueError(f"member {missing[0].institution_id} ({missing[0].level.label}) is in no allocation tier")
    present = [t for t in range(len(terms.tiers)) if any(tier_of[m.level] == t for m in members)]
    parts = _split(package_fen, [fraction(terms.tiers[t].share) for t in present])
    tiers = [tier_of[m.level] for m in members]
    return _split_by_group(dict(zip(present, parts, strict=True)), tiers, [m.work_points for m in members])


def allocate(package_fen: int, members: Sequence[Member], terms: Allocation) -> list[int]:
    """Each member's money (fen), in `members` order, summing exactly to `package_fen`.

    `points`: by weight, with the 基层 floor when it binds (a positive package, 基层 members with work points
    weighing less than the floor); `fixed`: over the tiers that have members, then by
    work points inside a tier. A split whose weights are all 0 is equal."""
    if not members:
        if package_fen:
            raise ValueError(f"an alliance without members cannot receive {package_fen} fen")
        return []
    return _fixed(package_fen, members, terms) if terms.method == "fixed" else _by_points(package_fen, members, terms)
