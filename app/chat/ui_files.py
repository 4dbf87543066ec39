"""The files Chainlit serves for our chat, written before Chainlit starts.

Chainlit's own page pulls fonts and KaTeX from third-party CDNs, runs inline scripts (which a
strict Content-Security-Policy forbids) and shows Chainlit's logo, favicon and the line "LLMs
can make mistakes". Its `custom_build` option (set in chainlit_config.toml) makes it serve
the page and the widget bundle from a folder of ours instead, so this module assembles that
folder under SUPPORTBOT_HOME from Chainlit's installed build:

- `ui/index.html`: Chainlit's page with every third-party link removed and each inline script
  moved to a file of its own (served by the app, so `script-src 'self'` allows it);
- `ui/index.js` (the widget bundle, copied) and `ui/assets` (a link to Chainlit's assets);
- `public/`: our logo and favicon (drawn from the assistant's name), `theme.json`, which
  points the widget at a font stylesheet of ours instead of Google Fonts, and the widget
  loader `widget.js` (see its header for the start-up race it removes);
- `.chainlit/translations/`: Chainlit's texts with the disclaimer line left empty.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from importlib.util import find_spec
from pathlib import Path

UI_FOLDER = "ui"  # the `custom_build` folder named in chainlit_config.toml
_STATIC = Path(__file__).with_name("static")
# A page link or script that loads from another origin: absolute or protocol-relative URLs.
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=\"(?:https?:)?//[^\"]*\"[^>]*>\s*", re.I)
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=\"(?:https?:)?//[^\"]*\"[^>]*>\s*</script>\s*")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
# Where Chainlit injects its own title, Open Graph tags (a link to Chainlit's site and banner)
# and an inline script; our page carries its own title and icon and no inline script.
_TAGS_PLACEHOLDER = "<!-- TAG INJECTION PLACEHOLDER -->"
_JS_PLACEHOLDER = "<!-- JS INJECTION PLACEHOLDER -->"
# Given to the widget as its font stylesheet so that it does not fetch Google Fonts: the chat
# uses the browser's own fonts. A data: URL works on any site that embeds the widget.
SYSTEM_FONTS = "data:text/css,"


def chainlit_package() -> Path:
    """Chainlit's installed folder, found without importing it (importing reads its config)."""
    spec = find_spec("chainlit")
    if spec is None or spec.origin is None:
        raise RuntimeError("chainlit is not installed")
    return Path(spec.origin).parent


def write_ui_files(root: Path, assistant_name: str, root_path: str) -> None:
    """Write the page, the widget bundle, branding and translations under `root`; `root_path`
    is where the chat is mounted."""
    package = chainlit_package()
    ui, public = root / UI_FOLDER, root / "public"
    ui.mkdir(parents=True, exist_ok=True)
    public.mkdir(parents=True, exist_ok=True)
    page, scripts = self_contained_page(
        (package / "frontend" / "dist" / "index.html").read_text(encoding="utf-8"),
        assistant_name,
        root_path,
    )
    _write(ui / "index.html", page)
    for name, body in scripts.items():
        _write(public / name, body)
    _copy_if_changed(package / "copilot" / "dist" / "index.js", ui / "index.js")
    _link(ui / "assets", package / "frontend" / "dist" / "assets")
    _write(public / "widget.js", (_STATIC / "widget.js").read_text(encoding="utf-8"))
    _write(public / "theme.json", json.dumps({"custom_fonts": [SYSTEM_FONTS]}))
    for name, svg in branding(assistant_name).items():
        _write(public / name, svg)
    _write_translations(package / "translations", root / ".chainlit" / "translations")


def self_contained_page(
    page: str, assistant_name: str, root_path: str
) -> tuple[str, dict[str, str]]:
    """Chainlit's index.html without third-party links or inline scripts, and the scripts
    that were inline, by the file name under `public/` that now loads each."""
    page = _REMOTE_LINK.sub("", page)
    page = _REMOTE_SCRIPT.sub("", page)
    tags = (
        f"<title>{html.escape(assistant_name)}</title>\n"
        '    <link rel="icon" href="/favicon" />\n'
        # The page's scripts read where the chat is mounted from this tag.
        f'    <meta property="og:root_path" content="{html.escape(root_path)}">'
    )
    page = page.replace(_TAGS_PLACEHOLDER, tags)
    page = page.replace(_JS_PLACEHOLDER, "")
    scripts: dict[str, str] = {}

    def externalise(match: re.Match[str]) -> str:
        name = f"page-{len(scripts) + 1}.js"
        scripts[name] = match.group(1).strip() + "\n"
        return f'<script src="/public/{name}"></script>'

    return _INLINE_SCRIPT.sub(externalise, page), scripts


def branding(assistant_name: str) -> dict[str, str]:
    """Our favicon (also the assistant's avatar) and logos: the assistant's initial and name."""
    initial = html.escape((assistant_name.strip()[:1] or "?").upper())
    name = html.escape(assistant_name)
    icon = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        '<rect width="64" height="64" rx="14" fill="#2f5d8a"/>'
        '<text x="32" y="43" font-family="system-ui,sans-serif" font-size="32" '
        f'font-weight="700" fill="#fff" text-anchor="middle">{initial}</text></svg>\n'
    )

    def logo(colour: str) -> str:
        width = 24 + 11 * len(assistant_name)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 32" '
            f'width="{width}" height="32"><text x="0" y="23" font-family="system-ui,sans-serif" '
            f'font-size="20" font-weight="600" fill="{colour}">{name}</text></svg>\n'
        )

    return {
        "favicon.svg": icon,
        "logo_light.svg": logo("#1f2933"),
        "logo_dark.svg": logo("#f5f7fa"),
    }


def _write_translations(source: Path, target: Path) -> None:
    """Chainlit's translations, every language, with the disclaimer under the input emptied.

    Chainlit copies its own files into `target` only where none exists, so ours stay."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.json")):
        texts = json.loads(path.read_text(encoding="utf-8"))
        chat = texts.get("chat")
        if isinstance(chat, dict):
            chat["watermark"] = ""
        _write(target / path.name, json.dumps(texts, ensure_ascii=False))


# Another app process on the same SUPPORTBOT_HOME may be serving these files while this one
# starts: each is replaced in one step (a file or link beside it, then renamed over it).


def _write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _copy_if_changed(source: Path, target: Path) -> None:
    """Chainlit serves the widget bundle only from inside its build folder: copy it there
    (about 8 MB, so only when the installed one differs)."""
    installed = source.stat()
    if target.exists():
        copied = target.stat()
        if (copied.st_size, copied.st_mtime_ns) == (installed.st_size, installed.st_mtime_ns):
            return
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.copy2(source, partial)
    partial.replace(target)


def _link(link: Path, target: Path) -> None:
    """A link to Chainlit's assets (Chainlit resolves links before its path checks)."""
    if link.is_symlink() and link.resolve() == target.resolve():
        return
    partial = link.with_name(f".{link.name}.{os.getpid()}")
    partial.unlink(missing_ok=True)
    partial.symlink_to(target, target_is_directory=True)
    partial.replace(link)
