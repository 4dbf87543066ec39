"""Ingest then search on the real model and the real embedded index: add, change, delete, rerun."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import Ingestor

pytestmark = pytest.mark.slow


def test_first_ingest_indexes_every_source_with_its_metadata(
    ingestor: Ingestor, corpus: Path
) -> None:
    report = ingestor.ingest(corpus)
    assert report.exit_code == 0
    assert report.count("added") == 3 and report.count("failed") == 0
    source, path, text = ingestor.search("how long do I hold the reset button on the AP-1?")[0]
    assert source == "manuals/ap.md"
    assert path == ("AP-1 Guide", "Reset", "Factory reset")
    assert "10 seconds" in text


def test_second_run_changes_nothing_and_embeds_nothing(ingestor: Ingestor, corpus: Path) -> None:
    ingestor.ingest(corpus)
    before = ingestor.stored()
    report = ingestor.ingest(corpus)
    assert report.count("unchanged") == 3
    assert report.count("added") + report.count("updated") + report.count("deleted") == 0
    assert report.passages_embedded == 0
    assert ingestor.stored() == before


def test_changed_source_is_replaced_and_only_its_new_text_is_embedded(
    ingestor: Ingestor, corpus: Path
) -> None:
    ingestor.ingest(corpus)
    manual = corpus / "manuals" / "ap.md"
    manual.write_text(manual.read_text().replace("10 seconds", "25 seconds"), encoding="utf-8")
    report = ingestor.ingest(corpus)
    assert report.count("updated") == 1 and report.count("unchanged") == 2
    # The untouched "Mounting" passage kept its vector; only the edited passage was embedded.
    assert report.passages_embedded == 1 and report.passages_reused >= 1
    texts = [text for _, _, text in ingestor.search("factory reset hold button AP-1", k=10)]
    assert any("25 seconds" in t for t in texts)
    assert not any("10 seconds" in t for t in texts)


def test_deleted_source_disappears_from_search(ingestor: Ingestor, corpus: Path) -> None:
    ingestor.ingest(corpus)
    (corpus / "kb" / "vpn.txt").unlink()
    report = ingestor.ingest(corpus)
    assert report.count("deleted") == 1
    assert all(source != "kb/vpn.txt" for source, _, _ in ingestor.search("WireGuard keepalive"))


def test_ingesting_another_folder_leaves_the_first_one_alone(
    ingestor: Ingestor, corpus: Path, tmp_path: Path
) -> None:
    ingestor.ingest(corpus)
    other = tmp_path / "other"
    other.mkdir()
    (other / "billing.md").write_text("# Billing\n\nInvoices are sent on the 1st.\n")
    report = ingestor.ingest(other)
    assert report.count("added") == 1 and report.count("deleted") == 0
    assert ingestor.search("reset button AP-1")[0][0] == "manuals/ap.md"


def test_single_file_ingest_only_touches_that_file(ingestor: Ingestor, corpus: Path) -> None:
    ingestor.ingest(corpus)
    manual = corpus / "manuals" / "ap.md"
    manual.write_text(manual.read_text() + "\n## Warranty\n\nTwo years.\n", encoding="utf-8")
    report = ingestor.ingest(manual)
    assert [o.status for o in report.outcomes] == ["updated"]
    assert report.outcomes[0].source == "manuals/ap.md"


def test_product_and_doc_type_come_from_metadata_and_folders(
    ingestor: Ingestor, corpus: Path
) -> None:
    ingestor.ingest(corpus)
    from app.index.models import SearchFilter
    from app.index.store import open_reader
    from app.pipeline.retrieval import HybridRetriever

    reader = open_reader(ingestor.settings)
    try:
        retriever = HybridRetriever(reader, ingestor.embedder, ingestor.settings.retrieval)
        only_switch = retriever.search(
            "power budget", search_filter=SearchFilter(products=("SW-8",))
        )
        only_kb = retriever.search("disconnects", search_filter=SearchFilter(doc_types=("kb",)))
    finally:
        reader.close()
    assert only_switch and {r.passage.product for r in only_switch} == {"SW-8"}
    assert only_kb and {r.passage.source for r in only_kb} == {"kb/vpn.txt"}
    assert only_switch[0].passage.title == "SW-8 Manual"
