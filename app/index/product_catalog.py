"""The product catalog inferred at ingest, stored beside the index.

Ingest records, per source file, the products each of its documents was filed under and the
evidence for them (app: ingest/product_evidence.py), plus a MinHash signature of each manual
or article for near-duplicate families. This file, `<index dir>/products.json`, is written
after the index commits and read by every front door: `products_catalog` turns it into the
`ProductCatalog` that recognises what a customer names, with `products.toml` merged on top;
`listing` is what `supportbot products` prints. A source's entry is replaced when the source
is re-indexed and dropped when the source leaves the index, so the catalog follows the index
incrementally.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.ground.model_codes import spellings
from app.ground.near_duplicates import families
from app.ground.products import ProductCatalog

CATALOG_FILE_NAME = "products.json"
_FORMAT = 1


@dataclass
class EvidenceEntry:
    """A place a document names a product: `found` as written, `product` its canonical id."""

    product: str
    found: str
    kind: str
    text: str
    phrase: str = ""


@dataclass
class DocumentEntry:
    """One document of a source (`count` > 1: that many tickets filed under one product)."""

    title: str
    doc_type: str
    products: list[str]
    evidence: list[EvidenceEntry] = field(default_factory=list)
    record_id: str | None = None
    signature: list[int] | None = None
    count: int = 1


@dataclass
class SourceEntry:
    root: str
    source: str
    source_hash: str
    documents: list[DocumentEntry]


@dataclass
class StoredCatalog:
    """Every indexed source's documents, products and evidence."""

    sources: dict[tuple[str, str], SourceEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, index_dir: Path) -> StoredCatalog:
        """The stored catalog; empty when there is none yet (or it is unreadable: ingest
        then rebuilds it from the sources, which it re-reads)."""
        path = index_dir / CATALOG_FILE_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return cls()
        catalog = cls()
        for raw in data.get("sources", []):
            documents = [
                DocumentEntry(
                    **{k: v for k, v in d.items() if k != "evidence"},
                    evidence=[EvidenceEntry(**e) for e in d.get("evidence", [])],
                )
                for d in raw["documents"]
            ]
            entry = SourceEntry(raw["root"], raw["source"], raw["source_hash"], documents)
            catalog.sources[(entry.root, entry.source)] = entry
        return catalog

    def save(self, index_dir: Path) -> None:
        """Write atomically: a reader sees the old catalog or the new one, never half."""
        index_dir.mkdir(parents=True, exist_ok=True)
        data = {
            "format": _FORMAT,
            "sources": [asdict(self.sources[key]) for key in sorted(self.sources)],
        }
        fd, tmp = tempfile.mkstemp(dir=index_dir, prefix=".products-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False, separators=(",", ":"))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, index_dir / CATALOG_FILE_NAME)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def documents(self) -> list[tuple[SourceEntry, DocumentEntry]]:
        return [
            (s, d) for key in sorted(self.sources) for s in [self.sources[key]] for d in s.documents
        ]

    def extend(self, catalog: ProductCatalog) -> ProductCatalog:
        """Register every stored product in `catalog` (the override's names stay first):
        ids, then the name phrases found around them, then bare model codes last, so that
        "LA-6" names the LA-6 when it has its own document and the LA-6 Pro otherwise."""
        ids: list[str] = []
        phrases: list[tuple[str, str]] = []
        bare: list[tuple[str, str]] = []
        for _, document in self.documents():
            ids += document.products
            for ev in document.evidence:
                if ev.phrase:
                    phrases.append((ev.product, ev.phrase))
                phrases.append((ev.product, ev.found))
                code = ev.found.split(" ")[0]
                if code != ev.found:
                    bare.append((ev.product, code))
        for product in dict.fromkeys(ids):
            catalog.register(product)
        for product, name in phrases:
            catalog.register(product, [name])
        for product, name in bare:
            catalog.register(product, [name])
        return catalog

    def listing(self, override: ProductCatalog | None = None) -> dict[str, Any]:
        """The catalog as `supportbot products --json` prints it: each product with its
        spellings, documents and evidence, and the families of near-duplicate documents."""
        overridden_ids = override.ids if override else []
        catalog = self.extend(override or ProductCatalog())
        groups = self._families()
        family_of: dict[str, str] = {}
        for group in groups:
            for product in group["products"]:
                family_of.setdefault(product, group["id"])
        overridden = override.families if override else {}
        products: dict[str, dict[str, Any]] = {}
        for source, document in self.documents():
            for product in document.products:
                item = products.setdefault(
                    product,
                    {
                        "id": product,
                        "names": catalog.names_of(product),
                        "spellings": spellings(product),
                        "family": overridden.get(product) or family_of.get(product),
                        "documents": [],
                        "evidence": [],
                    },
                )
                where = source.source + (f"#{document.record_id}" if document.record_id else "")
                if document.count > 1:
                    where += f" ({document.count} tickets)"
                if where not in item["documents"]:
                    item["documents"].append(where)
                for ev in document.evidence:
                    if ev.product == product:
                        item["evidence"].append(
                            {"source": where, "kind": ev.kind, "text": ev.text, "found": ev.found}
                        )
        if override is not None:
            for product in overridden_ids:
                products.setdefault(
                    product,
                    {
                        "id": product,
                        "names": catalog.names_of(product),
                        "spellings": spellings(product),
                        "family": override.families.get(product),
                        "documents": [],
                        "evidence": [],
                    },
                )["evidence"].append(
                    {
                        "source": "products.toml",
                        "kind": "override",
                        "text": product,
                        "found": product,
                    }
                )
        return {
            "products": [products[p] for p in sorted(products)],
            "families": groups,
        }

    def _families(self) -> list[dict[str, Any]]:
        signatures: dict[str, list[int]] = {}
        about: dict[str, DocumentEntry] = {}
        for source, document in self.documents():
            if document.signature:
                key = source.source + (f"#{document.record_id}" if document.record_id else "")
                signatures[key] = document.signature
                about[key] = document
        found = []
        for number, (members, weakest) in enumerate(families(signatures), 1):
            products = list(dict.fromkeys(p for m in members for p in about[m].products[:1]))
            found.append(
                {
                    "id": f"family-{number}",
                    "label": _family_label(products) or f"{len(members)} near-identical documents",
                    "documents": members,
                    "products": products,
                    "min_similarity": weakest,
                }
            )
        return found


def _family_label(products: list[str]) -> str:
    """What the family's products have in common ("LX-" for LX-1000 ... LX-2800X)."""
    if len(products) < 2:
        return products[0] if products else ""
    prefix = os.path.commonprefix([p.upper() for p in products])
    prefix = prefix.rstrip("0123456789")
    return f"{prefix}* ({len(products)} models)" if len(prefix) >= 1 else ""


def tickets_by_product(
    entries: list[tuple[list[str], list[EvidenceEntry]]],
) -> list[DocumentEntry]:
    """Tickets of one export summarised per product, so that ten thousand tickets do not
    make ten thousand catalog entries."""
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    evidence: dict[tuple[str, ...], list[EvidenceEntry]] = {}
    for products, found in entries:
        key = tuple(products)
        counts[key] += 1
        evidence.setdefault(key, found[:1])
    return [
        DocumentEntry(
            title=f"{count} ticket{'s' if count > 1 else ''}",
            doc_type="ticket",
            products=list(key),
            evidence=evidence[key],
            count=count,
        )
        for key, count in sorted(counts.items())
        if key
    ]
