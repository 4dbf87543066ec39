"""The queue page and its live region, and the pieces every console page shares.

Every value goes through `render` (escaped); the stable ids, classes and data attributes that
tests and the browser test rely on are listed in the package docstring (app/console/__init__.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from app.console.alerts import ALERT_BUTTONS
from app.console.auth import ConsoleUser
from app.console.html import Html, attrs, duration, join, render, when
from app.handoff.views import QueueItem

PRIORITY_NAMES = {1: "urgent", 2: "high", 3: "normal", 4: "low"}
QUEUE_STATES = ("queued", "assigned")


@dataclass(frozen=True)
class QueueFilters:
    state: str | None = None
    reason: str | None = None
    priority: int | None = None
    mine: bool = False
    intent: str | None = None

    def query(self) -> str:
        pairs = {
            "state": self.state or "",
            "reason": self.reason or "",
            "intent": self.intent or "",
            "priority": str(self.priority or ""),
            "mine": "1" if self.mine else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})


def conversation_url(conversation_id: str) -> str:
    return f"/console/conversations/{quote(conversation_id, safe='')}"


def topbar(user: ConsoleUser) -> Html:
    """The navigation every signed-in page shows; links only to what the role may open."""
    return render(
        """<header class="topbar"><span class="brand">supportbot console</span>
<a id="nav-queue" href="/console">Queue</a>
<a id="nav-search" href="/">Search</a>
{audit}{insights}{macros}{agents}
<span class="spacer"></span><span id="live-status"></span>{alerts}
<span id="whoami" data-role="{role}" data-username="{username}" data-agent-id="{agent_id}">\
{name} · {role}</span>
<form id="logout-form" method="post" action="/console/logout">{csrf}
<button id="logout" type="submit">Sign out</button></form></header>""",
        audit=when(
            user.may("supervisor"), Html('<a id="nav-audit" href="/console/audit">Audit log</a>')
        ),
        insights=when(
            user.may("supervisor"),
            Html('<a id="nav-insights" href="/console/insights">Insights</a>'),
        ),
        macros=when(
            user.may("supervisor"),
            Html('<a id="nav-macros" href="/console/macros">Saved replies</a>'),
        ),
        agents=when(
            user.may("admin"), Html('<a id="nav-agents" href="/console/agents">Agents</a>')
        ),
        alerts=Html(ALERT_BUTTONS),
        role=user.role,
        username=user.username,
        agent_id=user.actor.agent_id,
        name=user.actor.display_name,
        csrf=csrf_field(user),
    )


def csrf_field(user: ConsoleUser) -> Html:
    return render('<input type="hidden" name="csrf_token" value="{token}">', token=user.csrf_token)


def priority_badge(priority: int, element_id: str | None = None) -> Html:
    return render(
        '<span class="prio"{id} data-priority="{p}" title="priority {p}">P{p} {name}</span>',
        id=attrs(id=element_id),
        p=priority,
        name=PRIORITY_NAMES.get(priority, ""),
    )


def customer_label(name: str | None, email: str | None, identifier: str | None) -> Html:
    """Who the customer is, as agents read it: their name and e-mail address when known,
    else the chat's identifier for them."""
    if not (name or email):
        return render('<span class="customer-id">{who}</span>', who=identifier or "(anonymous)")
    return render(
        '<span class="customer-name">{name}</span>{email}',
        name=name or "",
        email=when(
            email, render(' <span class="customer-email">&lt;{email}&gt;</span>', email=email)
        ),
    )


def state_badge(state: str, element_id: str | None = None) -> Html:
    return render(
        '<span class="badge"{id} data-state="{state}">{state}</span>',
        id=attrs(id=element_id),
        state=state,
    )


def sentiment_text(sentiment: dict[str, Any]) -> Html:
    if not sentiment:
        return Html("")
    label = sentiment.get("label", "")
    return render(
        '<span class="sentiment" data-label="{label}" title="last {last}, mean {mean}, lowest '
        '{low}">{label}, {trend}</span>',
        label=label,
        trend=sentiment.get("trend", ""),
        last=number(sentiment.get("last")),
        mean=number(sentiment.get("mean")),
        low=number(sentiment.get("min")),
    )


def number(value: object) -> str:
    return f"{value:+.2f}" if isinstance(value, int | float) else ""


# --- the queue -------------------------------------------------------------------------


