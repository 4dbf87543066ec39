"""Product detection and source naming."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ground.errors import AppError
from app.ground.products import ProductCatalog
from ingest.document import DocType
from ingest.sources import default_doc_type, discover


@pytest.fixture
def catalog(tmp_path: Path) -> ProductCatalog:
    (tmp_path / "products.toml").write_text(
        '[[product]]\nid = "LA-6"\naliases = ["LA6"]\n\n'
        '[[product]]\nid = "LA-6 Pro"\naliases = ["LA6 Pro", "LA-6P"]\n'
    )
    return ProductCatalog.load(tmp_path)


def test_longest_product_name_wins(catalog: ProductCatalog) -> None:
    assert catalog.detect("Factory reset on the LA-6 Pro") == "LA-6 Pro"
    assert catalog.detect("Factory reset on the LA-6") == "LA-6"
    assert catalog.detect("la-6-pro-installation-guide") == "LA-6 Pro"
    assert catalog.detect("la6 ceiling mount") == "LA-6"


def test_product_names_are_not_found_inside_other_words(catalog: ProductCatalog) -> None:
    assert catalog.detect("the LA-60 is not ours") is None
    assert catalog.detect("nothing here") is None


def test_aliases_map_to_the_canonical_id(catalog: ProductCatalog) -> None:
    assert catalog.add("la6 pro") == "LA-6 Pro"
    assert catalog.add("KX-1") == "KX-1"
    assert catalog.detect("reset a KX-1") == "KX-1"


def test_malformed_catalog_is_a_readable_error(tmp_path: Path) -> None:
    (tmp_path / "products.toml").write_text("[[product]\nid=")
    with pytest.raises(ValueError, match="not a valid product catalog"):
        ProductCatalog.load(tmp_path)


def test_doc_type_follows_the_folder() -> None:
    assert default_doc_type("kb/reset.md") == DocType.KB
    assert default_doc_type("exports/tickets/2025.csv") == DocType.TICKET
    assert default_doc_type("manuals/ap.pdf") == DocType.MANUAL


def test_discovery_names_sources_relative_and_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    (tmp_path / "docs" / "kb").mkdir(parents=True)
    (tmp_path / "docs" / ".git").mkdir()
    (tmp_path / "docs" / "kb" / "a.md").write_text("# A")
    (tmp_path / "docs" / ".git" / "b.md").write_text("# B")
    (tmp_path / "docs" / "logo.png").write_bytes(b"\x89PNG")
    found = discover([tmp_path / "docs"])
    assert [f.source for f in found.files] == ["kb/a.md"]
    assert found.ignored == ["logo.png"]
    with pytest.raises(AppError, match="no such file or folder"):
        discover([tmp_path / "missing"])
