"""The agent console at /console: sign-in, the queue, conversations (with the copilot's
draft and saved replies), live updates, audit, insights, saved replies and agent management.

How it is built (like the FastAPI full-stack template):
- routers/: one module-level `APIRouter` per resource (account, queue, conversations,
  events, audit, insights, agents, copilot, macros); app.doors.web includes them all
  (routers.ROUTERS).
- deps.py: typed dependencies (`SettingsDep`, `EngineDep`, `HandoffDep`, `AgentDep`,
  `SupervisorDep`, `CsrfAdminDep`, ...); state.py is the one place that reads `app.state`.
- auth.py: sessions, roles, CSRF; limiter.py: the login rate limit; account.py: passwords.
- responses.py: escaped JSON, and refusals (an AppError as a page or JSON).
- HTML stays in small render modules (html.py, pages.py, conversation_pages.py,
  account_pages.py, insights_pages.py, charts.py) rather than Jinja2 templates: `html.render`
  escapes every value that is not already `Html`, so escaping is by type, checked by mypy,
  and a forgotten `|safe` or a template with autoescape off cannot happen; the pages are
  small, built from typed views, and the tests pin their selectors (below). Jinja2 would add
  a dependency and a second way to write markup for no gain at this size.

Routes (role needed; "any" = any signed-in agent; pages redirect a visitor who is not signed
in to /console/login, everything else answers 401; a missing role is 403; every POST needs
the session's CSRF token, form field `csrf_token` or header `X-CSRF-Token`):

    GET  /console/login, POST /console/login        public (login form with its own token)
    POST /console/logout                            any
    GET  /console                                   any    queue (?state=&reason=&priority=&mine=1)
    GET  /console/fragments/queue                   any    the queue's live region
    GET  /console/api/queue                         any    JSON
    GET  /console/api/me                            any    JSON: who, role, csrf_token
    GET  /console/conversations/{id}                any    transcript, brief, notes, moves
    GET  /console/fragments/conversations/{id}      any    the conversation's live region
    GET  /console/api/conversations/{id}            any    JSON
    POST /console/conversations/{id}/claim|release|resolve|return   any (the service checks
                                                    that the conversation is theirs)
    POST /console/conversations/{id}/reply          any    text, client_id (only the assignee)
    POST /console/conversations/{id}/notes          any    text
    POST /console/conversations/{id}/assign         supervisor  agent_id
    GET  /console/events                            any    server-sent events
    GET  /console/audit                             supervisor
    GET  /console/insights                          supervisor  deflection per day, escalations
                                                    by reason, unanswered questions grouped
                                                    (?days=7|30|90, default 30; else 400)
    GET  /console/api/insights                      supervisor  the same as JSON
    GET  /console/fragments/conversations/{id}/draft  any  the copilot's draft (HTML)
    GET  /console/api/conversations/{id}/draft      any    the same as JSON
    GET  /console/macros, POST /console/macros      supervisor  saved replies: list / create
    POST /console/macros/{macro_id}|{macro_id}/delete  supervisor  title, text / delete
    GET  /console/agents, POST /console/agents      admin  list / create
    POST /console/agents/{agent_id}/active|role     admin  active=0|1 / role=...

POSTs answer 303 back to the page, or JSON with `Accept: application/json`; a refused move is
404 (unknown conversation), 403, 409 (state conflict) or 400, with {"error", "message"}:
the status comes from the app's one table, app.ground.errors.HTTP_STATUS.
JSON responses escape <, > and & as \\u003c..., so customer text never appears as markup.

Stable selectors for browser tests:
    login:        form#login-form, #username, #password, #login-submit, #login-error
    every page:   body[data-page=queue|conversation|audit|insights|macros|agents|login],
                  #whoami[data-role], #logout (in form#logout-form), #nav-queue, #nav-audit,
                  #nav-insights, #nav-agents,
                  #live-status ("live" once the event stream is open)
    queue:        #queue-filters with #filter-state, #filter-reason, #filter-priority,
                  #filter-mine, #filter-apply; table#queue > tbody#queue-rows >
                  tr.queue-item[data-conversation-id][data-state][data-priority][data-reason]
                  with a.open-conversation and .queue-customer (.customer-name and
                  .customer-email when known, else .customer-id); #queue-empty; #queue-count
    conversation: #live-region[data-conversation-id], #state[data-state] (badge),
                  #priority[data-priority], #transcript > .message[data-role][data-message-id]
                  > .message-text (+ .message-sentiment[data-label] on customer turns,
                  ol.citations > li.citation[data-marker]), #notes > li.note > .note-text,
                  #brief with #summary, #bot-suggested, #entities > li.entity[data-kind],
                  #sentiment, #assigned-to, #reasons, #customer (.customer-name,
                  .customer-email, #customer-source, or .customer-id), #site-customer-id,
                  ul#earlier-conversations > li.earlier-conversation[data-conversation-id]
                  with a.open-conversation (#earlier-none when there are none);
                  moves: button[name=action][value=claim|release|resolve|return|assign]
                  (ids #action-claim ...), #assign-agent (select, supervisors);
                  reply: form#reply-form, #reply-text, #reply-send (absent until the agent
                  owns the conversation: #reply-hint instead); note: #note-text, #note-add;
                  copilot (with the reply form): #copilot, #draft-request, #draft-status,
                  #draft > #draft-result[data-found][data-kind] with #draft-for, #draft-text,
                  ol.citations > li.citation, #draft-insert (or #draft-none); #macro-select,
                  #macro-texts > .macro-text[data-macro-id] (filled), #macros-none
    macros:       table#macros tr.macro-row[data-macro-id][data-title] with form.macro-edit
                  (.macro-title, .macro-body, .macro-save) and .macro-delete; form#macro-create
                  with #macro-title, #macro-text, #macro-create-submit; #macros-error, #nav-macros
    audit:        table#audit tr.audit-entry[data-action][data-conversation-id]
    insights:     #insights-period > a.period[data-days] (aria-current="page" on the one
                  shown), #insights-json; #deflection-rate[data-rate], #conversation-count,
                  #escalated-count, svg#deflection-chart (rect.chart-bar[data-key=DAY], rect
                  .chart-none on days without conversations), table#deflection-table
                  tr.deflection-day[data-day][data-conversations][data-escalated];
                  #escalation-total, svg#escalation-chart (rect.chart-bar[data-key=REASON]),
                  table#escalation-reasons tr.escalation-reason[data-reason][data-count];
                  #question-count, ol#question-groups > li.question-group[data-size] with
                  .group-size, .group-representative, ul.group-examples > li.group-example,
                  a.group-open; #question-groups-empty; #grouping-notice (no embedder)
    agents:       table#agents tr.agent-row[data-username][data-role][data-active];
                  form#agent-create with #new-username, #new-display-name, #new-role,
                  #new-password, #agent-create-submit; per row button[name=action]
                  [value=set_role|deactivate|activate]; #agents-error
The CSP forbids eval, so Playwright's `wait_for_function("...")` fails on these pages: use
locators and `expect(...)`, or a context with `bypass_csp=True`.
"""
