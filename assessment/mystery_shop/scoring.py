"""Scores of a visit, in plain Python (no ORM): the one definition, used on submit and publish.

- A clerk's score = 100 − the hall items' deductions − that clerk's own items' deductions,
  never below 0; a failed veto item (一票否决) of the hall or of that clerk makes it 0.
- The hall's score = 100 − the hall items' deductions − the average of the clerks' own
  deductions, never below 0; any failed veto item makes it 0.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal("100")
ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Judgement:
    clerk_id: int | None  # None: a hall item
    failed: bool
    deduction: Decimal
    veto: bool


@dataclass(frozen=True)
class Scores:
    hall: Decimal
    clerks: dict[int, Decimal]
    vetoed: bool


def _clamp(value: Decimal) -> Decimal:
    return max(ZERO, min(HUNDRED, value)).quantize(CENT, rounding=ROUND_HALF_UP)


def compute_scores(judgements: list[Judgement], clerk_ids: list[int]) -> Scores:
    failed = [j for j in judgements if j.failed]
    hall_deduction = sum((j.deduction for j in failed if j.clerk_id is None), ZERO)
    hall_veto = any(j.veto for j in failed if j.clerk_id is None)
    own = {cid: sum((j.deduction for j in failed if j.clerk_id == cid), ZERO) for cid in clerk_ids}
    own_veto = {cid: any(j.veto for j in failed if j.clerk_id == cid) for cid in clerk_ids}
    clerks = {
        cid: ZERO if hall_veto or own_veto[cid] else _clamp(HUNDRED - hall_deduction - own[cid])
        for cid in clerk_ids
    }
    average_own = (sum(own.values(), ZERO) / len(own)) if own else ZERO
    vetoed = hall_veto or any(own_veto.values())
    hall = ZERO if vetoed else _clamp(HUNDRED - hall_deduction - average_own)
    return Scores(hall=hall, clerks=clerks, vetoed=vetoed)
