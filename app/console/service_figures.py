"""How the support team served the customers handed to it over the insights period:
satisfaction (the 1-5 question asked when an agent resolves a conversation), how long
customers waited for a first reply and for a resolution, and each agent's share of the work.

Read from app.db.csat and app.db.service_stats; blocking, like the rest of `gather`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy.orm import Session

from app.db import csat, service_stats
from app.ground.measures import percentile

SATISFIED = 4  # a rating of 4 or 5 counts as satisfied (the usual CSAT share)


@dataclass(frozen=True)
class Durations:
    """Seconds: how many, their median and 90th percentile (None without any)."""

    count: int
    median: float | None
    p90: float | None

    @staticmethod
    def of(values: list[float]) -> Durations:
        if not values:
            return Durations(0, None, None)
        return Durations(len(values), median(values), percentile(values, 90))


@dataclass(frozen=True)
class AgentFigures:
    name: str
    conversations: int  # they replied to or resolved
    replies: int
    resolved: int
    rated: int
    csat: float | None  # their average rating, None when unrated


@dataclass(frozen=True)
class ServiceFigures:
    asked: int  # satisfaction questions asked in the period
    ratings: dict[int, int]  # 1..5 -> how many
    first_reply: Durations
    resolution: Durations
    agents: tuple[AgentFigures, ...]

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def csat_average(self) -> float | None:
        if not self.rated:
            return None
        return sum(r * n for r, n in self.ratings.items()) / self.rated

    @property
    def csat_satisfied(self) -> float | None:
        """Share of ratings that were 4 or 5."""
        if not self.rated:
            return None
        return sum(n for r, n in self.ratings.items() if r >= SATISFIED) / self.rated

    def to_json(self) -> dict[str, Any]:
        return {
            "csat": {
                "asked": self.asked,
                "rated": self.rated,
                "average": self.csat_average,
                "satisfied_share": self.csat_satisfied,
                "ratings": {str(r): n for r, n in self.ratings.items()},
            },
            "first_reply_s": vars(self.first_reply),
            "resolution_s": vars(self.resolution),
            "agents": [vars(a) for a in self.agents],
        }


def gather_service(session: Session, *, since: datetime) -> ServiceFigures:
    rated = csat.rated_since(session, since=since)
    ratings = {r: 0 for r in range(1, 6)}
    by_agent: dict[str, list[int]] = defaultdict(list)
    for rating, agent in rated:
        ratings[rating] += 1
        if agent:
            by_agent[agent].append(rating)
    work = service_stats.agent_work(session, since=since)
    agents = tuple(
        AgentFigures(
            name=name,
            conversations=work.get(name, {}).get("conversations", 0),
            replies=work.get(name, {}).get("replies", 0),
            resolved=work.get(name, {}).get("resolved", 0),
            rated=len(by_agent[name]),
            csat=sum(by_agent[name]) / len(by_agent[name]) if by_agent[name] else None,
        )
        for name in sorted(set(work) | set(by_agent))
    )
    return ServiceFigures(
        asked=csat.asked_since(session, since=since),
        ratings=ratings,
        first_reply=Durations.of(service_stats.first_reply_waits(session, since=since)),
        resolution=Durations.of(service_stats.resolution_times(session, since=since)),
        agents=agents,
    )
