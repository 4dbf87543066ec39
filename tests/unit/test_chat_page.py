"""The chat page made from Chainlit's: nothing from other sites, no inline script, our name."""

from __future__ import annotations

from app.chat.ui_files import branding, self_contained_page

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
