"""Escape-by-default HTML for the console, and the page shell with its security headers.

Customer text is hostile until shown otherwise, so no value reaches a page without passing
through `html.escape`: `render(template, **values)` escapes every value that is not already
`Html` (the output of another `render`, or a constant written here). Nothing is rendered as
markdown, and no inline event handlers exist, so the CSP can forbid everything but the one
nonce'd script.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import HTMLResponse

from app.console.alerts import ALERTS_SCRIPT


class Html(str):
    """Text that is already HTML (rendered by `render`): inserted as is."""

    __slots__ = ()


def escape(value: object) -> Html:
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def render(template: str, /, **values: object) -> Html:
    """`template` (a constant) with every `{name}` filled by its escaped value."""
    return Html(template.format(**{key: escape(value) for key, value in values.items()}))


def join(parts: Iterable[Html], separator: str = "") -> Html:
    return Html(separator.join(escape(part) for part in parts))


def when(condition: object, markup: Html) -> Html:
    return markup if condition else Html("")


def attrs(**values: Any) -> Html:
    """Data attributes and the like: `attrs(data_state="queued")` -> ` data-state="queued"`."""
    return join(
        render(' {name}="{value}"', name=key.replace("_", "-"), value=value)
        for key, value in values.items()
        if value is not None
    )


def timestamp(moment: datetime | None) -> Html:
    if moment is None:
        return Html("")
    utc = moment.astimezone(UTC)
    return render(
        '<time datetime="{iso}">{text}</time>',
        iso=utc.isoformat(),
        text=utc.strftime("%Y-%m-%d %H:%M UTC"),
    )


def duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} days"


def security_headers(nonce: str | None = None) -> dict[str, str]:
    """Headers for every console response: a strict CSP, no framing, no sniffing."""
    script = f"'nonce-{nonce}'" if nonce else "'none'"
    style = f"'nonce-{nonce}'" if nonce else "'none'"
    csp = (
        f"default-src 'none'; script-src {script}; style-src {style}; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


def page_response(
    body: Html, *, title: str, status_code: int = 200, page: str = ""
) -> HTMLResponse:
    """A full page: `body` inside the shell, with the live-update script and the headers."""
    nonce = secrets.token_urlsafe(16)
    document = render(
        _SHELL,
        title=title,
        page=page,
        nonce=nonce,
        css=Html(_CSS),
        script=Html(_SCRIPT + ALERTS_SCRIPT),
        body=body,
    )
    return HTMLResponse(document, status_code=status_code, headers=security_headers(nonce))


def fragment_response(body: Html, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status_code, headers=security_headers())


_SHELL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · supportbot console</title>
<style nonce="{nonce}">{css}</style>
</head><body data-page="{page}">
{body}
<script nonce="{nonce}">{script}</script>
</body></html>"""

_CSS = """
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#dde2ea;--bg:#f5f7fa;--accent:#2456c9;
--p1:#b42318;--p2:#c4540a;--p3:#3b6fd6;--p4:#6b7785}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);
background:var(--bg)}
a{color:var(--accent)}
header.topbar{display:flex;gap:1.2rem;align-items:center;padding:.6rem 1.2rem;background:#fff;
border-bottom:1px solid var(--line)}
header.topbar .brand{font-weight:700}
header.topbar .spacer{flex:1}
header.topbar form{margin:0}
main{max-width:76rem;margin:1.2rem auto;padding:0 1.2rem}
h1{font-size:1.35rem;margin:.2rem 0 1rem}
h2{font-size:1.05rem;margin:1.2rem 0 .5rem}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem;
margin-bottom:1rem}
table{width:100%;border-collapse:collapse;background:#fff}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);
vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;
background:#e8ecf3;white-space:nowrap}
.badge[data-state=queued]{background:#fff4d6}
.badge[data-state=assigned]{background:#dcf2e3}
.badge[data-state=bot]{background:#e8ecf3}
.prio{font-weight:700}
.prio[data-priority="1"]{color:var(--p1)}
.prio[data-priority="2"]{color:var(--p2)}
.prio[data-priority="3"]{color:var(--p3)}
.prio[data-priority="4"]{color:var(--p4)}
.sentiment[data-label=negative]{color:var(--p1)}
.sentiment[data-label=positive]{color:#1f7a3d}
.layout{display:grid;grid-template-columns:minmax(0,2fr) minmax(16rem,1fr);gap:1rem}
@media (max-width:60rem){.layout{grid-template-columns:1fr}}
.message{border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem;margin:.5rem 0;
background:#fff}
.message[data-role=customer]{background:#fbfcff;border-left:4px solid #7aa0f0}
.message[data-role=assistant]{border-left:4px solid #a9b4c4}
.message[data-role=agent]{border-left:4px solid #32a05f;background:#f6fcf8}
.message[data-role=system]{border-left:4px solid #d0d5dd;color:var(--muted);font-size:.9rem}
.message-meta{font-size:.8rem;color:var(--muted);display:flex;gap:.8rem;flex-wrap:wrap}
.message-text,.note-text,.pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0 0}
#copilot select{max-width:100%}
#draft-result{margin:.6rem 0}
.citations{font-size:.85rem;margin:.4rem 0 0;padding-left:1.4rem}
.notes{list-style:none;padding:0;margin:0}
.note{border-left:3px solid #e0b84c;background:#fffbea;padding:.4rem .6rem;margin:.4rem 0}
form.inline{display:inline}
textarea{width:100%;min-height:5.5rem;font:inherit;padding:.4rem}
input[type=text],input[type=password],select{font:inherit;padding:.3rem .4rem}
button{font:inherit;padding:.3rem .8rem;border-radius:6px;border:1px solid #b8c2d3;
background:#fff;cursor:pointer}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button.danger{border-color:var(--p1);color:var(--p1)}
.actions{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
.filters{display:flex;gap:.8rem;align-items:end;flex-wrap:wrap;margin-bottom:1rem}
.filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
.error{background:#fdecea;border:1px solid #f5c2bd;color:#8a1c12;padding:.6rem .8rem;
border-radius:6px}
.login{max-width:24rem;margin:4rem auto}
.login label{display:block;margin:.6rem 0 .2rem}
.login input{width:100%}
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
#live-status{font-size:.8rem;color:var(--muted)}
.chart{display:block;max-width:100%;height:auto;margin:.6rem 0}
.chart .chart-bar{fill:var(--accent)}
.chart .chart-bar:hover{fill:#173d94}
.chart .chart-none{fill:#d5dbe5}
.chart .chart-grid{stroke:var(--line)}
.chart .chart-axis{stroke:#9aa5b5}
.chart text{fill:var(--muted)}
.chart .chart-value{fill:var(--fg)}
.headline{font-size:1.3rem}
#insights-period .spacer{flex:1}
#insights-period a[aria-current=page]{font-weight:700;color:var(--fg);text-decoration:none}
.question-group{margin:.8rem 0}
.group-examples{margin:.3rem 0 0;font-size:.9rem}
.group-example{white-space:pre-wrap;overflow-wrap:anywhere}
"""

