"""The login page, error pages, the audit log and agent management (escaped like pages.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from app.console.auth import ConsoleUser
from app.console.html import Html, attrs, join, render, timestamp, when
from app.console.pages import conversation_url, csrf_field, topbar
from app.db.agents import ROLES
from app.db.models import Agent
from app.handoff.views import AuditView


def login_page(*, csrf_token: str, next_path: str, username: str = "", error: str = "") -> Html:
    return render(
        """<main class="login"><div class="card"><h1>Sign in to the console</h1>{error}
<form id="login-form" method="post" action="/console/login">
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<label for="username">Username</label>
<input id="username" type="text" name="username" value="{username}" autocomplete="username"
autocapitalize="none" required autofocus>
<label for="password">Password</label>
<input id="password" type="password" name="password" autocomplete="current-password" required>
<p><button id="login-submit" class="primary" type="submit">Sign in</button></p>
</form></div></main>""",
        error=when(
            error, render('<p id="login-error" class="error" role="alert">{e}</p>', e=error)
        ),
        csrf=csrf_token,
        next=next_path,
        username=username,
    )


def error_page(user: ConsoleUser | None, message: str, *, back: str = "/console") -> Html:
    return render(
        """{topbar}<main><h1>That did not work</h1>
<p id="error-message" class="error" role="alert">{message}</p>
<p><a id="error-back" href="{back}">Back</a></p></main>""",
        topbar=topbar(user) if user else Html(""),
        message=message,
        back=back,
    )


def audit_page(user: ConsoleUser, entries: Sequence[AuditView], conversation_id: str) -> Html:
    rows = join(
        render(
            """<tr class="audit-entry"{data}><td>{at}</td><td class="audit-agent">{agent}</td>
<td class="audit-action">{action}</td><td>{conversation}</td>
<td class="pre audit-detail">{detail}</td></tr>""",
            data=attrs(data_action=e.action, data_conversation_id=e.conversation_id),
            at=timestamp(e.at),
            agent=e.agent or "system",
            action=e.action,
            conversation=render(
                '<a href="{href}">{cid}</a>',
                href=conversation_url(e.conversation_id),
                cid=e.conversation_id[:8],
            )
            if e.conversation_id
            else Html(""),
            detail=json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else "",
        )
        for e in entries
    )
    return render(
        """{topbar}<main><h1>Audit log</h1>
<form id="audit-filter" class="filters" method="get" action="/console/audit">
<label>Conversation id<input id="audit-conversation" type="text" name="conversation_id"
value="{cid}"></label><button type="submit">Filter</button></form>
<table id="audit"><thead><tr><th>When</th><th>Who</th><th>Action</th><th>Conversation</th>
<th>Detail</th></tr></thead><tbody>{rows}</tbody></table></main>""",
        topbar=topbar(user),
        cid=conversation_id,
        rows=rows or Html('<tr><td colspan="5" class="muted">Nothing logged yet.</td></tr>'),
    )


def agents_page(
    user: ConsoleUser, agents: Sequence[Agent], *, error: str = "", notice: str = ""
) -> Html:
    def role_options(current: str) -> Html:
        return join(
            render(
                '<option value="{r}"{sel}>{r}</option>',
                r=role,
                sel=Html(" selected") if role == current else Html(""),
            )
            for role in ROLES
        )

    rows = join(
        render(
            """<tr class="agent-row"{data}><td class="agent-username">{username}</td>
<td>{name}</td>
<td><form class="inline" method="post" action="/console/agents/{id}/role">{csrf}
<select name="role" class="agent-role">{roles}</select>
<button type="submit" name="action" value="set_role">Change</button></form></td>
<td><form class="inline" method="post" action="/console/agents/{id}/active">{csrf}
<input type="hidden" name="active" value="{flip}">
<button type="submit" class="{css}" name="action" value="{verb}">{label}</button></form></td>
<td>{created}</td></tr>""",
            data=attrs(
                data_agent_id=a.id,
                data_username=a.username,
                data_role=a.role,
                data_active="true" if a.active else "false",
            ),
            username=a.username,
            name=a.display_name,
            id=a.id,
            csrf=csrf_field(user),
            roles=role_options(a.role),
            flip="0" if a.active else "1",
            css="danger" if a.active else "",
            verb="deactivate" if a.active else "activate",
            label="Deactivate" if a.active else "Activate",
            created=timestamp(a.created_at),
        )
        for a in agents
    )
    return render(
        """{topbar}<main><h1>Agents</h1>{error}{notice}
<table id="agents"><thead><tr><th>Username</th><th>Name</th><th>Role</th><th>Status</th>
<th>Created</th></tr></thead><tbody>{rows}</tbody></table>
<h2>Add an agent</h2>
<form id="agent-create" class="card filters" method="post" action="/console/agents">{csrf}
<label>Username<input id="new-username" type="text" name="username" required></label>
<label>Display name<input id="new-display-name" type="text" name="display_name"></label>
<label>Role<select id="new-role" name="role">{roles}</select></label>
<label>Password (10+ characters)<input id="new-password" type="password" name="password"
minlength="10" autocomplete="new-password" required></label>
<button id="agent-create-submit" class="primary" type="submit" name="action" value="create">
Add agent</button></form></main>""",
        topbar=topbar(user),
        error=when(
            error, render('<p id="agents-error" class="error" role="alert">{e}</p>', e=error)
        ),
        notice=when(notice, render('<p id="agents-notice" class="card">{n}</p>', n=notice)),
        rows=rows,
        csrf=csrf_field(user),
        roles=role_options("agent"),
    )
