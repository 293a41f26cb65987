"""Required staff per open hour from a traffic forecast: the larger of the hall's minimum for
the hour's band and the Erlang C staff for the forecast arrivals.

Peak hours are derived, not typed: an hour is peak when its forecast arrivals reach
`peak_ratio` of the day's busiest forecast hour; a day without any forecast has no peak.
"""

from dataclasses import dataclass

from staffing.rostering.erlang import agents_required

__all__ = ["HourForecast", "HourRequirement", "day_requirement"]


@dataclass(frozen=True)
class HourForecast:
    arrivals: float
    handling_seconds: float


@dataclass(frozen=True)
class HourRequirement:
    required: int
    minimum: int
    erlang: int
    forecast: float | None
    peak: bool

    def as_dict(self) -> dict:
        return {
            "required": self.required,
            "minimum": self.minimum,
            "erlang": self.erlang,
            "forecast": None if self.forecast is None else round(self.forecast, 2),
            "peak": self.peak,
        }


def day_requirement(
    *,
    hours: list[int],
    forecast: dict[int, HourForecast],
    min_offpeak: int,
    min_peak: int,
    service_level: float,
    answer_seconds: float,
    peak_ratio: float,
) -> dict[int, HourRequirement]:
    """The requirement of each open hour of one day; `forecast` maps an hour to its forecast
    (hours without one need the off-peak minimum)."""
    busiest = max((forecast[h].arrivals for h in hours if h in forecast), default=0.0)
    out = {}
    for hour in hours:
        f = forecast.get(hour)
        erlang = 0
        if f is not None and f.arrivals > 0 and f.handling_seconds > 0:
            erlang = agents_required(
                arrivals=f.arrivals,
                interval_seconds=3600,
                handling_seconds=f.handling_seconds,
                target_level=service_level,
                target_seconds=answer_seconds,
            )
        peak = busiest > 0 and f is not None and f.arrivals >= peak_ratio * busiest
        minimum = min_peak if peak else min_offpeak
        out[hour] = HourRequirement(max(minimum, erlang), minimum, erlang, f.arrivals if f else None, peak)
    return out