# The one script: live updates over server-sent events, and the copilot's buttons. Pages and
# fragments are rendered (and escaped) on the server; the script only swaps them in, and hands
# each live event on to the alerts (app/console/alerts.py) as a "console-event".
_SCRIPT = """
(function () {
  var body = document.body, page = body.dataset.page;
  if (page !== "queue" && page !== "conversation") return;
  var status = document.getElementById("live-status");
  var pending = null;
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      var region = document.getElementById("live-region");
      if (!region) return;
      fetch(region.dataset.src, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (r) {
          if (r.status === 401) { location.assign("/console/login"); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (text) {
          if (text === null) return;
          var holder = document.createElement("div");
          holder.innerHTML = text;
          var fresh = holder.querySelector("#live-region");
          if (!fresh) return;
          if (fresh.dataset.composeKey !== region.dataset.composeKey) { location.reload(); return; }
          region.replaceWith(fresh);
        });
    }, 150);
  }
  if (page === "conversation") copilot();
  var source = new EventSource("/console/events");
  source.onopen = function () { if (status) status.textContent = "live"; };
  source.onerror = function () { if (status) status.textContent = "reconnecting…"; };
  source.addEventListener("logout", function () {
    source.close(); location.assign("/console/login");
  });
  source.onmessage = function (message) {
    var event = JSON.parse(message.data);
    document.dispatchEvent(new CustomEvent("console-event", {detail: event}));
    if (page === "queue") { refresh(); return; }
    var region = document.getElementById("live-region");
    if (region && event.conversation_id === region.dataset.conversationId) refresh();
  };

  // The copilot: fetch the draft on demand; put a draft's or a saved reply's text (element
  // text, escaped by the server) into the reply box, after whatever the agent wrote there.
  function insertReply(text) {
    var box = document.getElementById("reply-text");
    if (!box || !text) return;
    var current = box.value.replace(/\\s+$/, "");
    box.value = current ? current + "\\n\\n" + text : text;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }
  function copilot() {
    var button = document.getElementById("draft-request");
    var status = document.getElementById("draft-status");
    function say(text) { if (status) status.textContent = text; }
    if (button) button.addEventListener("click", function () {
      button.disabled = true;
      say("Drafting…");
      fetch(button.dataset.src, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (r) {
          if (r.status === 401) { location.assign("/console/login"); return null; }
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.text();
        })
        .then(function (text) {
          if (text === null) return;
          document.getElementById("draft").innerHTML = text;
          say("");
        })
        .catch(function () { say("The draft could not be made; try again."); })
        .finally(function () { button.disabled = false; });
    });
    document.addEventListener("click", function (event) {
      var target = event.target;
      if (!target.closest || !target.closest("#draft-insert")) return;
      var draft = document.getElementById("draft-text");
      if (draft) insertReply(draft.textContent);
    });
    var macros = document.getElementById("macro-select");
    if (macros) macros.addEventListener("change", function () {
      var chosen = macros.value;
      macros.value = "";
      var texts = document.querySelectorAll("#macro-texts .macro-text");
      for (var i = 0; i < texts.length; i++) {
        if (chosen && texts[i].dataset.macroId === chosen) insertReply(texts[i].textContent);
      }
    });
  }
})();
"""
