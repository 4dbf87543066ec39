"""What the copilot adds to pages: the panel beside the reply form (a "Draft a reply" button,
the saved replies with their placeholders filled), the draft fragment the button fetches,
and the saved replies' own page (/console/macros) for supervisors.

The draft is fetched on demand, never while the conversation page loads: the pipeline takes
a moment, and most replies need no draft. The console's one script (app/console/html.py)
fetches the fragment, and copies a draft's or a macro's text into #reply-text on a click:
the text travels as escaped element text, never as markup or a script string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from app.console.auth import ConsoleUser
from app.console.conversation_pages import citations_html
from app.console.copilot import CopilotDraft
from app.console.html import Html, attrs, join, render, timestamp, when
from app.console.pages import csrf_field, topbar
from app.console.placeholders import PLACEHOLDERS, fill
from app.db.models import Macro


def copilot_panel(
    conversation_id: str, macros: Sequence[Macro], values: Mapping[str, str | None]
) -> Html:
    """The copilot card shown with the reply form: the draft button and the saved replies
    (their text filled for this conversation and agent)."""
    choices = join(
        render('<option value="{id}">{title}</option>', id=m.id, title=m.title) for m in macros
    )
    texts = join(
        render(
            '<div class="macro-text" data-macro-id="{id}">{text}</div>',
            id=m.id,
            text=fill(m.text, values),
        )
        for m in macros
    )
    saved = render(
        """<label for="macro-select"><b>Saved reply</b></label>
<select id="macro-select"><option value="">Choose a saved reply to insert…</option>{choices}
</select><div id="macro-texts" hidden>{texts}</div>""",
        choices=choices,
        texts=texts,
    )
    return render(
        """<section id="copilot" class="card"><div class="actions">
<button id="draft-request" type="button" data-src="/console/fragments/conversations/{q}/draft">
Draft a reply</button><span id="draft-status" class="muted" role="status"></span></div>
<div id="draft"></div>{saved}</section>""",
        q=quote(conversation_id, safe=""),
        saved=saved
        if macros
        else Html('<p id="macros-none" class="muted">No saved replies yet.</p>'),
    )


def draft_html(draft: CopilotDraft) -> Html:
    """The draft fragment: the message it answers, the text, its cited passages (each one
    click away), and the button that inserts it; or why there is no draft."""
    asked = when(
        draft.for_message,
        render(
            '<p class="muted">For the customer\'s message: <q id="draft-for">{m}</q></p>',
            m=draft.for_message,
        ),
    )
    if not draft.found:
        return render(
            '<div id="draft-result" data-found="false" data-kind="{kind}">{asked}'
            '<p id="draft-none" class="muted">{text}</p></div>',
            kind=draft.kind,
            asked=asked,
            text=draft.text,
        )
    return render(
        """<div id="draft-result" data-found="true" data-kind="{kind}">{asked}
<h2>Draft reply</h2><div id="draft-text" class="pre">{text}</div>{citations}
<div class="actions"><button id="draft-insert" class="primary" type="button">Insert draft
</button><span class="muted">Into the reply box, to edit before sending.</span></div></div>""",
        kind=draft.kind,
        asked=asked,
        text=draft.text,
        citations=citations_html(draft.citations),
    )


def macros_page(
    user: ConsoleUser, macros: Sequence[Macro], *, max_chars: int, error: str = ""
) -> Html:
    """The saved replies, each editable and deletable, and the form to add one."""
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    rows = join(
        render(
            """<tr class="macro-row"{data}><td>
<form class="macro-edit" method="post" action="/console/macros/{id}">{csrf}
<input class="macro-title" type="text" name="title" value="{title}" maxlength="120" required>
<textarea class="macro-body" name="text" maxlength="{limit}" required>{text}</textarea>
<button class="macro-save" type="submit" name="action" value="save">Save</button></form></td>
<td>{updated}</td><td>
<form class="inline" method="post" action="/console/macros/{id}/delete">{csrf}
<button class="macro-delete danger" type="submit" name="action" value="delete">Delete</button>
</form></td></tr>""",
            data=attrs(data_macro_id=m.id, data_title=m.title),
            id=quote(m.id, safe=""),
            csrf=csrf_field(user),
            title=m.title,
            text=m.text,
            limit=max_chars,
            updated=timestamp(m.updated_at),
        )
        for m in macros
    )
    return render(
        """{topbar}<main><h1>Saved replies</h1>{error}
<p class="muted">Agents insert these into the reply box of a conversation. Placeholders
filled there: {known} (the customer's name, else "there"; the order number from the brief).
Any other {{name}}, or an order number the brief lacks, stays as written for the agent to fix.
</p>
<table id="macros"><thead><tr><th>Saved reply</th><th>Changed</th><th></th></tr></thead>
<tbody>{rows}</tbody></table>
<h2>Add a saved reply</h2>
<form id="macro-create" class="card" method="post" action="/console/macros">{csrf}
<label for="macro-title"><b>Title</b></label>
<input id="macro-title" type="text" name="title" maxlength="120" required>
<label for="macro-text"><b>Text</b></label>
<textarea id="macro-text" name="text" maxlength="{limit}" required></textarea>
<div class="actions"><button id="macro-create-submit" class="primary" type="submit"
name="action" value="create">Add saved reply</button></div></form></main>""",
        topbar=topbar(user),
        error=when(
            error, render('<p id="macros-error" class="error" role="alert">{e}</p>', e=error)
        ),
        known=known,
        rows=rows
        or Html('<tr id="macros-empty"><td colspan="3" class="muted">None yet.</td></tr>'),
        csrf=csrf_field(user),
        limit=max_chars,
    )
