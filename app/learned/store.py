"""Versioned model artifacts under `$SUPPORTBOT_HOME/models/<task>/<version>/`.

A version is a folder holding `weights.npz` (numpy arrays only, no pickles) and
`manifest.json` (the weights' SHA-256, data fingerprint, settings, scores, created time). It is
written under a temporary name and renamed into place, then the `current` pointer file is
replaced atomically (`os.replace`), so a reader sees either the old model or the new one, never
half of one. The version `current` replaced is recorded in `previous` and kept on disk; older
ones are deleted. A missing or corrupt file is an `AppError` that names it, and `load_serving`
falls back to the previous version so a bad write never takes triage down.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.ground.errors import AppError

log = logging.getLogger(__name__)

WEIGHTS = "weights.npz"
MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class StoredModel:
    task: str
    version: str
    arrays: dict[str, npt.NDArray[Any]]
    manifest: dict[str, Any]
    fallback_reason: str | None = None  # set when the previous version is serving instead


class ModelStore:
    """The versions of one task's model (e.g. "complaint", "intent")."""

    def __init__(self, home: Path, task: str) -> None:
        self.task = task
        self.root = home / "models" / task

    def current_version(self) -> str | None:
        return self._pointer("current")

    def previous_version(self) -> str | None:
        return self._pointer("previous")

    def save(self, arrays: dict[str, npt.NDArray[Any]], manifest: dict[str, Any]) -> str:
        """Write a new version and make it current; returns the version name."""
        self.root.mkdir(parents=True, exist_ok=True)
        version = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        suffix = 1
        while (self.root / version).exists():
            suffix += 1
            version = f"{version.split('.')[0]}.{suffix}"
        staging = self.root / f".staging-{version}-{os.getpid()}"
        staging.mkdir()
        try:
            weights = staging / WEIGHTS
            with weights.open("wb") as handle:
                np.savez(handle, allow_pickle=False, **arrays)
                handle.flush()
                os.fsync(handle.fileno())
            full = {
                **manifest,
                "format": FORMAT,
                "task": self.task,
                "version": version,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "weights_sha256": _sha256(weights),
            }
            _write_atomically(staging / MANIFEST, json.dumps(full, indent=2, sort_keys=True))
            staging.rename(self.root / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        old = self.current_version()
        if old is not None and old != version:
            _write_atomically(self.root / "previous", old + "\n")
        _write_atomically(self.root / "current", version + "\n")
        self._prune(keep={version, old})
        return version

    def load(self, version: str | None = None) -> StoredModel:
        """One version (default: current), verified; an AppError names what is wrong."""
        name = version or self.current_version()
        if name is None:
            raise AppError(
                "model", f"no {self.task} model in {self.root} (run `supportbot triage train`)"
            )
        folder = self.root / name
        manifest_path = folder / MANIFEST
        weights_path = folder / WEIGHTS
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AppError("model", f"{manifest_path}: missing (model files incomplete)") from None
        except (OSError, ValueError) as exc:
            raise AppError("model", f"{manifest_path}: unreadable or corrupt ({exc})") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise AppError("model", f"{manifest_path}: not a format-{FORMAT} model manifest")
        if not weights_path.is_file():
            raise AppError("model", f"{weights_path}: missing (model files incomplete)")
        if _sha256(weights_path) != manifest.get("weights_sha256"):
            raise AppError("model", f"{weights_path}: corrupt (checksum does not match manifest)")
        try:
            with np.load(weights_path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (OSError, ValueError) as exc:
            raise AppError("model", f"{weights_path}: unreadable ({exc})") from exc
        return StoredModel(self.task, name, arrays, manifest)

    def load_serving(self) -> StoredModel:
        """The current version, or the previous one (with the reason) if current is broken."""
        try:
            return self.load()
        except AppError as problem:
            previous = self.previous_version()
            if previous is None or previous == self.current_version():
                raise
            try:
                model = self.load(previous)
            except AppError:
                raise problem from None
            log.warning("%s; serving the previous %s model %s", problem, self.task, previous)
            return StoredModel(
                model.task, model.version, model.arrays, model.manifest, problem.message
            )

    def _pointer(self, name: str) -> str | None:
        try:
            value = (self.root / name).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return value or None

    def _prune(self, keep: set[str | None]) -> None:
        for entry in self.root.iterdir():
            if entry.is_dir() and not entry.name.startswith(".") and entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def fingerprint(texts: list[str], labels: list[str]) -> str:
    """A short hash of the training data, so a manifest says what a model learned from."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()[:16]
