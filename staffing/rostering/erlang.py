"""Erlang C: how many staff serve a stream of arrivals at a service-level target.

Offered load A (Erlangs) = arrivals per interval × handling time / interval length.
With n servers, the probability that an arrival waits is Erlang C(n, A); the share of
arrivals answered within t seconds is 1 − C · exp(−(n − A) · t / handling time).

Erlang C is computed from the Erlang B recursion B(k) = A·B(k−1) / (k + A·B(k−1)),
which never forms A^n or n!, so it stays exact for hundreds of servers.
"""

import math

__all__ = [
    "agents_required",
    "average_speed_of_answer",
    "erlang_b",
    "offered_load",
    "probability_of_waiting",
    "service_level",
]


def offered_load(*, arrivals: float, interval_seconds: float, handling_seconds: float) -> float:
    """Offered traffic in Erlangs: `arrivals` in an interval of `interval_seconds`, each served
    in `handling_seconds` on average."""
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be positive")
    if arrivals < 0 or handling_seconds < 0:
        raise ValueError("arrivals and handling_seconds must not be negative")
    return arrivals * handling_seconds / interval_seconds


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of an M/M/n/n system (Erlang B), by the stable recursion."""
    if servers < 0 or load < 0:
        raise ValueError("servers and load must not be negative")
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def probability_of_waiting(servers: int, load: float) -> float:
    """Erlang C: the probability an arrival has to wait. 1.0 when servers ≤ load (the queue grows
    without bound), 0.0 when there is no load."""
    if load <= 0:
        return 0.0
    if servers <= load:
        return 1.0
    blocking = erlang_b(servers, load)
    return servers * blocking / (servers - load * (1 - blocking))


def service_level(servers: int, load: float, *, handling_seconds: float, target_seconds: float) -> float:
    """Share of arrivals answered within `target_seconds` with `servers` staff serving."""
    if load <= 0:
        return 1.0
    if servers <= load:
        return 0.0
    waiting = probability_of_waiting(servers, load)
    return 1.0 - waiting * math.exp(-(servers - load) * target_seconds / handling_seconds)


def average_speed_of_answer(servers: int, load: float, *, handling_seconds: float) -> float:
    """Mean wait in seconds over all arrivals; infinite when servers ≤ load."""
    if load <= 0:
        return 0.0
    if servers <= load:
        return math.inf
    return probability_of_waiting(servers, load) * handling_seconds / (servers - load)


def agents_required(
    *,
    arrivals: float,
    interval_seconds: float,
    handling_seconds: float,
    target_level: float,
    target_seconds: float,
) -> int:
    """The fewest staff for which at least `target_level` (0 < level < 1) of the arrivals are
    answered within `target_seconds`. No arrivals need no staff; otherwise the answer is always
    more than the offered load (fewer servers than Erlangs never reach a steady state)."""
    if not 0 < target_level < 1:
        raise ValueError("target_level must be strictly between 0 and 1")
    if target_seconds < 0:
        raise ValueError("target_seconds must not be negative")
    load = offered_load(
        arrivals=arrivals, interval_seconds=interval_seconds, handling_seconds=handling_seconds
    )
    if load == 0:
        return 0
    servers = math.floor(load) + 1
    while (
        service_level(servers, load, handling_seconds=handling_seconds, target_seconds=target_seconds)
        < target_level
    ):
        servers += 1
    return servers
