"""Where lines may break in Khmer text, in the PDF and in LibreOffice's reading of the DOCX.

No line may start with ៗ, ។, ៕, ៖ or a dependent sign, split ។ល។ or a number grouped with
spaces (១០ ០០០), or end inside a kept word. Lines are read back from rendered PDFs, at
several column widths, and each check is shown able to fail on text prepared without the
remedy.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES, write_source
from helpers_docx import LIBREOFFICE, convert_to_pdf, fontconfig_without_khmer
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from system_tools import run_tool

from pipeline import khmer
from pipeline.errors import SetupError
from pipeline.khmer import (
    NBSP,
    WORD_JOINER,
    ZWSP,
    bind_marks,
    insert_word_breaks,
    join_for_word_processors,
    keep_last_words_together,
    read_word_list,
)
from pipeline.render_pdf import _weasyprint

PROSE = FIXTURES / "khmer-prose.yaml"
WIDTHS_MM = (28, 37, 46, 61)
# Characters no line may start with: dependent vowels and signs, the coeng, ។ ៕ ៖ ៗ.
NO_LINE_START = frozenset(chr(c) for c in (*range(0x17B4, 0x17D8), 0x17DD))
DIGITS = frozenset("0123456789០១២៣៤៥៦៧៨៩")
INVISIBLE = " " + NBSP + ZWSP + WORD_JOINER


# --- the prepared text -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("តម្លៃ ១០ ០០០រៀល", "តម្លៃ ១០_០០០រៀល"),
    ("750 000 ដុល្លារ និង 1 500 000", "750_000 ដុល្លារ និង 1_500_000"),
    ("ផ្សេង ៗ ជំនាញ ។ ម្នាស់ ។ល។ ភ្នំពេញ ៖ ចប់ ៕", "ផ្សេង_ៗ ជំនាញ_។ ម្នាស់_។ល។ ភ្នំពេញ_៖ ចប់_៕"),
    # not grouped thousands: years side by side, a range, a lone digit before a word
    ("2024 2025, 2 3 ឆ្នាំ, 12 1234", "2024 2025, 2 3 ឆ្នាំ, 12 1234"),
    ("ឆ្នាំ ២០២៤ ២០២៥", "ឆ្នាំ ២០២៤ ២០២៥"),
])
def test_spaces_that_must_not_break_become_no_break_spaces(text, expected):
    assert bind_marks(text).replace(NBSP, "_") == expected


def test_kept_words_are_never_split_and_the_shipped_list_is_used():
    assert khmer.kept_words()[:2] == ("របាយការណ៍", "ផលប្រយោជន៍")
    for text, icu in (("ពួកគេផ្ញើរបាយការណ៍ជាមួយ", "ពួកគេ|ផ្ញើរ|បាយ|ការណ៍|ជាមួយ"),
                      ("ពួកគេបានផលប្រយោជន៍ច្រើន", "ពួកគេ|បានផល|ប្រយោជន៍|ច្រើន")):
        # the control: ICU alone splits them
        assert insert_word_breaks(text, words=()).replace(ZWSP, "|") == icu
        kept = insert_word_breaks(text)
        assert kept.count(ZWSP) == 2
        assert kept.replace(ZWSP, "") == text
    assert insert_word_breaks("ផ្ញើរបាយការណ៍").replace(ZWSP, "|") == "ផ្ញើរបាយការណ៍"


def test_the_office_word_list_adds_to_the_shipped_one(tmp_path, monkeypatch):
    office = tmp_path / "words.txt"
    office.write_text("# our words\nជួបប្រជុំ  # meeting\n\n", encoding="utf-8")
    monkeypatch.setattr(khmer, "OFFICE_WORDS", office)
    khmer.kept_words.cache_clear()
    try:
        assert khmer.kept_words()[-1] == "ជួបប្រជុំ"
        assert insert_word_breaks("ពួកគេជួបប្រជុំ") == "ពួកគេ" + ZWSP + "ជួបប្រជុំ"
    finally:
        monkeypatch.undo()
        khmer.kept_words.cache_clear()
    assert insert_word_breaks("ពួកគេជួបប្រជុំ").count(ZWSP) == 2


def test_a_word_list_line_that_is_not_one_word_is_refused(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("របាយការណ៍\nជួប ប្រជុំ\n", encoding="utf-8")
    with pytest.raises(SetupError) as raised:
        read_word_list(words)
    assert str(raised.value) == ("words.txt:2: 'ជួប ប្រជុំ' is not one Khmer word; write one "
                                 "word a line, without spaces")
    assert read_word_list(tmp_path / "missing.txt") == ()


def test_word_processors_get_joiners_where_the_pdf_does_not_break():
    prepared = insert_word_breaks(bind_marks("ការងារផ្សេងៗ និងធំ ៗ ១០ ០០០រៀល ផ្ញើរបាយការណ៍។"))
    joined = join_for_word_processors(prepared)
    shown = joined.replace(ZWSP, "|").replace(NBSP, "_").replace(WORD_JOINER, "^")
    assert shown == "ការងារ|ផ្សេង^ៗ និង|ធំ^_^ៗ ១០^_^០០០រៀល ផ្ញើរ^បាយ^ការណ៍។"
    assert joined.replace(WORD_JOINER, "") == prepared
    assert join_for_word_processors("Account Manager: 10 000 $") == "Account Manager: 10 000 $"


WORDS = st.sampled_from([
    "អ្នកគ្រប់គ្រង", "គណនី", "គឺជា", "អ្នកជំនាញ", "ដែល", "ទទួលខុសត្រូវ", "ក្នុង", "ការកសាង",
    "និង", "រក្សា", "ទំនាក់ទំនង", "រវាង", "ក្រុមហ៊ុន", "អតិថិជន", "របស់", "ខ្លួន", "ផ្សេង",
    "របាយការណ៍", "ផលប្រយោជន៍", "បណ្ដុះបណ្ដាល", "ស្ត្រី", "ដ៏ល្អ", "ម៉ាណែត", "Excel",
    # numbers end with a word or a sign: two numbers side by side may break between them
    "១០ ០០០រៀល", "750 000 ដុល្លារ", "២៥ នាក់", "1 500 000$", "២ ទៅ ៣ ឆ្នាំ",
])
# What may follow a word: nothing, or a mark that belongs to it, typed with or without a space.
MARKS = st.sampled_from(["", "", "", "ៗ", " ៗ", "។", " ។", "៖", " ៖", "។ល។", " ។ល។", "៕",
                         "ៗ។", "ៗ ។"])
TOKEN = st.tuples(WORDS, MARKS, st.sampled_from(["", " ", " "])).map("".join)
PROSE_TEXT = st.lists(TOKEN, min_size=10, max_size=40).map("".join)
# A paragraph starts with a word: a mark or a space at the very start is not a line start
# the build can do anything about.
PARAGRAPH = PROSE_TEXT.map(lambda text: "ការងារ" + text.strip())


@settings(max_examples=100, deadline=None)
@given(PROSE_TEXT)
def test_word_processor_joiners_only_add_joiners(text):
    prepared = insert_word_breaks(bind_marks(text))
    assert join_for_word_processors(prepared).replace(WORD_JOINER, "") == \
        prepared.replace(WORD_JOINER, "")


# --- the PDF ---------------------------------------------------------------------------------


def _pdf_lines(paragraphs: list[str], tmp_path) -> list[list[str]]:
    """Render each prepared paragraph at every width; return the PDF's lines, per column."""
    weasyprint, font_config = _weasyprint()
    body = "".join(
        f'<p style="width:{width}mm">{paragraph}</p><p>@@</p>'
        for paragraph in paragraphs for width in WIDTHS_MM)
    html = ('<html lang="km"><body style="margin:0; font: 11pt/1.65 \'Noto Sans Khmer\', '
            f"'Noto Sans'\">{body}</body></html>")
    pdf = tmp_path / "lines.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf, font_config=font_config)
    text = run_tool("pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-")
    columns, lines = [], []
    for line in text.replace("\f", "\n").splitlines():
        if line.strip() == "@@":
            columns.append(lines)
            lines = []
        elif line.strip(INVISIBLE):
            lines.append(line)
    return columns


