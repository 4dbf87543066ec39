"""The chat page made from Chainlit's: nothing from other sites, no inline script, our name,
the company's colour, logo and disclaimer."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from app.chat.ui_files import (
    MAX_LOGO_BYTES,
    branding,
    company_logo,
    self_contained_page,
    theme,
    write_translations,
)

CHAINLIT_LIKE = """<!doctype html>
<html lang="en">
  <head>
    <!-- TAG INJECTION PLACEHOLDER -->
    <link rel="preconnect" href="https://fonts.googleapis.com" />
    <link rel="preconnect" href="https://fonts.gstatic.com" crossorigin />
    <link
      href="https://fonts.googleapis.com/css2?family=Inter&display=swap"
      rel="stylesheet"
    />
    <link rel="stylesheet" href="//cdn.example.net/katex.min.css" />
    <script src="https://cdn.example.net/lib.js"></script>
    <!-- JS INJECTION PLACEHOLDER -->
    <script>
      const global = globalThis;
    </script>
    <script type="module" crossorigin src="/assets/index-1.js"></script>
    <link rel="stylesheet" crossorigin href="/assets/index-1.css">
  </head>
  <body><div id="root"></div></body>
</html>"""


def test_the_page_loads_only_from_its_own_origin_and_has_no_inline_script() -> None:
    page, scripts = self_contained_page(CHAINLIT_LIKE, "Larkspur <Help>", "/chat")
    assert "//" not in page.replace("<!doctype", "")
    assert "<script>" not in page and "PLACEHOLDER" not in page.replace("CSS INJECTION", "")
    assert '<script src="/public/page-1.js"></script>' in page
    assert scripts == {"page-1.js": "const global = globalThis;\n"}
    # Chainlit's own scripts and styles stay, in order; the page says where the chat lives.
    assert page.index("page-1.js") < page.index("/assets/index-1.js")
    assert 'href="/assets/index-1.css"' in page
    assert '<meta property="og:root_path" content="/chat">' in page
    assert "<title>Larkspur &lt;Help&gt;</title>" in page


def test_branding_is_drawn_from_the_assistant_name() -> None:
    files = branding("Larkspur <Help>")
    assert ">L</text>" in files["favicon.svg"]
    assert "Larkspur &lt;Help&gt;" in files["logo_light.svg"]
    assert "Larkspur &lt;Help&gt;" in files["logo_dark.svg"]
    assert all("chainlit" not in svg.lower() for svg in files.values())


def test_the_brand_colour_becomes_the_chats_primary_colour() -> None:
    variables = theme("#c0392b")["variables"]
    assert isinstance(variables, dict)
    assert variables["light"]["--primary"] == "6 63% 46%"  # #c0392b in Chainlit's H S% L%
    assert branding("Larkspur", "#c0392b")["favicon.svg"].count('fill="#c0392b"') == 1


def test_a_logo_that_cannot_be_served_is_replaced_by_the_drawn_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "logo.svg").write_text("<svg/>", encoding="utf-8")
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    (tmp_path / "huge.png").write_bytes(b"\0" * (MAX_LOGO_BYTES + 1))
    assert company_logo(Path("logo.svg"), tmp_path) == tmp_path / "logo.svg"
    assert company_logo(None, tmp_path) is None
    for name, why in (
        ("missing.svg", "does not exist"),
        ("logo.gif", "is not one of .svg, .png, .webp"),
        ("huge.png", "is larger than 512 kB"),
    ):
        with caplog.at_level(logging.WARNING):
            assert company_logo(Path(name), tmp_path) is None
        assert why in caplog.text and name in caplog.text


def test_the_disclaimer_is_plain_text_in_every_language(tmp_path: Path) -> None:
    source, target = tmp_path / "chainlit", tmp_path / "ours"
    source.mkdir()
    (source / "en-US.json").write_text('{"chat": {"watermark": "LLMs can make mistakes."}}')
    (source / "de-DE.json").write_text('{"chat": {"watermark": "LLMs machen Fehler."}}')
    write_translations(source, target, "Check *before* you act [x](javascript:alert(1))")
    for name in ("en-US.json", "de-DE.json"):
        line = json.loads((target / name).read_text())["chat"]["watermark"]
        assert "LLM" not in line and "Check" in line
        assert "](" not in line.replace("\\]\\(", "") and "\\*before\\*" in line
    write_translations(source, target)
    assert json.loads((target / "en-US.json").read_text())["chat"]["watermark"] == ""
