"""Which product a document is about.

In order: what the document says explicitly (front matter, a ticket's product field), the
folder it sits in, then the catalog names found in its title or file name. The catalog is
`products.toml` at the root of the ingested folder (optional); explicit product names seen
during the run are added to it, so detection works without one too.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CATALOG_FILE = "products.toml"


def _key(name: str) -> str:
    """Compare product names ignoring case, spaces, dashes and underscores."""
    return re.sub(r"[\s_\-]+", "", name).lower()


@dataclass
class ProductCatalog:
    """Canonical product ids and the names that refer to them."""

    _canonical: dict[str, str] = field(default_factory=dict)  # key(alias) -> canonical id

    @classmethod
    def load(cls, root: Path) -> ProductCatalog:
        """Read `products.toml` under `root`; a missing file gives an empty catalog.

        Raises ValueError with a readable message when the file is malformed.
        """
        catalog = cls()
        path = root / CATALOG_FILE
        if not path.is_file():
            return catalog
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a valid product catalog ({exc})") from exc
        for entry in data.get("product", []):
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                names = [entry["id"], entry.get("name", ""), *entry.get("aliases", [])]
                for name in names:
                    if isinstance(name, str) and name.strip():
                        catalog._canonical.setdefault(_key(name), entry["id"])
        return catalog

    def add(self, name: str) -> str:
        """Register an explicitly named product; returns its canonical id."""
        canonical = self.canonical(name)
        if canonical is None:
            canonical = name.strip()
            self._canonical[_key(canonical)] = canonical
        return canonical

    def canonical(self, name: str) -> str | None:
        return self._canonical.get(_key(name))

    @property
    def ids(self) -> list[str]:
        return sorted(set(self._canonical.values()))

    def detect(self, *texts: str) -> str | None:
        """The product named in `texts` (longest name wins: "LA-6 Pro" over "LA-6")."""
        best: tuple[int, str] | None = None
        for alias_key, canonical in self._canonical.items():
            if len(alias_key) < 3:
                continue
            for text in texts:
                if _mentions(text, alias_key) and (best is None or len(alias_key) > best[0]):
                    best = (len(alias_key), canonical)
        return best[1] if best else None


def _mentions(text: str, alias_key: str) -> bool:
    """Does `text` contain the alias as a whole name (separators ignored)?"""
    # Build a pattern allowing optional separators between the alias' characters.
    pattern = r"[\s_\-]*".join(re.escape(ch) for ch in alias_key)
    return re.search(rf"(?<![a-z0-9]){pattern}(?![a-z0-9])", text.lower()) is not None
