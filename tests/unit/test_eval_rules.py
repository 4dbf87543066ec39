"""The section hit rule and metrics of `supportbot eval` (shared/datasets/README.md)."""

from __future__ import annotations

from app.doors.evaluation import Gold, first_hit_rank, hits, percentile, ranked_sections
from app.index.models import Passage
from app.pipeline.retrieval import RetrievedPassage


def retrieved(source: str, *paths: tuple[str, ...]) -> RetrievedPassage:
    passage = Passage(
        id=source + str(paths),
        text="t",
        source=source,
        root="/r",
        title="T",
        heading_path=paths[0],
        section_paths=paths,
        doc_type="manual",
        content_hash="c",
        source_hash="s",
        source_passages=1,
        ordinal=0,
    )
    return RetrievedPassage(passage, 1.0, None, None)


def test_gold_section_matches_a_contiguous_run_case_insensitively() -> None:
    gold = Gold("m.md", ("connections", "mobile hotspot"))
    assert hits(("m.md", ("Phone", "Settings", "Connections", "Mobile hotspot")), gold)
    assert not hits(("m.md", ("Connections", "Wi-Fi", "Mobile hotspot")), gold)
    assert not hits(("other.md", ("Connections", "Mobile hotspot")), gold)


def test_null_section_matches_any_entry_of_the_source() -> None:
    assert hits(("faq.md", ()), Gold("faq.md", None))


def test_ranked_sections_are_distinct_and_expand_every_spanned_path() -> None:
    entries = ranked_sections(
        [
            retrieved("a.md", ("A", "1"), ("A", "2")),
            retrieved("a.md", ("A", "2")),
            retrieved("b.md", ("B",)),
        ]
    )
    assert entries == [("a.md", ("A", "1")), ("a.md", ("A", "2")), ("b.md", ("B",))]


def test_first_hit_rank_counts_sections_not_passages() -> None:
    entries = ranked_sections(
        [retrieved("a.md", ("A", "1"), ("A", "2")), retrieved("b.md", ("B",))]
    )
    assert first_hit_rank(entries, [Gold("b.md", None)]) == 3
    assert first_hit_rank(entries, [Gold("c.md", None)]) is None


def test_percentile_is_nearest_rank() -> None:
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0
    assert percentile([5.0], 50) == 5.0