def _bad_breaks(columns: list[list[str]]) -> list[str]:
    """Return each line start that breaks a rule, with the end of the line before it."""
    bad = []
    for lines in columns:
        for before, line in zip(lines, lines[1:], strict=False):
            start, end = line.lstrip(INVISIBLE), before.rstrip(INVISIBLE)
            # The texts tested never put two numbers side by side: a line that ends with a
            # digit and a line that starts with one are a number split at its space.
            split_number = end[-1:] in DIGITS and start[:1] in DIGITS
            if start[:1] in NO_LINE_START or start.startswith("ល។") or split_number:
                bad.append(f"{end[-8:]} | {start[:8]}")
    return bad


def _prepared(text: str) -> str:
    return keep_last_words_together(insert_word_breaks(bind_marks(text)))


@pytest.mark.needs("pdftotext")
def test_the_line_checks_can_fail(tmp_path):
    """Prove the checks below can fail: without the no-break spaces and the joiner, lines
    start with ៗ, ។ and ល។ and numbers split."""
    sentence = "ពួកគេធ្វើការងារផ្សេង ៗ ជាមួយក្រុមហ៊ុន ។ ចំណាយ ១០ ០០០ រៀល ម្នាស់។ល។"
    words = sentence.split(" ")
    texts = [" ".join((words * 6)[start:start + 40]) for start in range(len(words))]
    unprotected = [insert_word_breaks(text).replace(WORD_JOINER, "") for text in texts]
    bad = " ".join(_bad_breaks(_pdf_lines(unprotected, tmp_path)))
    assert "| ៗ" in bad and "| ។" in bad and "| ល។" in bad and "០ | ០" in bad
    assert _bad_breaks(_pdf_lines([_prepared(text) for text in texts], tmp_path)) == []


