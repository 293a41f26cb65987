"""The scoring rules in words and in Python, matching the SQL of assessment/computation.py.

Rounding (one rule, SQL and Python alike): NUMERIC / Decimal, rounded half away from zero —
which is half-up for the non-negative figures here (PostgreSQL `round(numeric, n)`, Python
`ROUND_HALF_UP`). An average of facts is rounded to 4 decimals; points, weighted scores,
averages of totals and percentiles to 2 decimals; a total is the exact sum of the rounded
weighted scores.

Missing inputs: a sum or count over no facts is 0; an average over no facts is missing (None).
A missing value earns what the indicator's `when_missing` says: no points (default) or full points.

Ties: people with equal totals share a rank (standard competition ranking 1, 1, 3); there is no
hidden tie-breaker. Lists show tied people by employee number.

Percentile: the share of the branch's people of the same post whose total is at most one's own,
× 100 (the top scorer is at 100).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

TWO = Decimal("0.01")
FOUR = Decimal("0.0001")
ZERO = Decimal(0)


def round2(value: Decimal) -> Decimal:
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


def round4(value: Decimal) -> Decimal:
    return value.quantize(FOUR, rounding=ROUND_HALF_UP)


def measure_value(aggregate: str, count: int, total: Decimal | None) -> Decimal | None:
    """The month's value of an indicator's measure from its facts' count and sum."""
    if aggregate == "count":
        return Decimal(count)
    if aggregate == "sum":
        return total if count else ZERO
    return round4(total / count) if count else None


def rule_points(indicator, value: Decimal | None) -> Decimal:
    """Points (0..max_points) that an indicator's rule gives a measured value."""
    top = indicator.max_points
    if value is None:
        return round2(top) if indicator.when_missing == "full" else ZERO
    if indicator.rule == "ratio_to_target":
        raw = top * min(Decimal(1), max(ZERO, value) / indicator.target)
    elif indicator.rule == "linear_band":
        if value <= indicator.band_low:
            raw = ZERO
        elif value >= indicator.band_high:
            raw = top
        else:
            raw = top * (value - indicator.band_low) / (indicator.band_high - indicator.band_low)
    elif indicator.rule == "deduction":
        raw = max(indicator.floor, top - indicator.deduction_per_unit * value)
    else:
        raw = min(top, max(ZERO, value))
    return round2(raw)


def weighted_score(indicator, points: Decimal) -> Decimal:
    return round2(points * indicator.weight / indicator.max_points)


# Measures whose value is money: shown with 2 decimals. Counts and whole sums show as integers,
# other figures (averages of facts, kept to 4 decimals) to 2 decimals.
MONEY_MEASURES = frozenset({"sales"})


def format_measure(value: Decimal | None, *, measure: str, aggregate: str) -> str:
    """A measured value for people to read: "—" when missing, money with 2 decimals, counts and
    whole numbers without decimals, anything else rounded to 2 decimals (the stored value keeps 4)."""
    if value is None:
        return "—"
    if measure in MONEY_MEASURES:
        return f"{round2(value):f}"
    if aggregate == "count" or value == value.to_integral_value():
        return f"{value.quantize(Decimal(1), rounding=ROUND_HALF_UP):f}"
    return f"{round2(value):f}"


def plain_number(number: Decimal | None) -> str:
    """A rule parameter without trailing zeros: 10.00 → 10, 0.50 → 0.5."""
    if number is None:
        return ""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def explain(indicator, *, value: Decimal | None, fact_count: int, points: Decimal, score: Decimal) -> str:
    """One sentence (translated) saying how the facts became points and the weighted score:
    weighted score = points ÷ maximum points × weight (so a 10-point indicator of weight 10 at full
    points scores 10, not 1)."""
    args = {
        "n": fact_count,
        "value": format_measure(value, measure=indicator.measure, aggregate=indicator.aggregate),
        "max": plain_number(indicator.max_points),
        "points": points,
        "weight": plain_number(indicator.weight),
        "score": score,
        "target": plain_number(indicator.target),
        "low": plain_number(indicator.band_low),
        "high": plain_number(indicator.band_high),
        "per": plain_number(indicator.deduction_per_unit),
        "floor": plain_number(indicator.floor),
        "aggregate": {"sum": _("sum"), "avg": _("average"), "count": _("count")}[indicator.aggregate],
    }
    if indicator.rule == "ratio_to_target":
        rule = _("%(max)s points × min(1, %(value)s ÷ target %(target)s)") % args
    elif indicator.rule == "linear_band":
        rule = _("0 points at or below %(low)s, %(max)s points at or above %(high)s, linear between") % args
    elif indicator.rule == "deduction":
        rule = _("%(max)s points minus %(per)s for each unit (%(value)s), never below %(floor)s") % args
    else:
        rule = _("the value counts as points, at most %(max)s") % args
    return _(
        "%(n)s facts, %(aggregate)s %(value)s; %(rule)s = %(points)s points; "
        "%(points)s ÷ %(max)s × weight %(weight)s → %(score)s"
    ) % {**args, "rule": rule}


@dataclass(frozen=True)
class StarRule:
    band_minimums: tuple[Decimal, ...]  # minimum total of levels 1..5
    average_months: int
    promote_after_months: int
    demote_below_lowest: bool

    @classmethod
    def of(cls, policy) -> "StarRule":
        return cls(
            tuple(policy.band_minimums),
            policy.average_months,
            policy.promote_after_months,
            policy.demote_below_lowest,
        )

    def band(self, total: Decimal) -> int:
        """The highest level whose minimum the total reaches; 0 below the lowest band."""
        level = 0
        for i, minimum in enumerate(self.band_minimums, start=1):
            if total >= minimum:
                level = i
        return level

    def next_level(self, *, before: int, total: Decimal, previous: dict[int, Decimal]) -> tuple[int, Decimal]:
        """The star level after a month, and the average it followed.

        `previous` maps "months ago" (1 = the month before) to published totals of earlier months.
        - average = mean of this total and the published totals of the previous average_months − 1
          months (those that exist), rounded to 2 decimals; candidate = band(average);
        - a month below the lowest band (with demote_below_lowest) drops to min(candidate, before − 1);
        - else a candidate below the current level is taken at once;
        - a candidate above is taken only when each of the previous promote_after_months − 1 months
          has a published total, and then only up to the lowest band among those months and this one;
        - otherwise the level stays.
        """
        window = [total] + [previous[k] for k in range(1, self.average_months) if k in previous]
        average = round2(sum(window, ZERO) / len(window))
        candidate = self.band(average)
        if self.demote_below_lowest and self.band(total) == 0:
            return min(candidate, max(before - 1, 0)), average
        if candidate < before:
            return candidate, average
        if candidate > before:
            streak = [previous.get(k) for k in range(1, self.promote_after_months)]
            if all(t is not None for t in streak):
                lowest = min([self.band(total)] + [self.band(t) for t in streak])
                return max(before, min(candidate, lowest)), average
        return before, average
