"""Who the customer is, on a conversation's page: their name and e-mail address (and where
the chat got them), and their earlier conversations, one click away.

Everything goes through `render` (escaped): names and addresses are the customer's own text.
"""

from __future__ import annotations

from app.console.html import Html, join, render, timestamp, when
from app.console.pages import conversation_url, customer_label, state_badge
from app.handoff.views import ConversationView

SOURCE_WORDS = {
    "site": "from the website's sign-in (verified by its signed token)",
    "form": "typed into the pre-chat form (not verified)",
}
QUESTION_CHARS = 140  # of each earlier conversation's first question


def customer_facts(view: ConversationView) -> Html:
    """The brief's Customer entry: name and e-mail when known, else the chat's identifier."""
    profile = view.profile
    if profile is None or not profile.known:
        return render(
            '<dt>Customer</dt><dd id="customer">{who}</dd>',
            who=customer_label(None, None, view.customer),
        )
    return render(
        '<dt>Customer</dt><dd id="customer">{who}<div class="muted" id="customer-source">'
        "{source}</div></dd>{site_id}",
        who=customer_label(profile.name, profile.email, view.customer),
        source=SOURCE_WORDS.get(profile.source or "", ""),
        site_id=when(
            profile.site_customer_id,
            render(
                '<dt>Site customer id</dt><dd id="site-customer-id">{site_id}</dd>',
                site_id=profile.site_customer_id,
            ),
        ),
    )


def earlier_html(view: ConversationView) -> Html:
    """The customer's other conversations, newest first: date, first question, state, link."""
    if not view.earlier:
        return Html('<h2>Earlier conversations</h2><p class="muted" id="earlier-none">None.</p>')
    rows = join(
        render(
            '<li class="earlier-conversation" data-conversation-id="{cid}">{at} {state}'
            '<br><a class="open-conversation" href="{href}">{question}</a></li>',
            cid=earlier.conversation_id,
            at=timestamp(earlier.started_at),
            state=state_badge(earlier.state),
            href=conversation_url(earlier.conversation_id),
            question=_shortened(earlier.first_question or "(no question)"),
        )
        for earlier in view.earlier
    )
    return render(
        '<h2>Earlier conversations</h2><ul id="earlier-conversations">{rows}</ul>', rows=rows
    )


def _shortened(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUESTION_CHARS else text[: QUESTION_CHARS - 1] + "…"
