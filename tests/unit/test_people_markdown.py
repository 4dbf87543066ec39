"""An agent's reply in the customer's chat (app.ground.people_markdown, used by
app.chat.chainlit_dicts): links to http(s) work, a little Markdown reads as Markdown, and
nothing else is live. Checked by rendering the result with a CommonMark renderer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.chat.chainlit_dicts import step_dict
from app.db.models import Message
from app.ground.people_markdown import people_markdown

markdown_it = pytest.importorskip("markdown_it")
RENDER = markdown_it.MarkdownIt("commonmark")


def shown(markdown: str) -> str:
    return str(RENDER.render(markdown)).strip()


def stored_reply(text: str, role: str = "agent") -> Message:
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    return Message(
        id="r1", conversation_id="c1", role=role, type="assistant_message", name="Ana",
        author="Ana", text=text, metadata_={"role": role}, created_at=now, start=now, end=now,
        is_error=False, streaming=False,
    )  # fmt: skip


def test_an_agents_link_arrives_whole_in_the_customers_chat() -> None:
    step = step_dict(stored_reply("see https://support.larkspur.example/rma"), None)
    assert shown(step["output"]) == (
        '<p>see <a href="https://support.larkspur.example/rma">'
        "https://support.larkspur.example/rma</a></p>"
    )
    assert "\\" not in step["output"].split("<")[1]  # no backslash in the link's target
    assert step["name"] == "Ana" and step["metadata"]["role"] == "agent"


def test_a_system_notice_stays_inert() -> None:
    step = step_dict(stored_reply("**Ana** joined: https://x.example", role="system"), None)
    assert "<a " not in shown(step["output"]) and "<strong>" not in shown(step["output"])


@pytest.mark.parametrize(
    ("typed", "html"),
    [
        ("Fill in [the RMA form](https://support.larkspur.example/rma?a=1&b=2).",
         '<p>Fill in <a href="https://support.larkspur.example/rma?a=1&amp;b=2">the RMA form'
         "</a>.</p>"),
        ("Details: www.larkspur.example/kb/1009, or (https://a.example/b_(c)).",
         '<p>Details: <a href="https://www.larkspur.example/kb/1009">'
         "https://www.larkspur.example/kb/1009</a>, or (<a href=\"https://a.example/b_(c)\">"
         "https://a.example/b_(c)</a>).</p>"),
        ("Steps:\n1. Update the **LR-200**\n2. Run `reset <all>` *once*",
         "<p>Steps:</p>\n<ol>\n<li>Update the <strong>LR-200</strong></li>\n"
         "<li>Run <code>reset &lt;all&gt;</code> <em>once</em></li>\n</ol>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("2*3*4 = 24 # not a heading", "<p>2*3*4 = 24 # not a heading</p>"),
    ],
)  # fmt: skip
def test_agents_markdown_reads_as_markdown(typed: str, html: str) -> None:
    assert shown(people_markdown(typed)) == html


@pytest.mark.parametrize(
    "typed",
    [
        "![tracker](https://evil.example/pixel.png)",
        '<img src="https://evil.example/p.png" onerror="alert(1)">',
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        "[click](data:text/html,<b>x</b>)",
        "<javascript:alert(1)>",
        "[x]: javascript:alert(1)\n\n[x]",
        "[relative](/console/agents)",
        "https://a.example/<script>",
    ],
)
def test_nothing_but_http_links_is_live(typed: str) -> None:
    html = shown(people_markdown(typed))
    assert "<img" not in html and "<script" not in html
    for target in html.split('href="')[1:]:
        assert target.startswith(("https://", "http://"))
