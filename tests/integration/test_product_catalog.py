"""The product catalog inferred at ingest, with no products.toml and no `product:` field:
`supportbot products` lists what it found and why, and a question naming one model is
answered from that model's manual although its siblings' manuals say nearly the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.doors.cli import main

pytestmark = pytest.mark.slow

# Model, reset hold time (s), maximum set point (degrees C), battery life (months).
_MODELS = (("WT-310", 4, 28, 12), ("WT-320", 9, 30, 18), ("WT-330", 15, 32, 24))

_BODY = """## Installation

### Mounting the thermostat

Remove the back plate of the {m} and screw it to the wall at about 1.5 m above the floor,
away from radiators, windows and direct sunlight. Connect the two heating wires to the
terminals marked W and C, then clip the {m} onto the plate until it clicks.

### Batteries

The {m} runs on two AA batteries that last about {b} months. The battery symbol blinks when
fewer than two weeks remain; replace both batteries at the same time.

## Settings

### Set point range

You can set the target temperature on the {m} between 5 and {t} degrees C in steps of half a
degree. Turn the dial to change it; the new set point is shown for three seconds.

### Schedules

Open the app, choose Schedules and add a period with a start time and a temperature. Up to
six periods a day are supported, and each weekday can have its own schedule.

## Troubleshooting

### Factory reset

To restore the factory settings of the {m}, press and hold the dial for {r} seconds until the
display shows RESET. Schedules, the Wi-Fi network and the set points are erased.

### No heating

Check that the boiler has power and that the wires sit firmly in the W and C terminals. If
the display is blank, replace the batteries first.
"""


def _write_siblings(root: Path) -> None:
    """Three sibling manuals, each naming its model a different way: a Markdown title, a
    plain first line, and a folder."""
    (root / "manuals" / "wt-330").mkdir(parents=True)
    for model, reset, top, battery in _MODELS:
        body = _BODY.format(m=model, r=reset, t=top, b=battery)
        if model == "WT-310":
            path, text = root / "manuals" / "wt-310-manual.md", f"# {model} User Manual\n\n{body}"
        elif model == "WT-320":
            path = root / "manuals" / "wt320-guide.md"
            text = f"Wrenfield {model} Thermostat User Manual\n\n{body}"
        else:
            path, text = root / "manuals" / "wt-330" / "guide.md", f"# Thermostat guide\n\n{body}"
        path.write_text(text, encoding="utf-8")


def _last_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return parsed


def test_products_inferred_listed_and_used_to_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    _write_siblings(corpus)
    assert main(["ingest", str(corpus)]) == 0
    capsys.readouterr()

    assert main(["products", "--json"]) == 0
    listing = _last_json(capsys)
    products = {p["id"]: p for p in listing["products"]}
    assert sorted(products) == ["WT-310", "WT-320", "WT-330"]
    kinds = {p: {e["kind"] for e in products[p]["evidence"]} for p in products}
    assert "title" in kinds["WT-310"] and "title line" in kinds["WT-320"]
    assert kinds["WT-330"] == {"folder"}
    assert products["WT-320"]["documents"] == ["manuals/wt320-guide.md"]
    [family] = listing["families"]
    assert sorted(family["products"]) == ["WT-310", "WT-320", "WT-330"]
    assert len(family["documents"]) == 3
    assert all(products[p]["family"] == family["id"] for p in products)

    assert main(["ask", "How long do I hold the dial to factory reset my wt320?", "--json"]) == 0
    answer = _last_json(capsys)
    assert answer["kind"] == "answer"
    assert "9 seconds" in answer["text"]
    sources = {c["source"] for c in answer["citations"]}
    assert sources == {"manuals/wt320-guide.md"}

    # Without a model named, the answer depends on which one: the bot asks.
    assert main(["ask", "How long do I hold the dial for a factory reset?", "--json"]) == 0
    assert _last_json(capsys)["kind"] == "clarify"


def test_the_catalog_follows_the_index_incrementally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    _write_siblings(corpus)
    assert main(["ingest", str(corpus), "--json"]) == 0
    assert main(["ingest", str(corpus), "--json"]) == 0
    again = _last_json(capsys)
    assert again["unchanged"] == 3 and again["added"] == again["updated"] == 0

    (corpus / "manuals" / "wt-310-manual.md").unlink()
    assert main(["ingest", str(corpus)]) == 0
    capsys.readouterr()
    assert main(["products", "--json"]) == 0
    assert [p["id"] for p in _last_json(capsys)["products"]] == ["WT-320", "WT-330"]


@pytest.mark.parametrize(
    "files",
    [
        {},  # an empty corpus
        {"notes.md": "Plain text without a single heading. Restart the device to fix it."},
        {"kb/only.md": "# Restarting\n\nHold the power button for five seconds to restart."},
    ],
    ids=["empty", "no-headings", "single-document"],
)
def test_small_corpora_ingest_list_and_answer_without_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    assert main(["ingest", str(corpus)]) == 0
    capsys.readouterr()
    assert main(["products", "--json"]) == 0
    assert _last_json(capsys) == {"products": [], "families": []}
    if files:
        assert main(["ask", "How do I restart it?", "--json"]) == 0
        assert _last_json(capsys)["kind"] in ("answer", "abstain")
