"""The insights' pure parts: the period, greedy grouping on given vectors, the vector cache,
and the SVG charts (well-formed, escaped, honest about days without data)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from app.console.charts import Bar, bar_chart, column_chart
from app.console.grouping import VectorCache, cluster, group_questions
from app.console.insights import period_days, period_start
from app.db.unanswered import FailedQuestion
from app.ground.embedding import Vectors
from app.ground.errors import AppError

NS = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def question(text: str, minutes_ago: int = 0, conversation: str = "c") -> FailedQuestion:
    return FailedQuestion(
        message_id=f"m-{text}-{minutes_ago}",
        conversation_id=conversation,
        text=text,
        asked_at=T0 - timedelta(minutes=minutes_ago),
        abstained=True,
        thumbs_down=False,
    )


def unit(*rows: Sequence[float]) -> Vectors:
    vectors = np.asarray(rows, dtype=np.float32)
    normed: Vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normed


def test_period_is_one_of_the_offered_ones() -> None:
    assert period_days(None) == period_days("") == 30
    assert [period_days(v) for v in ("7", "30", "90")] == [7, 30, 90]
    for bad in ("14", "0", "-7", "7.0", "x", "9" * 40):
        with pytest.raises(AppError) as refused:
            period_days(bad)
        assert refused.value.code == "bad_period"
    # Seven days ending today: from midnight UTC six days ago.
    assert period_start(7, T0) == datetime(2026, 5, 4, tzinfo=UTC)


def test_cluster_joins_similar_vectors_and_keeps_others_apart() -> None:
    vectors = unit([1, 0, 0], [0.9, 0.3, 0], [0, 1, 0], [0.95, 0.1, 0.05], [0, 0, 1])
    assert cluster(vectors, threshold=0.8) == [[0, 1, 3], [2], [4]]
    assert cluster(vectors, threshold=0.999) == [[0], [1], [2], [3], [4]]
    assert cluster(np.zeros((0, 3), dtype=np.float32)) == []


def test_groups_largest_first_with_a_typical_representative() -> None:
    questions = [
        question("ship to Canada?", 1, "a"),
        question("discount for students?", 2, "b"),
        question("deliver to Canada?", 3, "c"),
        question("Canada shipping", 4, "c"),
    ]
    vectors = unit([1, 0.3, 0], [0, 1, 0], [1, 0, 0], [1, 0.1, 0])
    groups = group_questions(questions, vectors, threshold=0.8)
    assert [g.size for g in groups] == [3, 1]
    canada = groups[0]
    assert canada.representative.text == "Canada shipping"  # nearest the centroid
    assert [q.text for q in canada.examples()] == ["ship to Canada?", "deliver to Canada?"]
    assert canada.conversations == 2 and canada.last_asked == T0 - timedelta(minutes=1)


def test_without_vectors_groups_by_wording() -> None:
    questions = [question("Ship to  CANADA?", 1), question("b?", 2), question("ship to canada?", 3)]
    groups = group_questions(questions, None)
    assert [(g.size, g.representative.text) for g in groups] == [
        (2, "Ship to  CANADA?"),
        (1, "b?"),
    ]
    assert groups[0].examples() == []  # the same wording is not shown twice


class CountingEmbedder:
    dimension = 2

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed_documents(
        self,
        texts: Sequence[str],
        *,
        progress: Callable[[int], None] | None = None,  # noqa: ARG002
    ) -> Vectors:
        self.calls.append(list(texts))
        return unit(*([len(t), 1.0] for t in texts))

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self.embed_documents([text])[0]
        return vector

    def forget_queries(self) -> None:
        pass


def test_vector_cache_embeds_only_new_texts() -> None:
    embedder = CountingEmbedder()
    cache = VectorCache(max_entries=3)
    first = cache.embed(embedder, ["a", "bb", "a"])
    assert first.shape == (3, 2) and np.allclose(first[0], first[2])
    again = cache.embed(embedder, ["bb", "ccc"])
    assert embedder.calls == [["a", "bb"], ["ccc"]]
    assert np.allclose(again[0], first[1])
    cache.embed(embedder, ["dddd"])  # over the limit: "a", the least recently used, goes
    cache.embed(embedder, ["a", "bb"])
    assert embedder.calls[-1] == ["a"]
    assert cache.embed(embedder, []).shape == (0, 2)


def test_column_chart_is_well_formed_escaped_and_marks_missing_days() -> None:
    bars = [
        Bar("May 1", 0.5, "<b>half</b>", key="2026-05-01"),
        Bar("May 2", None, "no conversations", key="2026-05-02"),
        Bar("May 3", 0.0, "none deflected", key="2026-05-03"),
    ]
    svg = column_chart(
        bars,
        chart_id="c",
        title='Rate & "share"',
        description="<script>x</script>",
        y_max=1.0,
        y_ticks=[(0.0, "0%"), (1.0, "100%")],
        label_every=2,
    )
    assert "<b>" not in svg and "<script>" not in svg
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.findtext(f"{NS}title") == 'Rate & "share"'
    rects = list(root.iter(f"{NS}rect"))
    assert [r.get("class") for r in rects] == ["chart-bar", "chart-none", "chart-bar"]
    assert rects[0].findtext(f"{NS}title") == "<b>half</b>"
    zero = rects[2]
    assert float(zero.get("height", "0")) > 0  # 0% is drawn, unlike a day without data
    labels = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "chart-label"]
    assert labels == ["May 1", "May 3"]  # every second day, counted back from the last


def test_bar_chart_writes_each_value() -> None:
    svg = bar_chart(
        [Bar("complaint", 3.0, "complaint: 3"), Bar("a & b", 0.0, "0")],
        chart_id="r",
        title="Escalations",
        description="by reason",
    )
    root = ET.fromstring(svg)
    values = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "chart-value"]
    labels = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "chart-label"]
    assert values == ["3", "0"] and labels == ["complaint", "a & b"]
