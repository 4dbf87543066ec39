"""One conversation's page: the live region (state, brief, transcript with citations, notes,
moves) that the script re-fetches, and the reply and note forms that stay put meanwhile.

Customer text is shown as typed: escaped by `render`, never rendered as markdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from app.console.auth import ConsoleUser
from app.console.customer_pages import customer_facts, earlier_html
from app.console.html import Html, attrs, join, render, timestamp
from app.console.pages import (
    QUEUE_STATES,
    conversation_url,
    csrf_field,
    number,
    priority_badge,
    sentiment_text,
    state_badge,
    topbar,
)
from app.handoff.views import ConversationView, EscalationView, MessageView

NOTHING = Html("")


def compose_key(user: ConsoleUser, view: ConversationView) -> str:
    """What decides which forms the page shows; a live change of it reloads the page."""
    owner = view.escalation.assigned_agent_id if view.escalation else None
    return f"{view.state}:{owner == user.actor.agent_id}"


def conversation_page(
    user: ConsoleUser,
    view: ConversationView,
    *,
    agents: Sequence[tuple[str, str]],
    client_id: str,
    max_reply_chars: int,
    copilot: Html = NOTHING,
) -> Html:
    """The whole page: the live region (state, brief, transcript, notes, moves), and the
    copilot (app/console/copilot_pages.py), reply and note forms, which stay put while the
    region refreshes. The copilot shows only with the reply form, which it fills."""
    escalation = view.escalation
    mine = bool(escalation and escalation.assigned_agent_id == user.actor.agent_id)
    href = conversation_url(view.conversation_id)
    reply = render(
        """<form id="reply-form" class="card" method="post" action="{href}/reply">{csrf}
<input type="hidden" name="client_id" value="{client_id}">
<label for="reply-text"><b>Reply to the customer</b></label>
<textarea id="reply-text" name="text" maxlength="{limit}" required></textarea>
<div class="actions"><button id="reply-send" class="primary" type="submit" name="action"
value="reply">Send reply</button><span class="muted">Shown in the customer's chat at once.</span>
</div></form>""",
        href=href,
        csrf=csrf_field(user),
        client_id=client_id,
        limit=max_reply_chars,
    )
    if not (view.state == "assigned" and mine):
        reply = Html(
            '<p id="reply-hint" class="card muted">Claim the conversation to reply to the '
            "customer.</p>"
        )
    else:
        reply = Html(copilot + reply)
    note = render(
        """<form id="note-form" class="card" method="post" action="{href}/notes">{csrf}
<label for="note-text"><b>Internal note</b> <span class="muted">(agents only)</span></label>
<textarea id="note-text" name="text" maxlength="{limit}" required></textarea>
<div class="actions"><button id="note-add" type="submit" name="action" value="note">Add note
</button></div></form>""",
        href=href,
        csrf=csrf_field(user),
        limit=max_reply_chars,
    )
    return render(
        """{topbar}<main><p><a id="back-to-queue" href="/console">&larr; Queue</a></p>
{region}{reply}{note}</main>""",
        topbar=topbar(user),
        region=conversation_region(user, view, agents=agents),
        reply=reply,
        note=note,
    )


def conversation_region(
    user: ConsoleUser, view: ConversationView, *, agents: Sequence[tuple[str, str]]
) -> Html:
    escalation = view.escalation
    return render(
        """<div id="live-region" data-src="/console/fragments/conversations/{quoted}"
data-conversation-id="{cid}" data-compose-key="{key}">
<h1>Conversation {state} {priority}</h1>
<div class="layout"><section>
<div id="moves" class="card actions">{moves}</div>
<h2>Transcript</h2><div id="transcript">{messages}</div>
<h2>Internal notes</h2><ul id="notes" class="notes">{notes}</ul>
</section><aside>{brief}</aside></div></div>""",
        quoted=quote(view.conversation_id, safe=""),
        cid=view.conversation_id,
        key=compose_key(user, view),
        state=state_badge(view.state, "state"),
        priority=priority_badge(escalation.priority, "priority") if escalation else Html(""),
        moves=moves(user, view, agents),
        messages=join(message_html(m) for m in view.messages)
        or Html('<p class="muted" id="transcript-empty">No messages.</p>'),
        notes=join(
            render(
                '<li class="note"><div class="message-meta"><b class="note-author">{author}</b>'
                '{at}</div><div class="note-text">{text}</div></li>',
                author=n.author or "(removed agent)",
                at=timestamp(n.created_at),
                text=n.text,
            )
            for n in view.notes
        )
        or Html('<li class="muted" id="notes-empty">No notes yet.</li>'),
        brief=brief_html(view),
    )


def moves(user: ConsoleUser, view: ConversationView, agents: Sequence[tuple[str, str]]) -> Html:
    """The buttons for the moves the state allows; the service checks them again."""
    escalation = view.escalation
    href = conversation_url(view.conversation_id)
    mine = bool(escalation and escalation.assigned_agent_id == user.actor.agent_id)
    parts: list[Html] = []

    def button(action: str, label: str, css: str = "") -> Html:
        return render(
            '<form class="inline" method="post" action="{href}/{path}">{csrf}'
            '<button id="action-{action}" class="{css}" type="submit" name="action" '
            'value="{action}">{label}</button></form>',
            href=href,
            path=action,
            csrf=csrf_field(user),
            action=action,
            label=label,
            css=css,
        )

    if view.state == "queued":
        parts.append(button("claim", "Claim", "primary"))
    if view.state == "assigned" and (mine or user.may("supervisor")):
        parts.append(button("release", "Release to queue"))
        parts.append(button("resolve", "Resolve", "primary"))
        parts.append(button("return", "Return to bot"))
    if view.state in QUEUE_STATES and user.may("supervisor"):
        options = join(
            render(
                '<option value="{id}"{selected}>{name}</option>',
                id=agent_id,
                name=name,
                selected=Html(" selected")
                if escalation and escalation.assigned_agent_id == agent_id
                else Html(""),
            )
            for agent_id, name in agents
        )
        parts.append(
            render(
                '<form id="assign-form" class="inline" method="post" action="{href}/assign">{csrf}'
                '<select id="assign-agent" name="agent_id">{options}</select> '
                '<button id="action-assign" type="submit" name="action" value="assign">Assign'
                "</button></form>",
                href=href,
                csrf=csrf_field(user),
                options=options,
            )
        )
    if not parts:
        text = "With the bot: nothing to do unless it escalates again."
        if view.state == "assigned":
            who = escalation.assigned_to if escalation else None
            text = f"Assigned to {who or 'another agent'}."
        parts.append(render('<span class="muted" id="moves-none">{text}</span>', text=text))
    return join(parts)


def message_html(message: MessageView) -> Html:
    """One transcript entry. The text is shown as typed: escaped, never markdown."""
    triage = message.triage or {}
    label = triage.get("sentiment_label")
    sentiment = Html("")
    if message.role == "customer" and label:
        sentiment = render(
            '<span class="message-sentiment sentiment" data-label="{label}">mood: {label} '
            "({score})</span>",
            label=label,
            score=number(triage.get("sentiment_score")),
        )
    # The company's own intent (intents.toml) when its model knows the message, else triage's.
    intent = (
        (triage.get("company_intent") or triage.get("intent"))
        if message.role == "customer"
        else None
    )
    return render(
        """<article class="message"{data}><div class="message-meta">
