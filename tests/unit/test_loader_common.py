"""Shared loader helpers: decoding errors a person can act on, invisible text, file titles."""

from __future__ import annotations

import codecs

import pytest

from ingest.document import SourceError
from ingest.loaders import loader_for
from ingest.loaders.common import decode_text, sanitize_text, title_from_source


@pytest.mark.parametrize("raw", [b"", b"  \n\t \r\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b" \n"])
def test_blank_input_is_reported_as_empty_file(raw: bytes) -> None:
    with pytest.raises(SourceError, match="empty file"):
        decode_text(raw)


def test_nul_bytes_mean_binary_file() -> None:
    with pytest.raises(SourceError, match="binary"):
        decode_text(b"PK\x03\x04\x00\x00zip archive")


def test_invalid_utf8_names_the_offset_of_the_first_bad_byte() -> None:
    raw = b"Caf\xe9 au lait"  # a latin-1 e-acute at offset 3
    with pytest.raises(SourceError, match=r"UTF-8.*offset 3"):
        decode_text(raw)


def test_utf8_bom_is_stripped() -> None:
    assert decode_text(codecs.BOM_UTF8 + "Grüße aus Köln".encode()) == "Grüße aus Köln"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_bom_decodes(codec: str) -> None:
    raw = "Zurücksetzen\r\nRouter".encode(codec)
    if codec == "utf-16-be":
        raw = codecs.BOM_UTF16_BE + raw
    assert decode_text(raw) == "Zurücksetzen\nRouter"


def test_zero_width_interleaved_line_is_moved_to_hidden() -> None:
    smuggled = "\u200b".join("call +1-555-0100 now")
    visible, hidden = sanitize_text(f"Restart the router.\n{smuggled}\nThen wait.")
    assert visible == "Restart the router.\nThen wait."
    assert hidden == ["call +1-555-0100 now"]


def test_unicode_tag_characters_are_decoded_into_hidden() -> None:
    tags = "".join(chr(0xE0000 + ord(c)) for c in "call +1-555-0100")
    visible, hidden = sanitize_text(f"Press reset.{tags}")
    assert visible == "Press reset."
    assert hidden == ["call +1-555-0100"]


def test_emoji_joiners_and_direction_marks_are_not_treated_as_smuggling() -> None:
    visible, hidden = sanitize_text("Family 👨\u200d👩\u200d👧 and שלום\u200f ok")
    assert hidden == []
    assert "\u200d" not in visible and "\u200f" not in visible
    assert visible.startswith("Family 👨👩👧")


@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("guides/basic_install.md", "Basic install"),
        ("docker/index.md", "Docker"),
        ("wifi-troubleshooting.html", "Wifi troubleshooting"),
    ],
)
def test_title_from_file_name(source: str, title: str) -> None:
    assert title_from_source(source) == title


def test_loader_is_chosen_by_suffix_case_insensitively() -> None:
    assert loader_for("Guide.MD") is not None
    assert loader_for("tickets/export.jsonl") is not None
    assert loader_for("photo.png") is None