def queue_page(
    user: ConsoleUser,
    items: Sequence[QueueItem],
    filters: QueueFilters,
    reasons: Sequence[str],
    intents: Sequence[str] = (),
) -> Html:
    reason_options = _options(reasons, filters.reason)
    intent_options = _options(intents, filters.intent)
    state_options = join(
        render(
            '<option value="{s}"{selected}>{s}</option>',
            s=state,
            selected=Html(" selected") if state == filters.state else Html(""),
        )
        for state in QUEUE_STATES
    )
    priority_options = join(
        render(
            '<option value="{p}"{selected}>P{p} {name}</option>',
            p=p,
            name=name,
            selected=Html(" selected") if p == filters.priority else Html(""),
        )
        for p, name in PRIORITY_NAMES.items()
    )
    return render(
        """{topbar}<main><h1>Queue</h1>
<form id="queue-filters" class="filters" method="get" action="/console">
<label>State<select id="filter-state" name="state">
<option value="">open (queued and assigned)</option>{states}</select></label>
<label>Reason<select id="filter-reason" name="reason"><option value="">any</option>{reasons}
</select></label>
<label>Intent<select id="filter-intent" name="intent"><option value="">any</option>{intents}
</select></label>
<label>Priority<select id="filter-priority" name="priority"><option value="">any</option>
{priorities}</select></label>
<label><span>Mine only</span><input id="filter-mine" type="checkbox" name="mine" value="1"{mine}>
</label>
<button id="filter-apply" type="submit">Apply</button>
<a id="filter-clear" href="/console">Clear</a></form>
{region}</main>""",
        topbar=topbar(user),
        states=state_options,
        reasons=reason_options,
        intents=intent_options,
        priorities=priority_options,
        mine=Html(" checked") if filters.mine else Html(""),
        region=queue_region(items, filters),
    )


def _options(values: Sequence[str], chosen: str | None) -> Html:
    """A select's options: the values present, and the chosen one even if none has it now."""
    return join(
        render(
            '<option value="{v}"{selected}>{v}</option>',
            v=value,
            selected=Html(" selected") if value == chosen else Html(""),
        )
        for value in sorted(set(values) | ({chosen} if chosen else set()))
    )


def queue_region(items: Sequence[QueueItem], filters: QueueFilters) -> Html:
    """The queue table; the script re-fetches it from /console/fragments/queue on events."""
    query = filters.query()
    src = "/console/fragments/queue" + (f"?{query}" if query else "")
    rows = join(_queue_row(item) for item in items) or Html(
        '<tr id="queue-empty"><td colspan="8" class="muted">Nobody is waiting. New escalations '
        "appear here as they arrive.</td></tr>"
    )
    return render(
        """<div id="live-region" data-src="{src}" data-compose-key="">
<table id="queue"><thead><tr><th>Priority</th><th>State</th><th>Reason</th><th>Summary</th>
<th>Product</th><th>Waiting</th><th>Mood</th><th>Assigned to</th></tr></thead>
<tbody id="queue-rows">{rows}</tbody></table>
<p class="muted"><span id="queue-count">{count}</span> conversation(s)</p></div>""",
        src=src,
        rows=rows,
        count=len(items),
    )


def _queue_row(item: QueueItem) -> Html:
    summary = item.summary.strip() or "(no summary yet)"
    return render(
        """<tr class="queue-item"{data}>
<td>{priority}</td><td>{state}</td>
<td class="queue-reason">{reason}<div class="muted queue-intent">{intent}</div></td>
<td><a class="open-conversation" href="{href}"><span class="queue-summary pre">{summary}</span></a>
<div class="muted queue-customer">{customer}</div></td>
<td>{product}</td><td class="queue-waiting">{waiting}</td><td>{sentiment}</td>
<td class="queue-assignee">{assignee}</td></tr>""",
        data=attrs(
            data_conversation_id=item.conversation_id,
            data_state=item.state,
            data_priority=item.priority,
            data_reason=item.reason,
            data_intent=item.intent,
            data_assigned_agent_id=item.assigned_agent_id,
        ),
        priority=priority_badge(item.priority),
        state=state_badge(item.state),
        reason=", ".join(item.reasons or [item.reason]),
        intent=item.intent or "",
        href=conversation_url(item.conversation_id),
        summary=summary,
        customer=customer_label(item.customer_name, item.customer_email, item.customer),
        product=item.product or "",
        waiting=duration(item.waiting_s),
        sentiment=sentiment_text(item.sentiment),
        assignee=item.assigned_to or "",
    )
