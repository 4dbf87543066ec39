"""The insights page's service section: satisfaction, waiting and resolution times, and each
agent's work, as figures and tables (escaped like pages.py)."""

from __future__ import annotations

from app.console.html import Html, attrs, join, render
from app.console.service_figures import Durations, ServiceFigures


def duration_words(seconds: float | None) -> str:
    """'45 s', '12 min', '3.5 h'; a dash when there is nothing to measure."""
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def average_words(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def service_section(service: ServiceFigures, days: int) -> Html:
    satisfied = service.csat_satisfied
    ratings = join(
        render(
            '<tr class="csat-rating"{data}><td>{rating}</td><td>{count}</td></tr>',
            data=attrs(data_rating=rating, data_count=count),
            rating=rating,
            count=count,
        )
        for rating, count in sorted(service.ratings.items(), reverse=True)
    )
    agents = join(
        render(
            '<tr class="agent-figures"{data}><td>{name}</td><td>{conversations}</td>'
            "<td>{replies}</td><td>{resolved}</td><td>{csat}</td></tr>",
            data=attrs(data_agent=a.name, data_resolved=a.resolved),
            name=a.name,
            conversations=a.conversations,
            replies=a.replies,
            resolved=a.resolved,
            csat=f"{average_words(a.csat)} ({a.rated} rated)" if a.rated else "—",
        )
        for a in service.agents
    )
    return render(
        """<section id="service" class="card"><h2>Service</h2>
<p>Satisfaction: <b id="csat-average" class="headline"{avg_attr}>{average}</b> out of 5 from
<span id="csat-rated">{rated}</span> rating(s) of <span id="csat-asked">{asked}</span>
conversation(s) resolved by a person in the last {days} days;
<span id="csat-satisfied">{satisfied}</span> rated 4 or 5.
<span class="muted">Asked in the chat when an agent resolves a conversation.</span></p>
<table id="csat-ratings"><thead><tr><th>Rating</th><th>Conversations</th></tr></thead>
<tbody>{ratings}</tbody></table>
<table id="service-times"><thead><tr><th></th><th>Conversations</th><th>Median</th>
<th>90th percentile</th></tr></thead><tbody>{first}{resolution}</tbody></table>
<p class="muted">First reply: from joining the queue to an agent's first reply.
Resolution: from joining the queue to being marked resolved.</p>
<table id="agent-figures"><thead><tr><th>Agent</th><th>Conversations</th><th>Replies</th>
<th>Resolved</th><th>Satisfaction</th></tr></thead><tbody>{agents}</tbody></table>
</section>""",
        avg_attr=attrs(
            data_average=None if service.csat_average is None else f"{service.csat_average:.4f}"
        ),
        average=average_words(service.csat_average),
        rated=service.rated,
        asked=service.asked,
        days=days,
        satisfied="—" if satisfied is None else f"{satisfied:.0%}",
        ratings=ratings,
        first=_times_row("first-reply", "First reply", service.first_reply),
        resolution=_times_row("resolution", "Resolution", service.resolution),
        agents=agents,
    )


def _times_row(key: str, label: str, durations: Durations) -> Html:
    return render(
        '<tr id="{key}-time"{data}><th>{label}</th><td>{count}</td><td>{median}</td>'
        "<td>{p90}</td></tr>",
        key=key,
        data=attrs(data_median_s=durations.median, data_count=durations.count),
        label=label,
        count=durations.count,
        median=duration_words(durations.median),
        p90=duration_words(durations.p90),
    )