@pytest.mark.needs("pdftotext")
# No shrinking: each example renders a PDF, and a failure prints its paragraphs anyway.
@settings(max_examples=15, deadline=None,
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(st.lists(PARAGRAPH, min_size=1, max_size=3))
def test_random_khmer_prose_never_breaks_a_line_badly(tmp_path_factory, paragraphs):
    columns = _pdf_lines([_prepared(p) for p in paragraphs], tmp_path_factory.mktemp("pdf"))
    assert len(columns) == len(paragraphs) * len(WIDTHS_MM)
    assert _bad_breaks(columns) == []


@pytest.mark.needs("pdftotext")
def test_real_prose_breaks_well_at_every_width(tmp_path):
    import yaml

    data = yaml.safe_load(PROSE.read_text(encoding="utf-8"))
    paragraphs = [*data["introduction"], *data["career_path"], *data["tips"]]
    columns = _pdf_lines([_prepared(p) for p in paragraphs], tmp_path)
    assert sum(map(len, columns)) > 100
    assert _bad_breaks(columns) == []


# --- lint on correct prose -------------------------------------------------------------------


def test_correct_published_khmer_passes_a_strict_check(capsys):
    from pipeline.__main__ import main

    text = PROSE.read_text(encoding="utf-8")
    # What the fixture is there for: the spellings and spacings that used to be flagged.
    for sample in ("្ដ", "ជូនដំណឹង", " ។", " ៖", "១០ ០០០រៀល", "។ល។", "ផ្សេង ៗ"):
        assert sample in text
    assert main(["check", "--strict", str(PROSE)]) == 0
    assert capsys.readouterr().err == ""


# --- LibreOffice, which breaks Khmer by its own dictionary -----------------------------------


@pytest.mark.needs(*LIBREOFFICE, "pdftotext")
def test_libreoffice_starts_no_line_with_a_mark_of_the_word_before(tmp_path, monkeypatch):
    """Convert a DOCX full of ៗ, ។ល។, grouped numbers and kept words with LibreOffice, with and
    without the joiners (the control), and read the lines back."""
    from pipeline import render_docx
    from pipeline.build import build
    from pipeline.config import load_settings

    # Tips that start at different words, so that line ends fall in different places: with
    # these, LibreOffice without the joiners starts a line with ៗ (the control below).
    sentence = ("ពួកគេធ្វើការងារផ្សេងៗ ជាមួយក្រុមហ៊ុនធំ ៗ និងតូចៗ ចំណាយ ១០ ០០០រៀល ផ្លែឈើ ចេក "
                "ស្វាយ ម្នាស់ ។ល។ ផ្ញើរបាយការណ៍ បានផលប្រយោជន៍")
    unit = sentence.split(" ")
    # Tips start at every word but the marks: a tip that begins with ៗ is the writer's doing.
    tips = [" ".join((unit * 4)[start:start + 30]) for start in range(18)
            if unit[start % len(unit)] not in ("ៗ", "។ល។")]
    source = write_source(tmp_path, {"tips": tips, "page_budget": 4, "digits": "khmer"})
    files = []
    # Two page sizes, so that the lines fall differently whatever the theme's type sizes.
    for size in ("A4", "A5"):
        for name, join in (("joined", join_for_word_processors),
                           ("control", lambda text: text)):
            monkeypatch.setattr(render_docx.writer, "join_for_word_processors", join)
            out = tmp_path / f"{name}-{size}"
            report = build([source], "docx", load_settings(page_size=size), out)
            assert not report.failed, [str(d) for d in report.diagnostics]
            files.append(tmp_path / f"{name}-{size}.docx")
            files[-1].write_bytes((out / "docx" / f"{source.stem}.docx").read_bytes())
    results = convert_to_pdf(files, fontconfig_without_khmer(tmp_path))
    starts: dict[str, list[str]] = {"joined": [], "control": []}
    for file, (pdf, _) in results.items():
        text = run_tool("pdftotext", str(pdf), "-")
        starts[file.stem.split("-")[0]] += [line.strip()[:2] for line in text.splitlines()
                                            if line.strip()]
    assert "ៗ" in {start[:1] for start in starts["control"]}
    assert not {start[:1] for start in starts["joined"]} & {"ៗ", "។", "៖"}
    assert "ល។" not in starts["joined"]