<b class="message-author">{author}</b>{at}{sentiment}{intent}</div>
<div class="message-text">{text}</div>{citations}</article>""",
        data=attrs(data_role=message.role, data_message_id=message.id),
        author=message.author or message.role,
        at=timestamp(message.created_at),
        sentiment=sentiment,
        intent=render('<span class="message-intent">intent: {i}</span>', i=intent)
        if intent
        else Html(""),
        text=message.text,
        citations=citations_html(message.citations),
    )


def citations_html(citations: Sequence[dict[str, Any]]) -> Html:
    if not citations:
        return Html("")
    items = []
    for citation in citations:
        # Every section the citation names (rows stored before they were kept: the first).
        paths = citation.get("section_paths") or [citation.get("heading_path") or []]
        where = "; ".join(" › ".join(str(h) for h in path) for path in paths)
        url = str(citation.get("url") or "")
        link = Html("")
        if urlsplit(url).scheme in ("http", "https"):  # never javascript: or data: links
            link = render(
                ' <a class="citation-link" href="{url}" rel="noopener noreferrer" '
                'target="_blank">open</a>',
                url=url,
            )
        items.append(
            render(
                '<li class="citation" data-marker="{marker}"><b>[{marker}] {title}</b>'
                ' <span class="muted">{where} · {source}</span>{link}'
                '<details><summary>passage</summary><div class="pre citation-snippet">{snippet}'
                "</div></details></li>",
                marker=citation.get("marker", ""),
                title=citation.get("title", ""),
                where=where,
                source=citation.get("source", ""),
                link=link,
                snippet=citation.get("snippet", ""),
            )
        )
    return render('<ol class="citations">{items}</ol>', items=join(items))


def brief_html(view: ConversationView) -> Html:
    """What the agent reads first: summary, the bot's suggestion, entities, mood, owner."""
    escalation: EscalationView | None = view.escalation
    facts = render(
        '<dl class="facts">{customer}<dt>Product</dt><dd id="product">{product}</dd>{more}</dl>',
        customer=customer_facts(view),
        product=view.product or "",
        more=render(
            '<dt>Reasons</dt><dd id="reasons">{reasons}</dd>'
            '<dt>Intent</dt><dd id="intent">{intent}</dd>'
            '<dt>Assigned to</dt><dd id="assigned-to">{assigned}</dd>'
            "<dt>Queued</dt><dd>{queued}</dd><dt>Escalated</dt><dd>{times} time(s)</dd>"
            '<dt>Mood</dt><dd id="sentiment">{sentiment}</dd>',
            reasons=", ".join(escalation.reasons or [escalation.reason]),
            intent=escalation.intent or "(not recognised)",
            assigned=escalation.assigned_to or "nobody",
            queued=timestamp(escalation.queued_at),
            times=escalation.times_escalated,
            sentiment=sentiment_text(escalation.sentiment),
        )
        if escalation
        else Html(""),
    )
    if escalation is None:
        return render(
            '<div class="card" id="brief">{facts}{earlier}</div>',
            facts=facts,
            earlier=earlier_html(view),
        )
    entities = join(
        render(
            '<li class="entity" data-kind="{kind}"><span class="muted">{kind}:</span> {text}</li>',
            kind=e.get("kind", ""),
            text=e.get("value") or e.get("text", ""),
        )
        for e in escalation.entities
    )
    return render(
        """<div class="card" id="brief">{facts}
<h2>Summary</h2><div id="summary" class="pre">{summary}</div>
<h2>The bot suggested</h2><div id="bot-suggested" class="pre">{suggested}</div>
<h2>Entities</h2><ul id="entities">{entities}</ul>{earlier}</div>""",
        facts=facts,
        earlier=earlier_html(view),
        summary=escalation.summary or "(none)",
        suggested=escalation.bot_suggested or "(nothing)",
        entities=entities or Html('<li class="muted">none found</li>'),
    )
