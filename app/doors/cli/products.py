"""`supportbot products`: the product catalog ingest inferred, with its evidence.

Lists each product the index files passages under, the names a customer may use for it, the
documents about it and why (a front-matter field, a title, a file name, ...), and the
families of near-duplicate documents (one manual written out for sibling models).
`products.toml` in the data folder, when present, is merged on top and marked "override".
"""

from __future__ import annotations

import argparse
from typing import Any

from app.doors.cli import common

_SHOWN_DOCUMENTS = 3


def add_commands(sub: Any) -> None:
    products = sub.add_parser(
        "products", help="list the product catalog inferred at ingest, with its evidence"
    )
    products.add_argument("--json", action="store_true", help="print the catalog as JSON last")
    products.set_defaults(func=cmd_products)


def cmd_products(args: argparse.Namespace) -> int:
    from app.doors.assistant import load_override
    from app.index.product_catalog import StoredCatalog

    settings = common.settings()
    listing = StoredCatalog.load(settings.index_dir).listing(load_override(settings.data_dir))
    if not listing["products"]:
        print("no products known: ingest a corpus first (supportbot ingest)")
    for product in listing["products"]:
        family = f"  [family: {product['family']}]" if product["family"] else ""
        print(f"{product['id']}{family}")
        kinds = sorted({e["kind"] for e in product["evidence"]})
        print(f"   evidence: {', '.join(kinds) or 'none'}")
        documents = product["documents"]
        more = len(documents) - _SHOWN_DOCUMENTS
        shown = ", ".join(documents[:_SHOWN_DOCUMENTS]) + (f" (+{more} more)" if more > 0 else "")
        print(f"   documents: {shown or 'none'}")
    for family in listing["families"]:
        print(
            f"{family['id']}: {family['label']}, {len(family['documents'])} near-identical "
            f"documents (similarity >= {family['min_similarity']})"
        )
    if args.json:
        common.print_json_last(listing)
    return 0
