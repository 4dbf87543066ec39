"""Products inferred from a corpus: model codes and their spellings, title and file-name
evidence, and near-duplicate families. No products.toml anywhere here."""

from __future__ import annotations

from app.ground.model_codes import FoundCode, codes_in_name, codes_in_title, spellings
from app.ground.near_duplicates import families, signature
from app.ground.products import ProductCatalog
from ingest.document import Block, DocType, ParsedDocument
from ingest.product_evidence import document_evidence


def _codes(found: list[FoundCode]) -> list[str]:
    return [f.code for f in found]


def test_a_model_code_is_recognised_in_every_usual_spelling() -> None:
    catalog = ProductCatalog()
    assert catalog.register("LR-200", ["Larkspur LR-200"]) == "LR-200"
    for question in ("reset my LR-200", "reset my lr200", "reset my LR 200", "my Lr_200 is off"):
        assert catalog.detect(question) == "LR-200", question
    assert catalog.detect("reset my LR-2000") is None  # a longer code is another model
    assert spellings("LR-200") == ["LR-200", "LR200", "LR 200", "lr-200", "lr200", "lr 200"]


def test_a_name_phrase_and_the_bare_code_both_name_the_model() -> None:
    [found] = codes_in_title("Samsung Galaxy S10 User Manual")
    assert (found.code, found.phrase) == ("S10", "Samsung Galaxy S10")
    catalog = ProductCatalog()
    catalog.register(found.code, [found.phrase, "Galaxy S10"])
    assert catalog.detect("... (I have a Galaxy S10.)") == "S10"
    assert catalog.detect("my s10 will not charge") == "S10"
    assert catalog.detect("my S10e will not charge") is None


def test_codes_in_titles_need_capitals_and_skip_ordinary_technical_words() -> None:
    assert _codes(codes_in_title("LX-1400P User Manual | Larkspur Support")) == ["LX-1400P"]
    assert _codes(codes_in_title("SM-G973F and RT-AX88U release notes")) == [
        "SM-G973F",
        "RT-AX88U",
    ]
    assert _codes(codes_in_title("LR-400 Firmware Upgrade Fails")) == ["LR-400"]
    for title in ("Configuring IPv6 on Windows10", "Wi-Fi 6 setup", "802.11ax roaming"):
        assert codes_in_title(title) == [], title


def test_codes_in_file_and_folder_names() -> None:
    assert _codes(codes_in_name("galaxy-s10-manual")) == ["S10"]
    assert codes_in_name("galaxy-s10-manual")[0].phrase == "Galaxy S10"
    assert _codes(codes_in_name("lx-1400")) == ["LX-1400"]
    assert _codes(codes_in_name("lx_1400p_user_manual")) == ["LX-1400P"]
    assert _codes(codes_in_name("la-6-pro-installation-guide")) == ["LA-6 Pro"]
    for name in ("step-2-configure", "tickets-2025", "kb-2025", "articles", "page-10"):
        assert codes_in_name(name) == [], name


def _manual(title: str, body: str, product: str | None = None) -> ParsedDocument:
    blocks = [Block(text, (title,)) for text in body.split("\n\n")]
    return ParsedDocument(title, DocType.MANUAL, blocks, product=product)


def test_title_evidence_and_the_strongest_first() -> None:
    document = _manual("LX-1400 Switch Manual", "The LX-1400 has 10 ports.\n\nReset the LX-1400.")
    evidence = document_evidence(document, "manuals/lx-1400.md")
    assert [(e.kind, e.product) for e in evidence] == [
        ("title", "LX-1400"),  # the manual calls it "the LX-1400": "Switch" is not the model
        ("file name", "LX-1400"),
    ]
    explicit = _manual("Guide", "Some text.", product="LR-200")
    assert [(e.kind, e.product) for e in document_evidence(explicit, "a/b.md")] == [
        ("front matter", "LR-200")
    ]


def test_variant_words_count_when_the_document_uses_them() -> None:
    document = _manual(
        "LA-6 Pro Installation Guide",
        "Mount the LA-6 Pro on the plate.\n\nThe LA-6 Pro needs PoE+; the LA-6 does not.",
    )
    assert document_evidence(document, "guide.md")[0].product == "LA-6 Pro"


def test_a_plain_first_line_is_read_as_the_title() -> None:
    document = ParsedDocument(
        title="Galaxy s10 manual",  # what the loader makes of the file name
        doc_type=DocType.MANUAL,
        blocks=[Block("Samsung Galaxy S10 User Manual"), Block("Charge the phone first.")],
    )
    kinds = {(e.kind, e.product) for e in document_evidence(document, "galaxy-s10-manual.md")}
    assert ("title line", "S10") in kinds and ("file name", "S10") in kinds


def test_tickets_name_products_only_by_their_field() -> None:
    ticket = ParsedDocument(
        title="my XR-9 and ZZ-1 are broken",
        doc_type=DocType.TICKET,
        blocks=[Block("help")],
        product="XR-9",
    )
    assert [(e.kind, e.product) for e in document_evidence(ticket, "t.csv")] == [
        ("ticket field", "XR-9")
    ]


_MANUAL = (
    "This manual explains how to install and manage the {m} switch with {n} ports. "
    "Mount it in a rack with the supplied brackets and connect the power cord. "
    "To reset the {m} to factory settings, hold the reset button for {s} seconds until the "
    "status light blinks. The web interface is reached at the address printed on the label. "
    "Update the firmware from the maintenance page and never remove power while it writes. "
    "The warranty lasts {w} years from the date of purchase."
)


def test_sibling_manuals_form_one_family_and_unrelated_text_does_not_join() -> None:
    signatures = {
        f"m{i}": signature(_MANUAL.format(m=f"QX-{i}00", n=4 * i, s=5 + i, w=i))
        for i in range(1, 4)
    }
    signatures["other"] = signature(
        "Billing questions go to the accounts team. Invoices are sent on the first working "
        "day of each month by email, and a copy is kept in the customer portal under "
        "Documents. To change the card on file, open Payment methods and add a new card "
        "before you remove the old one; a refund takes five to ten working days to appear."
    )
    assert all(s is not None for s in signatures.values())
    assert families({k: v for k, v in signatures.items() if v is not None}) == [
        (["m1", "m2", "m3"], 1.0)
    ]
    assert signature("too short to compare") is None


def test_kb_articles_and_tickets_make_no_products_from_their_titles() -> None:
    article = ParsedDocument(
        "Firmware update fails with E-17", DocType.KB, [Block("Retry the update.")]
    )
    assert document_evidence(article, "kb/articles.json") == []
