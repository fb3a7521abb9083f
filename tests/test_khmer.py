"""Khmer word breaks: where U+200B goes, and that lines really break there in the PDF."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import TEMPLATES_DIR
from pipeline.khmer import (
    ZWSP,
    insert_word_breaks,
    is_khmer,
    script_runs,
    to_khmer_digits,
)
from pipeline.render_pdf import _weasyprint

INTRO = ("អ្នកគ្រប់គ្រងគណនីគឺជាអ្នកជំនាញដែលទទួលខុសត្រូវក្នុងការកសាង និងរក្សាទំនាក់ទំនងរវាង"
         "ក្រុមហ៊ុន និងអតិថិជនរបស់ខ្លួន។ ពួកគេដើរតួជាចំណុចសំខាន់នៃទំនាក់ទំនងសម្រាប់អតិថិជន "
         "និងធានាថាតម្រូវការរបស់ពួកគេត្រូវបានបំពេញ ខណៈពេលដែលកំពុងធ្វើការដើម្បីបំពេញគោលដៅ "
         "និងគោលបំណងរបស់ក្រុមហ៊ុនផងដែរ។")
NO_SPACES = INTRO.replace(" ", "")
# Characters a line may not start with: dependent vowels, signs, coeng, and ។ ៕ ៖ ៗ.
NO_LINE_START = {chr(c) for c in (*range(0x17B4, 0x17D8), 0x17DD)}


def test_breaks_between_words():
    assert insert_word_breaks("អ្នកគ្រប់គ្រងគណនីគឺជា") == f"អ្នកគ្រប់គ្រង{ZWSP}គណនី{ZWSP}គឺជា"


@pytest.mark.parametrize("text", [
    "https://www.payscale.com/research/US/Job=Account_Manager/Salary",
    "Account Manager: Job Description & Career Requirements",
    "$43,000 – $95,000", "2-3 ឆ្នាំ",
])
def test_leaves_latin_text_and_urls_alone(text):
    assert insert_word_breaks(text) == text


@pytest.mark.parametrize("text", [INTRO, NO_SPACES, "កំពូលៗ សហការី។ជំនាញ ភាពអាចសម្របខ្លួនបាន"])
def test_never_breaks_inside_a_cluster_or_before_trailing_marks(text):
    result = insert_word_breaks(text)
    assert result.replace(ZWSP, "") == text
    for index, char in enumerate(result):
        if char == ZWSP:
            assert is_khmer(result[index - 1]) and result[index + 1] not in NO_LINE_START
            assert result[index - 1] != "\u17d2"  # never between a coeng and its consonant


def test_is_idempotent_and_ignores_zwsp_already_typed():
    once = insert_word_breaks(NO_SPACES)
    assert insert_word_breaks(once) == once
    assert insert_word_breaks("គណ\u200bនី") == "គណនី"


def test_script_runs_keep_spaces_with_the_run_before():
    assert script_runs("ពី $43,000 ដល់") == [("ពី ", True), ("$43,000 ", False), ("ដល់", True)]


def test_khmer_digits():
    assert to_khmer_digits("$43,000 2-3") == "$៤៣,០០០ ២-៣"


def _lines(text: str, width_mm: float):
    """Lay out text in a narrow column with our fonts; return (column width, lines)."""
    from weasyprint.formatting_structure import boxes

    weasyprint, font_config = _weasyprint()
    html = (f'<html lang="km"><body style="margin:0; font: 11pt/1.65 \'Noto Sans Khmer\'">'
            f'<link rel="stylesheet" href="handout.css">'
            f'<p style="width:{width_mm}mm; margin:0">{text}</p></body></html>')
    document = weasyprint.HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/").render(
        font_config=font_config)
    lines = []
    column = None
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.BlockBox) and box.element_tag == "p":
                column = (box.content_box_x(), box.width)
            if isinstance(box, boxes.LineBox):
                texts = [t for t in box.descendants() if isinstance(t, boxes.TextBox)]
                right = max(t.position_x + t.width for t in texts)
                lines.append(("".join(t.text for t in texts), right))
    return column, lines


@pytest.mark.parametrize("text", [INTRO, NO_SPACES])
def test_lines_fit_a_narrow_column_and_break_between_words(text):
    prepared = insert_word_breaks(text)
    (left, width), lines = _lines(prepared, 40)
    assert len(lines) > 5
    for line, right in lines:
        assert right <= left + width + 0.01, f"line overflows the 40 mm column: {line}"
    # Each line ends where the prepared text has a space or an inserted word break.
    position = 0
    for line, _ in lines[:-1]:
        shown = line.rstrip(" " + ZWSP)
        position = prepared.index(shown, position) + len(shown)
        assert prepared[position] in (" ", ZWSP), f"break inside a word after: {shown}"
        assert prepared[position + 1] not in NO_LINE_START


def test_without_word_breaks_khmer_breaks_inside_words():
    """Prove that the check above can fail: Pango alone finds no Khmer word boundaries, so
    the lines overflow or (with overflow-wrap: break-word) end inside words."""
    (left, width), lines = _lines(NO_SPACES, 40)
    boundaries, count = set(), 0
    for char in insert_word_breaks(NO_SPACES):
        if char == ZWSP:
            boundaries.add(count)
        else:
            count += 1
    ends, position = [], 0
    for line, _ in lines[:-1]:
        position += len(line.replace(ZWSP, ""))
        ends.append(position)
    overflows = max(right for _, right in lines) > left + width
    assert overflows or any(end not in boundaries for end in ends)


def test_da_leans_on_the_next_word():
    # ដ៏ ("which is") before an adjective never ends a line: ទំនាក់ទំនង​ដ៏ល្អ, not ដ៏​ល្អ.
    assert "ដ៏\u200b" not in insert_word_breaks("ជំនាញទំនាក់ទំនងដ៏ល្អ និងដ៏សំខាន់")
    assert "ដ៏ល្អ" in insert_word_breaks("ជំនាញទំនាក់ទំនងដ៏ល្អ")


def test_keep_last_words_together_drops_only_the_last_break():
    from pipeline.khmer import keep_last_words_together

    assert keep_last_words_together("ក\u200bខ\u200bគ។") == "ក\u200bខគ។"
    assert keep_last_words_together("ក\u200bខ end") == "ក\u200bខ end"  # a space follows
    assert keep_last_words_together("no breaks") == "no breaks"


@pytest.mark.parametrize(("text", "expected"), [
    # never between a coeng and its consonant: ហ្វ្|រី printed a full-size រ
    ("ហ្វ្រីឡែន", "ហ្វ្រី|ឡែន"),
    ("ស្ត្រេស", "ស្ត្រេស"),
    # a lone final consonant stays with its syllable (ICU: ម៉ា|ណែ|ត)
    ("ម៉ាណែត", "ម៉ា|ណែត"),
    ("ស្មាតហ្វូន", "ស្មាត|ហ្វូន"),
    # ៗ repeats the word before it, which ICU misreads (កំ|ពូលៗ)
    ("កំពូលៗ", "កំពូលៗ"),
    ("ក្រុមហ៊ុនធំៗ", "ក្រុមហ៊ុន|ធំៗ"),
    ("បុរសៗនិងស្ត្រី", "បុរសៗ|និង|ស្ត្រី"),
    # ។ល។ ("etc.") is one sign, joined: Pango breaks after ។ on its own
    ("ម្នាស់។ល។ និងបន្លែ", "ម្នាស់។\u2060ល។ និង|បន្លែ"),
])
def test_word_breaks_fall_between_syllables(text, expected):
    assert insert_word_breaks(text).replace(ZWSP, "|") == expected


KHMER_TEXT = st.text(st.sampled_from([chr(c) for c in range(0x1780, 0x17DE)] + [" ", "ៗ"]),
                     min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(KHMER_TEXT)
def test_no_word_break_inside_a_cluster(text):
    prepared = insert_word_breaks(text)
    assert prepared.replace(ZWSP, "").replace("។\u2060ល។", "។ល។") == text
    for index, char in enumerate(prepared):
        if char == ZWSP:
            assert prepared[index - 1] != "\u17d2", prepared  # after a coeng
            assert prepared[index + 1] not in NO_LINE_START, prepared


def test_no_line_starts_with_the_repetition_sign():
    from pipeline.khmer import bind_marks

    text = "ពួកគេធ្វើការងារផ្សេង ៗ ជាមួយក្រុមហ៊ុនធំ ៗ និងតូច ៗ " * 12

    def line_starts(prepared: str) -> list[str]:
        _, lines = _lines(prepared, 40)
        return [line.lstrip(" \u00a0" + ZWSP)[:1] for line, _ in lines[1:]]

    # The control: with a plain space before ៗ, some lines do start with it.
    assert "ៗ" in line_starts(insert_word_breaks(text))
    assert "ៗ" not in line_starts(insert_word_breaks(bind_marks(text)))
