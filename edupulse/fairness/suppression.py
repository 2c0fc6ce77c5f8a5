"""Small-cell suppression, primary and complementary, for every grouping of an audit.

Primary: a group with fewer than `min_cell` students is hidden. Complementary: a hidden group's
figures must not be recoverable by subtraction from a published total. The totals a reader has
are the whole population (every grouping partitions it) and, for an intersection such as
gender x ethnicity, each one-way group (the cells with gender = F add up to the published F row).
Within each such set the hidden cells must be none, or at least two whose combined size is at
least `min_cell`; otherwise the smallest published cell of the set is hidden too, repeated until
every set is safe. Reasons never state a hidden count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PRIMARY = "primary"
COMPLEMENTARY = "complementary"


@dataclass(frozen=True)
class Suppression:
    attribute: str
    group: str
    kind: str  # PRIMARY or COMPLEMENTARY
    reason: str


@dataclass(frozen=True)
class _Total:
    description: str
    cells: tuple[str, ...]


def _totals(order: Sequence[str], members: Sequence[str],
            components: Mapping[str, tuple[str, ...]]) -> list[_Total]:
    everyone = _Total("all students", tuple(order))
    if len(members) < 2:
        return [everyone]
    totals = []  # the one-way margins first: they usually settle the grand total too
    for i, attribute in enumerate(members):
        values: dict[str, list[str]] = {}
        for label in order:
            values.setdefault(components[label][i], []).append(label)
        totals += [_Total(f"{attribute} = {v}", tuple(cells)) for v, cells in values.items()]
    return [*totals, everyone]


def suppress_grouping(
    attribute: str,
    sizes: Mapping[str, int],
    order: Sequence[str],
    min_cell: int,
    members: Sequence[str] = (),
    components: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Suppression]:
    """Which groups of one grouping to hide, and why (groups listed in `order`).

    For an intersection, `members` names its attributes and `components` maps each group label
    to its value of each member, so the one-way totals can be formed.
    """
    out = {
        g: Suppression(attribute, g, PRIMARY, f"fewer than {min_cell} students")
        for g in order if sizes[g] < min_cell
    }
    totals = _totals(order, members, components or {})
    changed = bool(out)
    while changed:
        changed = False
        for total in totals:
            hidden = [g for g in total.cells if g in out]
            shown = [g for g in total.cells if g not in out]
            if not hidden or not shown:
                continue
            if len(hidden) == 1 or sum(sizes[g] for g in hidden) < min_cell:
                pick = min(shown, key=lambda g: (sizes[g], order.index(g)))
                protects = ", ".join(hidden)
                out[pick] = Suppression(
                    attribute, pick, COMPLEMENTARY,
                    f"hidden so that {protects} cannot be worked out from the "
                    f"total for {total.description}",
                )
                changed = True
    return [out[g] for g in order if g in out]
