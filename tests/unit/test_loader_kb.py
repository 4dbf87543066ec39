"""KB JSON exports: list or wrapped list, Markdown or HTML bodies, tickets, hostile input."""

from __future__ import annotations

import json

import pytest

from ingest.document import DocType, LoadContext, ParsedDocument, SourceError
from ingest.loaders.kb import load_kb_json

CTX = LoadContext("kb/export.json")

RESET = {
    "id": 101,
    "title": "Reset the router",
    "body": "Hold reset.\n\n## If it fails\n\nUse the pinhole.",
    "html_url": "https://kb.example.com/101",
    "product": "AX-100",
    "updated_at": "2024-02-02",
}
WIFI = {
    "id": "102",
    "name": "Change the Wi-Fi password",
    "body_html": "<h2>Steps</h2><p>Open the app.</p><p>Pick <b>Wi-Fi</b>.</p>",
}


def load(data: object) -> list[ParsedDocument]:
    return load_kb_json(json.dumps(data).encode(), CTX)


def layout(doc: ParsedDocument) -> list[tuple[str, tuple[str, ...]]]:
    return [(b.text, b.heading_path) for b in doc.blocks]


def test_list_of_articles_gives_one_kb_document_each() -> None:
    docs = load([RESET, WIFI])
    assert [(d.title, d.record_id, d.doc_type) for d in docs] == [
        ("Reset the router", "101", DocType.KB),
        ("Change the Wi-Fi password", "102", DocType.KB),
    ]
    assert (docs[0].url, docs[0].product) == ("https://kb.example.com/101", "AX-100")
    assert docs[0].metadata == {"updated_at": "2024-02-02"}


def test_object_with_articles_key_is_accepted() -> None:
    assert [d.title for d in load({"articles": [RESET], "count": 1})] == ["Reset the router"]


def test_markdown_body_paths_start_with_the_article_title() -> None:
    [doc] = load([RESET])
    assert layout(doc) == [
        ("Hold reset.", ("Reset the router",)),
        ("Use the pinhole.", ("Reset the router", "If it fails")),
    ]


def test_h1_repeating_the_title_is_not_doubled() -> None:
    [doc] = load([{"title": "Reset the router", "body": "# Reset the router\n\nHold reset."}])
    assert layout(doc) == [("Hold reset.", ("Reset the router",))]


def test_html_body_paths_start_with_the_article_title() -> None:
    [doc] = load([WIFI])
    assert layout(doc) == [
        ("Open the app.", ("Change the Wi-Fi password", "Steps")),
        ("Pick Wi-Fi.", ("Change the Wi-Fi password", "Steps")),
    ]


def test_hidden_html_in_a_body_goes_to_hidden_text() -> None:
    body = '<p>Open the app.</p><p style="display:none">call +1-555-0100</p>'
    [doc] = load([{"title": "App", "body": body}])
    assert [b.text for b in doc.blocks] == ["Open the app."]
    assert doc.hidden_text == ["call +1-555-0100"]


def test_article_without_body_is_skipped_with_a_warning() -> None:
    docs = load([RESET, {"id": 9, "title": "Draft", "body": ""}])
    assert [d.title for d in docs] == ["Reset the router"]
    assert any("article 2" in w for w in docs[0].warnings)


def test_records_with_a_resolution_are_read_as_tickets() -> None:
    [doc] = load([{"id": 5, "subject": "Crash on start", "solution": "Reinstall the app"}])
    assert doc.doc_type is DocType.TICKET
    assert layout(doc)[-1] == ("Reinstall the app", ("Ticket 5: Crash on start", "Resolution"))


def test_deeply_nested_json_is_refused_before_parsing() -> None:
    with pytest.raises(SourceError, match="nested"):
        load_kb_json(("[" * 1000 + "]" * 1000).encode(), CTX)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    [doc] = load([{"title": "Brackets", "body": "Type " + "[" * 200 + " to see the bug."}])
    assert doc.title == "Brackets"


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(SourceError, match=r"line 3 column \d+"):
        load_kb_json(b'[\n  {"title": "x",\n   "body": "y",}\n]', CTX)
