"""What every page of the served app tells the browser: a Content-Security-Policy, no API
map unless configured, and a chat page that loads nothing from other sites and carries our
branding rather than Chainlit's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.doors.web import create_app
from app.ground.config import Settings, WebSettings
from tests.integration.chat_server import serve, write_access_point_corpus

pytestmark = pytest.mark.slow

PAGES = [
    "/chat/",
    "/chat/login",
    "/chat/copilot/index.js",
    "/chat/public/widget.js",
    "/widget-demo",
    "/console/login",
    "/",
    "/api/search?q=reset",
    "/healthz",
    "/no-such-page",
]
# An attribute that makes the browser load from another origin (absolute or `//host`).
REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = write_access_point_corpus(tmp_path_factory.mktemp("pages-data"), starter="Reset")
    with serve(tmp_path_factory.mktemp("pages-home"), data) as url:
        yield url


def test_api_docs_are_off_by_default(base: str) -> None:
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
        assert httpx.get(base + path).status_code == 404, path
    # Chainlit's own app (mounted at /chat) publishes no API description either.
    for path in ("/chat/openapi.json", "/chat/docs", "/chat/redoc"):
        response = httpx.get(base + path)
        assert "openapi" not in response.text.lower() and "swagger" not in response.text.lower()


def test_api_docs_when_configured(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, web=WebSettings(api_docs=True))
    client = TestClient(create_app(settings, with_chat=False))
    assert client.get("/openapi.json").json()["info"]["title"] == "supportbot"
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200


def test_every_page_has_a_strict_content_security_policy(base: str) -> None:
    with httpx.Client(base_url=base) as client:
        for path in PAGES:
            policy = client.get(path).headers.get("content-security-policy", "")
            directives = dict(
                (part.split(" ", 1) + [""])[:2] for part in policy.split("; ") if part
            )
            assert "script-src" in directives, f"{path}: {policy!r}"
            scripts = directives["script-src"]
            assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, path
            assert "*" not in scripts and "http" not in scripts, path
            assert "frame-ancestors 'none'" in policy, path


def test_chat_page_loads_nothing_from_other_sites_and_runs_no_inline_script(base: str) -> None:
    with httpx.Client(base_url=base) as client:
        for path in ("/chat/", "/chat/login", "/chat/thread/abc"):
            page = client.get(path).text
            assert not REMOTE.findall(page), (path, REMOTE.findall(page))
            assert "googleapis" not in page and "katex" not in page.lower()
            # Every script comes from a file the app serves (script-src 'self').
            for tag in re.findall(r"<script\b[^>]*>", page):
                assert 'src="/chat/' in tag, tag
            for src in re.findall(r'<script\b[^>]*src="([^"]+)"', page):
                assert client.get(src).status_code == 200, src
        # The widget is told to use our font sheet, not Google Fonts.
        theme = client.get("/chat/public/theme.json").json()
        assert theme["custom_fonts"] and not any("//" in url for url in theme["custom_fonts"])


def test_chat_shows_our_branding_not_chainlits(base: str) -> None:
    with httpx.Client(base_url=base) as client:
        page = client.get("/chat/").text
        assert "<title>Support assistant</title>" in page
        assert "chainlit" not in page.lower()
        for language in ("en-US", "fr-FR", "de-DE"):
            texts = client.get(f"/chat/project/translations?language={language}").json()
            assert texts["translation"]["chat"]["watermark"] == ""
        for path in ("/chat/logo?theme=light", "/chat/logo?theme=dark"):
            assert "Support assistant" in client.get(path).text
        favicon = client.get("/chat/favicon").text
        assert ">S</text>" in favicon  # the assistant's initial, not Chainlit's mark
