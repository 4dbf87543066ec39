"""Score fusion: how dense and keyword candidates combine into one ranking."""

from __future__ import annotations

from typing import Any

from app.index.protocols import Candidate
from app.pipeline.retrieval import fuse


def candidate(point_id: str, score: float, doc_type: str = "manual") -> Candidate:
    payload: dict[str, Any] = {
        "text": point_id, "source": f"{point_id}.md", "root": "/r", "title": point_id,
        "heading_path": [point_id], "section_paths": [[point_id]], "doc_type": doc_type,
        "content_hash": "c", "source_hash": "s", "source_passages": 1, "ordinal": 0,
    }  # fmt: skip
    return Candidate(point_id, score, payload)


def ids(results: list[Any]) -> list[str]:
    return [r.passage.id for r in results]


def test_a_strong_keyword_match_lifts_a_close_dense_runner_up() -> None:
    dense = [candidate("a", 0.62), candidate("b", 0.60)]
    keyword = [candidate("b", 9.0), candidate("a", 1.0)]
    assert ids(fuse(dense, keyword, dense_weight=0.9, k=2)) == ["b", "a"]


def test_a_weak_keyword_match_does_not_overturn_a_confident_dense_ranking() -> None:
    dense = [candidate("a", 0.80), candidate("b", 0.35)]
    keyword = [candidate("b", 3.0), candidate("a", 2.5)]
    assert ids(fuse(dense, keyword, dense_weight=0.9, k=2)) == ["a", "b"]


def test_a_single_keyword_candidate_keeps_its_full_weight() -> None:
    results = fuse([candidate("a", 0.5)], [candidate("a", 4.2)], dense_weight=0.5, k=1)
    assert results[0].score == 1.0
    assert (results[0].dense_score, results[0].keyword_score) == (0.5, 4.2)


def test_curated_documentation_beats_an_equally_good_ticket() -> None:
    dense = [candidate("ticket", 0.7, "ticket"), candidate("kb", 0.7, "kb")]
    keyword = [candidate("ticket", 5.0, "ticket"), candidate("kb", 5.0, "kb")]
    assert ids(fuse(dense, keyword, dense_weight=0.9, k=2, ticket_weight=0.8)) == ["kb", "ticket"]


def test_candidates_found_by_only_one_retriever_are_kept() -> None:
    results = fuse([candidate("a", 0.9)], [candidate("b", 7.0)], dense_weight=0.9, k=5)
    assert ids(results) == ["a", "b"]
    assert results[1].dense_score is None


def test_no_candidates_no_results() -> None:
    assert fuse([], [], dense_weight=0.9, k=5) == []
