"""Real-world documentation (third-party, in ../shared/datasets/corpora) ingests cleanly.

The Pi-hole docs are MkDocs Markdown (front matter, admonitions, tables, code blocks); the
Syncthing docs are Sphinx reStructuredText. Both must ingest with zero failures, and their
passages must carry heading paths a person would recognise.
"""

from __future__ import annotations

import pytest

from tests.conftest import shared_dataset
from tests.integration.conftest import Ingestor

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("corpus", "query", "expected_source_prefix"),
    [
        ("pihole-docs", "configure a router to use Pi-hole as its DNS server", "routers/"),
        ("syncthing-docs", "what ports need to be open through the firewall", ""),
    ],
)
def test_real_documentation_ingests_without_failures(
    ingestor: Ingestor, corpus: str, query: str, expected_source_prefix: str
) -> None:
    root = shared_dataset("corpora", corpus)
    report = ingestor.ingest(root)
    assert report.failures == [], [(o.source, o.reason) for o in report.failures]
    assert report.count("added") >= 40
    results = ingestor.search(query, k=5)
    assert results
    for source, heading_path, text in results:
        assert heading_path, f"{source}: passage without a heading path"
        assert all(h.strip() and len(h) < 200 for h in heading_path)
        assert "<!--" not in text
    assert any(source.startswith(expected_source_prefix) for source, _, _ in results)
    deep = [path for _, path, _ in ingestor.search(query, k=20) if len(path) >= 2]
    assert deep, "no nested heading paths found"
