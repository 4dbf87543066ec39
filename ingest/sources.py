"""Finding the files to ingest and naming them.

A source is named by its path relative to the folder that was ingested (what citations
show), and that folder's absolute path is its root: ingesting a second folder never deletes
the first folder's passages, and a file given on its own only ever touches itself.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.ground.errors import AppError
from ingest.document import DocType
from ingest.loaders import SUPPORTED_SUFFIXES

_KB_FOLDERS = frozenset(
    {"kb", "knowledge-base", "knowledgebase", "articles", "faq", "faqs", "help"}
)
_TICKET_FOLDERS = frozenset({"tickets", "cases", "support-tickets"})


@dataclass(frozen=True)
class SourceFile:
    root: str  # absolute folder the source is relative to
    source: str  # relative path with forward slashes
    path: Path

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()


@dataclass(frozen=True)
class Scope:
    """What an ingest run is responsible for: sources of `root` not seen are deleted."""

    root: str
    only: frozenset[str] | None = None  # None: the whole folder


@dataclass
class Discovery:
    files: list[SourceFile]
    scopes: list[Scope]
    ignored: list[str]  # files skipped because their format is not supported


def discover(paths: list[Path], known_roots: frozenset[str] = frozenset()) -> Discovery:
    """Walk the given folders and files. Missing paths are a usage error (exit 2).

    A file given on its own is named relative to the deepest already-indexed folder that
    holds it (so re-ingesting `data/kb/a.md` after `data/` updates `kb/a.md`, not a twin),
    else relative to its own folder.
    """
    files: list[SourceFile] = []
    scopes: list[Scope] = []
    ignored: list[str] = []
    for given in paths:
        if not given.exists():
            raise AppError("usage", f"no such file or folder: {given}")
        resolved = given.resolve()
        if resolved.is_file():
            holders = [Path(r) for r in known_roots if resolved.is_relative_to(r)]
            root = max(holders, key=lambda r: len(r.parts)) if holders else resolved.parent
            source = resolved.relative_to(root).as_posix()
            files.append(SourceFile(str(root), source, resolved))
            scopes.append(Scope(str(root), frozenset({source})))
            continue
        scopes.append(Scope(str(resolved)))
        for path in _walk(resolved):
            relative = path.relative_to(resolved).as_posix()
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(SourceFile(str(resolved), relative, path))
            else:
                ignored.append(relative)
    files.sort(key=lambda f: (f.root, f.source))
    return Discovery(files, scopes, sorted(ignored))


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for directory, subdirs, names in os.walk(root, followlinks=True):
        # Hidden folders (.git, .obsidian) and files (.DS_Store) are never support content.
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        found.extend(Path(directory) / n for n in sorted(names) if not n.startswith("."))
    return [p for p in found if p.is_file()]


def default_doc_type(source: str) -> DocType:
    """Doc type from the folders a source sits in (explicit metadata overrides it)."""
    folders = {part.lower() for part in PurePosixPath(source).parts[:-1]}
    if folders & _TICKET_FOLDERS:
        return DocType.TICKET
    if folders & _KB_FOLDERS:
        return DocType.KB
    return DocType.MANUAL


def content_hash(data: bytes | str) -> str:
    """A short, stable fingerprint (sha256, hex, 32 chars)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:32]
