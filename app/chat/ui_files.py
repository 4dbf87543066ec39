"""The files Chainlit serves for our chat, written before Chainlit starts.

Chainlit's own page pulls fonts and KaTeX from third-party CDNs, runs inline scripts (which a
strict Content-Security-Policy forbids) and shows Chainlit's logo, favicon and the line "LLMs
can make mistakes". Its `custom_build` option (set in chainlit_config.toml) makes it serve
the page and the widget bundle from a folder of ours instead, so this module assembles that
folder under SUPPORTBOT_HOME from Chainlit's installed build:

- `ui/index.html`: Chainlit's page with every third-party link removed and each inline script
  moved to a file of its own (served by the app, so `script-src 'self'` allows it);
- `ui/index.js` (the widget bundle, copied) and `ui/assets` (a link to Chainlit's assets);
- `public/`: the company's logo (settings' `brand.logo_file`, else the assistant's name
  drawn) and favicon, `theme.json`, which gives the chat the brand's colour and points the
  widget at a font stylesheet of ours instead of Google Fonts, and the widget loader
  `widget.js` (see its header for the start-up race it removes);
- `.chainlit/translations/`: Chainlit's texts with its "LLMs can make mistakes" line replaced
  by the company's own disclaimer (settings' `brand.disclaimer`, plain text), or nothing.
"""

from __future__ import annotations

import colorsys
import html
import json
import logging
import os
import re
import shutil
from importlib.util import find_spec
from pathlib import Path

from app.ground.config import BrandSettings
from app.ground.render import inert

log = logging.getLogger(__name__)

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
LOGO_TYPES = (".svg", ".png", ".webp")
MAX_LOGO_BYTES = 512 * 1024


def chainlit_package() -> Path:
    """Chainlit's installed folder, found without importing it (importing reads its config)."""
    spec = find_spec("chainlit")
    if spec is None or spec.origin is None:
        raise RuntimeError("chainlit is not installed")
    return Path(spec.origin).parent


def write_ui_files(
    root: Path,
    assistant_name: str,
    root_path: str,
    brand: BrandSettings | None = None,
    data_dir: Path = Path("."),
) -> None:
    """Write the page, the widget bundle, branding and translations under `root`; `root_path`
    is where the chat is mounted, `data_dir` where a relative logo file is."""
    brand = brand or BrandSettings()
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
    _write(public / "theme.json", json.dumps(theme(brand.colour)))
    drawn = branding(assistant_name, brand.colour)
    _write(public / "favicon.svg", drawn.pop("favicon.svg"))
    logo = company_logo(brand.logo_file, data_dir)
    if logo is not None:
        logos = {f"logo_{variant}{logo.suffix.lower()}" for variant in ("light", "dark")}
        for name in logos:
            _copy_if_changed(logo, public / name)
    else:
        logos = set(drawn)
        for name, svg in drawn.items():
            _write(public / name, svg)
    for stale in public.glob("logo_*"):  # Chainlit serves the first logo_light.* it finds
        if stale.name not in logos:
            stale.unlink(missing_ok=True)
    write_translations(
        package / "translations", root / ".chainlit" / "translations", brand.disclaimer
    )


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


def branding(assistant_name: str, colour: str = "#2f5d8a") -> dict[str, str]:
    """Our favicon (also the assistant's avatar) and logos: the assistant's initial on the
    brand's colour, and its name."""
    initial = html.escape((assistant_name.strip()[:1] or "?").upper())
    name = html.escape(assistant_name)
    fill = colour if re.fullmatch(r"#[0-9a-fA-F]{6}", colour) else "#2f5d8a"
    icon = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="14" fill="{fill}"/>'
        '<text x="32" y="43" font-family="system-ui,sans-serif" font-size="32" '
        f'font-weight="700" fill="#fff" text-anchor="middle">{initial}</text></svg>\n'
    )

    def logo(ink: str) -> str:
        width = 24 + 11 * len(assistant_name)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 32" '
            f'width="{width}" height="32"><text x="0" y="23" font-family="system-ui,sans-serif" '
            f'font-size="20" font-weight="600" fill="{ink}">{name}</text></svg>\n'
        )

    return {
        "favicon.svg": icon,
        "logo_light.svg": logo("#1f2933"),
        "logo_dark.svg": logo("#f5f7fa"),
    }


def theme(colour: str) -> dict[str, object]:
    """Chainlit's theme file: our fonts, and the brand's colour as its primary colour (the
    widget's button, links and buttons), in the "H S% L%" form its CSS variables take."""
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    primary = f"{hue * 360:.0f} {saturation * 100:.0f}% {lightness * 100:.0f}%"
    variables = {"--primary": primary, "--ring": primary}
    return {"custom_fonts": [SYSTEM_FONTS], "variables": {"light": variables, "dark": variables}}


def company_logo(logo_file: Path | None, data_dir: Path) -> Path | None:
    """The configured logo file if it can be served, else None with a warning saying why (the
    drawn logo is used instead: a wrong logo must not keep the chat from starting)."""
    if logo_file is None or not str(logo_file):
        return None
    path = logo_file if logo_file.is_absolute() else data_dir / logo_file
    if path.suffix.lower() not in LOGO_TYPES:
        problem = f"is not one of {', '.join(LOGO_TYPES)}"
    elif not path.is_file():
        problem = "does not exist"
    elif path.stat().st_size > MAX_LOGO_BYTES:
        problem = f"is larger than {MAX_LOGO_BYTES // 1024} kB"
    else:
        return path
    log.warning("brand.logo_file %s %s: the assistant's name is drawn instead", path, problem)
    return None


def write_translations(source: Path, target: Path, disclaimer: str = "") -> None:
    """Chainlit's translations, every language, with the line under the input replaced by the
    company's disclaimer, as plain text (Chainlit renders that line as Markdown).

    Chainlit copies its own files into `target` only where none exists, so ours stay."""
    target.mkdir(parents=True, exist_ok=True)
    line = inert(disclaimer.strip())
    for path in sorted(source.glob("*.json")):
        texts = json.loads(path.read_text(encoding="utf-8"))
        chat = texts.get("chat")
        if isinstance(chat, dict):
            chat["watermark"] = line
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
