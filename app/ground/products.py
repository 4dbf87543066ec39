"""Product names and the canonical ids they refer to.

The catalog a customer's words are matched against is the one ingest infers from the corpus
(app/index/product_catalog.py: model codes in titles, file names and product fields), with
`products.toml` at the root of the ingested folder, when there is one, merged on top as an
override: its ids, names and aliases win over inferred ones.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

CATALOG_FILE = "products.toml"


def _key(name: str) -> str:
    """Compare product names ignoring case, spaces, dashes and underscores."""
    return re.sub(r"[\s_\-]+", "", name).lower()


@dataclass
class ProductCatalog:
    """Canonical product ids and the names that refer to them."""

    _canonical: dict[str, str] = field(default_factory=dict)  # key(alias) -> canonical id
    # Identifies the catalog file's content: when it changes, product detection may change.
    fingerprint: str = ""
    # canonical id -> family, as products.toml states it
    families: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> ProductCatalog:
        """Read `products.toml` under `root`; a missing file gives an empty catalog.

        Raises ValueError with a readable message when the file is malformed.
        """
        catalog = cls()
        path = root / CATALOG_FILE
        if not path.is_file():
            return catalog
        raw = path.read_bytes()
        catalog.fingerprint = hashlib.sha256(raw).hexdigest()[:16]
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a valid product catalog ({exc})") from exc
        for entry in data.get("product", []):
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                names = [entry["id"], entry.get("name", ""), *entry.get("aliases", [])]
                for name in names:
                    if isinstance(name, str) and name.strip():
                        catalog._canonical.setdefault(_key(name), entry["id"])
                if isinstance(entry.get("family"), str) and entry["family"].strip():
                    catalog.families[entry["id"]] = entry["family"].strip()
        return catalog

    def register(self, product: str, names: Iterable[str] = ()) -> str:
        """Add `product` with the other `names` it goes by; a name already taken keeps its
        product (the override and earlier, stronger evidence win). Returns its canonical id."""
        canonical = self.add(product)
        for name in names:
            if name.strip() and len(_key(name)) >= 3:
                self._canonical.setdefault(_key(name), canonical)
        return canonical

    def names_of(self, canonical: str) -> list[str]:
        """The keys (case and separators dropped) that refer to `canonical`."""
        return sorted(k for k, v in self._canonical.items() if v == canonical)

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
        found = self._mentions(texts)
        return max(found, key=lambda m: (m.length, m.canonical)).canonical if found else None

    def detect_all(self, *texts: str) -> list[str]:
        """Every product named in `texts`, sorted. A name read only as part of a longer
        one does not count: "LA-6 Pro" names the LA-6 Pro, not the LA-6."""
        found = self._mentions(texts)
        return sorted(
            {
                m.canonical
                for m in found
                if not any(
                    o.text_index == m.text_index
                    and o.start <= m.start
                    and m.end <= o.end
                    and o.length > m.length
                    for o in found
                )
            }
        )

    def _mentions(self, texts: tuple[str, ...]) -> list[_Mention]:
        found = []
        for alias_key, canonical in self._canonical.items():
            if len(alias_key) < 3:
                continue
            pattern = _alias_pattern(alias_key)
            for index, text in enumerate(texts):
                for match in pattern.finditer(text.lower()):
                    found.append(
                        _Mention(canonical, len(alias_key), index, match.start(), match.end())
                    )
        return found


@dataclass(frozen=True)
class _Mention:
    canonical: str
    length: int  # of the alias, separators ignored
    text_index: int  # which of the texts
    start: int
    end: int


@lru_cache(maxsize=4096)
def _alias_pattern(alias_key: str) -> re.Pattern[str]:
    """The alias as a whole name, with optional separators between its characters."""
    pattern = r"[\s_\-]*".join(re.escape(ch) for ch in alias_key)
    return re.compile(rf"(?<![a-z0-9]){pattern}(?![a-z0-9])")
