"""The insights page (supervisors): charts with their figures as tables, and the groups of
unanswered questions. Escaped like pages.py; customer text is shown as typed, never as markup.
"""

from __future__ import annotations

from datetime import date

from app.console.auth import ConsoleUser
from app.console.charts import Bar, bar_chart, column_chart
from app.console.grouping import QuestionGroup
from app.console.html import Html, attrs, join, render, timestamp, when
from app.console.insights import PERIODS, DayOutcome, Insights
from app.console.pages import conversation_url, topbar
from app.console.service_pages import service_section
from app.db.unanswered import FailedQuestion

REASON_LABELS = {
    "asked_for_human": "asked for a person",
    "complaint": "complaint",
    "policy_topic": "refund, legal, safety",
    "repeated_problem": "fix did not help",
    "repeated_failure": "bot failed twice",
}
QUESTION_CHARS = 400  # longer messages are cut on the page (the JSON has them whole)


def insights_url(days: int, *, json: bool = False) -> str:
    return f"/console/{'api/insights' if json else 'insights'}?days={days}"


def insights_page(user: ConsoleUser, insights: Insights) -> Html:
    periods = join(
        render(
            '<a class="period" data-days="{d}" href="{href}"{current}>{d} days</a>',
            d=days,
            href=insights_url(days),
            current=Html(' aria-current="page"') if days == insights.days else Html(""),
        )
        for days in PERIODS
    )
    return render(
        """{topbar}<main><h1>Insights</h1>
<nav id="insights-period" class="actions" aria-label="Period">Last {periods}
<span class="spacer"></span><a id="insights-json" href="{json}">as JSON</a></nav>
{deflection}{service}{escalations}{unanswered}</main>""",
        topbar=topbar(user),
        periods=periods,
        json=insights_url(insights.days, json=True),
        deflection=deflection_section(insights),
        service=service_section(insights.service, insights.days),
        escalations=escalations_section(insights),
        unanswered=unanswered_section(insights),
    )


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def day_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def deflection_section(insights: Insights) -> Html:
    first, last = insights.outcomes[0].day, insights.outcomes[-1].day
    chart = column_chart(
        [
            Bar(
                label=day_label(o.day),
                value=o.deflection_rate,
                title=day_title(o),
                key=o.day.isoformat(),
            )
            for o in insights.outcomes
        ],
        chart_id="deflection-chart",
        title="Deflection rate per day",
        description=(
            f"Share of each day's conversations the bot resolved alone, "
            f"{first.isoformat()} to {last.isoformat()} (UTC): "
            f"{percent(insights.deflection_rate)} over the period."
        ),
        y_max=1.0,
        y_ticks=[(share, f"{share:.0%}") for share in (0.0, 0.25, 0.5, 0.75, 1.0)],
        label_every=max(1, round(insights.days / 7)),
    )
    rows = join(
        render(
            '<tr class="deflection-day"{data}><td>{day}</td><td>{total}</td><td>{escalated}</td>'
            "<td>{deflected}</td><td>{rate}</td></tr>",
            data=attrs(
                data_day=o.day.isoformat(),
                data_conversations=o.conversations,
                data_escalated=o.escalated,
                data_deflected=o.deflected,
            ),
            day=o.day.isoformat(),
            total=o.conversations,
            escalated=o.escalated,
            deflected=o.deflected,
            rate=percent(o.deflection_rate),
        )
        for o in reversed(insights.outcomes)  # the newest day first, as one reads a log
    )
    rate = insights.deflection_rate
    return render(
        """<section id="deflection" class="card"><h2>Deflection</h2>
<p><b id="deflection-rate" class="headline"{rate_attr}>{rate}</b> of
<span id="conversation-count">{total}</span> conversation(s) in the last {days} days
(<span id="deflected-count">{deflected}</span>) were resolved by the bot alone;
<span id="escalated-count">{escalated}</span> went to a person.
<span class="muted">Resolved alone: the bot gave an answer, nobody was asked in, no thumbs
down, and the customer did not come back within a day to be handed to a person or give a
thumbs down. Chats abandoned or broken off before any answer are not counted as resolved. A
conversation counts on the day it started (UTC), if the customer wrote in it.</span></p>
{chart}
<details><summary>Figures per day</summary>
<table id="deflection-table"><thead><tr><th>Day (UTC)</th><th>Conversations</th>
<th>Escalated</th><th>Resolved alone</th><th>Deflection</th></tr></thead>
<tbody>{rows}</tbody></table></details>
</section>""",
        rate_attr=attrs(data_rate=f"{rate:.4f}" if rate is not None else None),
        rate=percent(rate),
        total=insights.conversations,
        days=insights.days,
        escalated=insights.escalated,
        deflected=insights.deflected,
        chart=chart,
        rows=rows,
    )


