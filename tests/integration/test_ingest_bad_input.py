"""Bad input is reported with a reason and skipped; the rest is indexed; nothing stored is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import Ingestor

pytestmark = pytest.mark.slow


def write_bad_sources(folder: Path) -> dict[str, str]:
    """Create one file per kind of bad input; returns source -> words the reason must hold."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not")
    (folder / "binary.md").write_bytes(bytes(range(256)) * 64)
    (folder / "empty.md").write_bytes(b"")
    (folder / "latin1.txt").write_bytes("Caf\xe9 router guide, se\xf1or".encode("latin-1"))
    (folder / "tickets.csv").write_text("id,subject,notes\n1,Wi-Fi drops,call back\n")
    (folder / "huge.txt").write_bytes(b"router log line\n" * (50 * 1024 * 1024 // 16))
    (folder / "nested.json").write_text("[" * 1000 + "]" * 1000)
    return {
        "corrupt.pdf": "pdf",
        "binary.md": "binary",
        "empty.md": "empty",
        "latin1.txt": "utf-8",
        "tickets.csv": "resolution",
        "huge.txt": "mb",
        "nested.json": "nested",
    }


def test_each_bad_file_fails_with_a_reason_and_good_files_are_indexed(
    ingestor: Ingestor, corpus: Path
) -> None:
    expected = write_bad_sources(corpus / "bad")
    report = ingestor.ingest(corpus)
    failures = {o.source.removeprefix("bad/"): (o.reason or "").lower() for o in report.failures}
    assert set(failures) == set(expected)
    for source, words in expected.items():
        assert words in failures[source], (source, failures[source])
    assert report.count("added") == 3
    assert report.exit_code == 1
    assert ingestor.search("reset button AP-1")[0][0] == "manuals/ap.md"


def test_a_source_that_turns_bad_keeps_its_indexed_passages(
    ingestor: Ingestor, corpus: Path
) -> None:
    ingestor.ingest(corpus)
    before = ingestor.stored()
    (corpus / "manuals" / "ap.md").write_bytes(b"# AP-1 Guide\n\nbroken \xc3\x28 bytes \xff")
    report = ingestor.ingest(corpus)
    assert [o.source for o in report.failures] == ["manuals/ap.md"]
    assert ingestor.stored() == before
    assert ingestor.search("reset button AP-1")[0][0] == "manuals/ap.md"
