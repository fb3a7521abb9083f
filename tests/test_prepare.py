"""The Document both renderers draw: figures, facts and word breaks."""

from __future__ import annotations

import pytest
from conftest import SHIPPED_SOURCE

from pipeline.config import load_settings
from pipeline.khmer import ZWSP, insert_word_breaks, keep_last_words_together
from pipeline.load import load_source
from pipeline.prepare import format_figure, prepare
from pipeline.validate import validate_sources


def _document(source=SHIPPED_SOURCE):
    handouts, diagnostics = validate_sources([load_source(source, source.name)])
    assert handouts, [str(d) for d in diagnostics]
    return prepare(handouts[0], load_settings())


def test_every_text_the_reader_sees_carries_its_word_breaks():
    # The quick facts and citations once skipped this and reached Word with none.
    doc = _document()
    from_config = {doc.organisation, doc.page_label}  # set in footers as one line
    unbroken = [text for text in doc.texts() if text not in from_config
                and text not in (insert_word_breaks(text),
                                 keep_last_words_together(insert_word_breaks(text)))]
    assert unbroken == []
    average = doc.facts[1]
    assert (average.label, average.value) == ("ប្រាក់ខែ\u200bមធ្យម", "$62,000 ក្នុង\u200bមួយឆ្នាំ")


@pytest.mark.parametrize(("value", "currency", "digits", "expected"), [
    (43000, "USD", "latin", "$43,000"),
    (2000000, "KHR", "latin", "2,000,000៛"),
    (1500.5, "EUR", "latin", "€1,500.50"),
    (43000, "USD", "khmer", "$៤៣,០០០"),
    (900, "SGD", "latin", "900 SGD"),
])
def test_figures_are_written_as_readers_write_them(value, currency, digits, expected):
    assert format_figure(value, currency, digits) == expected
    assert ZWSP not in expected


def test_running_text_keeps_its_last_two_words_on_one_line():
    doc = _document()
    intro = doc.sections[0].blocks[0].paragraphs[0]
    assert intro.endswith("ក្រុមហ៊ុន\u200bផងដែរ។")
    assert insert_word_breaks(intro).endswith("ក្រុមហ៊ុន\u200bផង\u200bដែរ។")
    # Headings, labels and facts are short: they keep every break.
    assert doc.facts[1].value == "$62,000 ក្នុង\u200bមួយឆ្នាំ"


def test_top_earners_are_per_period_like_the_other_figures():
    assert _document().facts[2].value == "$100,000+ ក្នុង\u200bមួយឆ្នាំ"


def test_a_line_break_inside_a_yaml_block_is_a_space(source_copy):
    source = source_copy({"tips": ["ធ្វើការ\nឱ្យ\n  បានល្អ", "Listen\nfirst."]})
    tips = _document(source).sections[4].blocks[0].items
    assert [t.replace(ZWSP, "") for t in tips] == ["ធ្វើការ ឱ្យ បានល្អ", "Listen first."]


def test_every_currency_symbol_is_in_the_bundled_fonts():
    # ฿ was not, and a THB handout passed check, then failed to print.
    from pipeline.fonts import glyph_problems
    from pipeline.prepare import _CURRENCY_SYMBOLS

    assert [symbol for symbol, _ in _CURRENCY_SYMBOLS.values() if glyph_problems(symbol)] == []
    assert format_figure(1200, "THB") == "1,200 THB"


def test_what_a_student_looks_for_is_in_the_quick_facts_when_given(source_copy):
    example = SHIPPED_SOURCE.parent / "software-developer.yaml"
    facts = [(f.label, f.value) for f in _document(example).facts]
    assert facts[-6:] == [
        ("Salary source", "US Bureau of Labor Statistics, 2024"),
        ("Education", "Bachelor's degree in computer science or a related field"),
        ("Experience", "None to enter; a portfolio of projects helps"),
        ("Training", "On the job, alongside experienced developers"),
        ("Job outlook", "Growing much faster than average"),
        ("Updated", "November 2026")]
    assert _document(example).updated == "2026-11"
    # None of them in the seed: no empty rows.
    assert [f.label.replace(ZWSP, "") for f in _document().facts] == [
        "ប្រាក់ខែគោល", "ប្រាក់ខែមធ្យម", "អ្នករកបានខ្ពស់បំផុត", "ប្រទេស"]
    # In a Khmer handout with Khmer digits: Khmer month names and digits.
    khmer = source_copy({"updated": "2026-06-15", "digits": "khmer",
                         "salary": {**_raw(SHIPPED_SOURCE)["salary"], "source": "Glassdoor",
                                    "year": 2025}})
    facts = {f.label.replace(ZWSP, ""): f.value.replace(ZWSP, "") for f in _document(khmer).facts}
    assert facts["ធ្វើបច្ចុប្បន្នភាព"] == "ខែមិថុនា ឆ្នាំ២០២៦"
    assert facts["ប្រភពប្រាក់ខែ"] == "Glassdoor, ២០២៥"


def _raw(path):
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_review_date_is_the_documents_modified_date_in_pdf_and_docx(tmp_path):
    import io

    import docx
    import pypdf

    from pipeline.build import build

    example = SHIPPED_SOURCE.parent / "software-developer.yaml"
    report = build([example], ["pdf", "docx"], load_settings(), tmp_path)
    assert not report.failed, [str(d) for d in report.diagnostics]
    pdf = pypdf.PdfReader(tmp_path / "pdf" / "software-developer.pdf")
    assert pdf.metadata["/ModDate"].startswith("D:202611")
    properties = docx.Document(io.BytesIO(
        (tmp_path / "docx" / "software-developer.docx").read_bytes())).core_properties
    assert (properties.modified.year, properties.modified.month) == (2026, 11)