def day_title(outcome: DayOutcome) -> str:
    day = outcome.day.isoformat()
    if not outcome.conversations:
        return f"{day}: no conversations"
    return (
        f"{day}: {percent(outcome.deflection_rate)} deflected ({outcome.deflected} of "
        f"{outcome.conversations} conversations resolved by the bot alone)"
    )


def escalations_section(insights: Insights) -> Html:
    total = insights.escalations
    bars = [
        Bar(
            label=REASON_LABELS.get(reason, reason),
            value=float(count),
            title=f"{REASON_LABELS.get(reason, reason)} ({reason}): {count}",
            key=reason,
        )
        for reason, count in insights.reasons.items()
    ]
    chart = bar_chart(
        bars,
        chart_id="escalation-chart",
        title="Escalations by reason",
        description=f"{total} conversation(s) escalated in the last {insights.days} days, "
        + ", ".join(f"{REASON_LABELS.get(r, r)} {n}" for r, n in insights.reasons.items()),
    )
    rows = join(
        render(
            '<tr class="escalation-reason"{data}><td>{label}</td><td><code>{reason}</code></td>'
            '<td class="escalation-count">{count}</td><td>{share}</td></tr>',
            data=attrs(data_reason=reason, data_count=count),
            label=REASON_LABELS.get(reason, reason),
            reason=reason,
            count=count,
            share=percent(count / total if total else None),
        )
        for reason, count in insights.reasons.items()
    )
    return render(
        """<section id="escalations" class="card"><h2>Escalations by reason</h2>
<p><span id="escalation-total">{total}</span> conversation(s) first went to a person in the
last {days} days. <span class="muted">Each counts once, under its main reason (the one the
queue shows).</span></p>
{chart}
<table id="escalation-reasons"><thead><tr><th>Reason</th><th>Code</th><th>Conversations</th>
<th>Share</th></tr></thead><tbody>{rows}</tbody></table></section>""",
        total=total,
        days=insights.days,
        chart=chart,
        rows=rows,
    )


def unanswered_section(insights: Insights) -> Html:
    groups = join(group_html(group) for group in insights.groups)
    notice = when(
        insights.grouped_by == "wording",
        Html(
            '<p id="grouping-notice" class="muted">Grouped by identical wording only: this '
            "app process has no embedding model loaded.</p>"
        ),
    )
    return render(
        """<section id="unanswered" class="card"><h2>Questions the bot could not answer</h2>
<p>The knowledge-base articles worth writing next: <span id="question-count">{count}</span>
question(s) from the last {days} days that the bot abstained on or that got a thumbs down,
grouped by what they ask, the largest group first.</p>{notice}
{groups}</section>""",
        count=insights.questions,
        days=insights.days,
        notice=notice,
        groups=render('<ol id="question-groups">{items}</ol>', items=groups)
        if insights.groups
        else Html(
            '<p id="question-groups-empty" class="muted">No unanswered questions in this '
            "period.</p>"
        ),
    )


def group_html(group: QuestionGroup) -> Html:
    examples = join(
        render('<li class="group-example">{text}</li>', text=shortened(q)) for q in group.examples()
    )
    why = [f"abstained {group.abstained}"] if group.abstained else []
    if group.thumbs_down:
        why.append(f"thumbs down {group.thumbs_down}")
    return render(
        """<li class="question-group"{data}><div><span class="group-size badge">{size}×</span>
<span class="group-representative pre">{text}</span></div>
<div class="message-meta"><span>{conversations} conversation(s)</span><span>{why}</span>
<span>last asked {last}</span><a class="group-open" href="{href}">open a conversation</a></div>
{examples}</li>""",
        data=attrs(data_size=group.size),
        size=group.size,
        text=shortened(group.representative),
        conversations=group.conversations,
        why=", ".join(why),
        last=timestamp(group.last_asked),
        href=conversation_url(group.representative.conversation_id),
        examples=render('<ul class="group-examples">{items}</ul>', items=examples)
        if examples
        else Html(""),
    )


def shortened(question: FailedQuestion) -> str:
    text = question.text.strip()
    return text if len(text) <= QUESTION_CHARS else text[: QUESTION_CHARS - 1].rstrip() + "…"
