"""Every file of the real third-party docs (Pi-hole MkDocs, Syncthing Sphinx) loads cleanly.

The corpora live beside the checkout in ../shared/datasets (CI has them; a user's clone may
not, so the tests skip with the reason). They are read, never copied into the repository.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.document import LoadContext, ParsedDocument, SourceError
from ingest.loaders.markdown import load_markdown
from ingest.loaders.rst import load_rst

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "corpora"

Loader = Callable[[bytes, LoadContext], list[ParsedDocument]]


def _load_all(name: str, suffix: str, loader: Loader) -> dict[str, ParsedDocument]:
    root = CORPORA / name
    if not root.is_dir():
        pytest.skip(f"needs {root} (the shared datasets beside the checkout)")
    docs: dict[str, ParsedDocument] = {}
    errors: list[str] = []
    for path in sorted(root.rglob(f"*{suffix}")):
        source = path.relative_to(root).as_posix()
        try:
            (docs[source],) = loader(path.read_bytes(), LoadContext(source))
        except SourceError as exc:
            errors.append(f"{source}: {exc}")
    assert errors == []
    return docs


def test_pihole_markdown_docs_all_load_with_heading_paths() -> None:
    docs = _load_all("pihole-docs", ".md", load_markdown)
    assert len(docs) >= 80
    paths = [b.heading_path for d in docs.values() for b in d.blocks]
    assert sum(len(p) >= 2 for p in paths) > 500
    for doc in docs.values():
        for block in doc.blocks:
            assert "<!--" not in block.text and "!!! " not in block.text
            assert all(h.strip() and "#" not in h[:1] and "{:" not in h for h in block.heading_path)
    index = docs["index.md"]
    assert index.title == "Overview of Pi-hole"
    assert any(
        b.heading_path[:2]
        == ("Overview of Pi-hole", "Pi-hole is free, but powered by your support")
        for b in index.blocks
    )


def test_syncthing_rst_docs_all_load_with_heading_paths() -> None:
    docs = _load_all("syncthing-docs", ".rst", load_rst)
    assert len(docs) >= 50
    paths = [b.heading_path for d in docs.values() for b in d.blocks]
    assert sum(len(p) >= 2 for p in paths) > 300
    for doc in docs.values():
        for block in doc.blocks:
            assert ":ref:`" not in block.text and ":doc:`" not in block.text
            assert not block.text.startswith(".. ")
    general = docs["users/faq-parts/general.rst"]
    assert general.blocks[0].heading_path == ("General", "What is Syncthing?")
