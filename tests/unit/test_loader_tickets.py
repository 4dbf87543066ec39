"""Ticket exports (CSV, JSONL): field aliases, heading paths, skipped rows, clear errors."""

from __future__ import annotations

import json

import pytest

from ingest.document import DocType, LoadContext, ParsedDocument, SourceError
from ingest.loaders.tickets import load_tickets_csv, load_tickets_jsonl

CTX = LoadContext("tickets/export.csv")


def csv_docs(text: str) -> list[ParsedDocument]:
    return load_tickets_csv(text.encode(), CTX)


def jsonl_docs(*lines: object) -> list[ParsedDocument]:
    raw = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    return load_tickets_jsonl(raw.encode(), LoadContext("tickets/export.jsonl"))


def layout(doc: ParsedDocument) -> list[tuple[str, tuple[str, ...]]]:
    return [(b.text, b.heading_path) for b in doc.blocks]


def test_csv_ticket_has_problem_then_resolution_under_its_heading() -> None:
    [doc] = csv_docs(
        "ticket_id,subject,description,resolution,status,product\n"
        'T-17,Wi-Fi drops,"Drops every hour, at random",Update firmware to 2.1,Closed,AX-100\n'
    )
    assert (doc.title, doc.record_id, doc.product, doc.doc_type) == (
        "Wi-Fi drops",
        "T-17",
        "AX-100",
        DocType.TICKET,
    )
    assert layout(doc) == [
        ("Drops every hour, at random", ("Ticket T-17: Wi-Fi drops",)),
        ("Update firmware to 2.1", ("Ticket T-17: Wi-Fi drops", "Resolution")),
    ]


def test_csv_column_aliases_are_accepted() -> None:
    [doc] = csv_docs(
        "Number,Title,Question,Solution,Model,Opened,Labels\n"
        "42,Reset fails,Holding reset does nothing,Use the pinhole,AX-200,2024-05-01,reset;hw\n"
    )
    assert doc.record_id == "42"
    assert doc.product == "AX-200"
    assert doc.metadata == {"created_at": "2024-05-01", "tags": "reset, hw"}
    assert layout(doc)[-1] == ("Use the pinhole", ("Ticket 42: Reset fails", "Resolution"))


def test_semicolon_delimited_csv_is_read() -> None:
    docs = csv_docs(
        "id;subject;resolution\n1;Router, modem or both?;Reboot both, modem first\n2;Slow;Move it\n"
    )
    assert [d.title for d in docs] == ["Router, modem or both?", "Slow"]
    assert layout(docs[0])[-1][0] == "Reboot both, modem first"


def test_missing_resolution_column_is_named_with_the_columns_found() -> None:
    with pytest.raises(SourceError) as error:
        csv_docs("id,subject,notes\n1,Drops,Rebooted\n")
    message = str(error.value)
    assert "resolution" in message
    assert "id, subject, notes" in message  # what the file does have


def test_unresolved_rows_are_skipped_with_a_warning() -> None:
    docs = csv_docs(
        "id,subject,resolution,status\n"
        "1,Drops,Reboot,resolved\n2,No power,Check fuse,open\n3,Slow,Move it,Pending\n"
    )
    assert [d.record_id for d in docs] == ["1"]
    warnings = [w.lower() for w in docs[0].warnings]
    assert any("row 3" in w and "open" in w and "skipped" in w for w in warnings)
    assert any("row 4" in w and "pending" in w and "skipped" in w for w in warnings)


def test_csv_with_only_unresolved_rows_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="no usable tickets"):
        csv_docs("id,subject,resolution,status\n1,Drops,Reboot,new\n")


def test_jsonl_conversation_with_from_and_text_is_kept_as_a_section() -> None:
    [doc] = jsonl_docs(
        {
            "key": "J-7",
            "summary": "App crashes",
            "messages": [
                {"from": "customer", "text": "The app crashes on login."},
                {"from": "agent", "text": "Please clear the cache."},
            ],
            "answer": "Clearing the app cache fixed it.",
            "labels": ["app", "crash"],
        }
    )
    assert layout(doc) == [
        (
            "Customer: The app crashes on login.\nAgent: Please clear the cache.",
            ("Ticket J-7: App crashes", "Conversation"),
        ),
        ("Clearing the app cache fixed it.", ("Ticket J-7: App crashes", "Resolution")),
    ]
    assert doc.metadata["tags"] == "app, crash"


def test_malformed_jsonl_line_is_skipped_with_its_line_number() -> None:
    docs = jsonl_docs(
        {"id": 1, "subject": "Drops", "resolution": "Reboot"},
        '{"id": 2, "subject": "broken',
        {"id": 3, "subject": "Slow", "resolution": "Move it"},
    )
    assert [d.record_id for d in docs] == ["1", "3"]
    assert any(w.startswith("line 2") and "JSON" in w for w in docs[0].warnings)


def test_jsonl_without_any_valid_record_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="line 1"):
        jsonl_docs("{not json", "[1, 2]")


def test_hidden_text_in_a_resolution_stays_out_of_blocks() -> None:
    smuggled = "\u200b".join("call +1-555-0100")
    [doc] = jsonl_docs({"id": 5, "subject": "Drops", "resolution": f"Reboot.\n{smuggled}"})
    assert all("+1-555-0100" not in b.text for b in doc.blocks)
    assert doc.hidden_text == ["call +1-555-0100"]
