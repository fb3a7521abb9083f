"""The fair booklet: structure read back with pypdf, text compared with each handout's PDF."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
from conftest import write_fair_project
from system_tools import run_tool

from pipeline.__main__ import main
from pipeline.build import build
from pipeline.config import load_settings

FAIR = """\
name: ពិព័រណ៍អាជីព
name_other: Career Fair
date: 2027-02-20
venue: ភ្នំពេញ
"""
FOOTER_PT = 17 / 25.4 * 72  # A4's bottom margin, where the running footer is
A4_PT = (595.276, 841.89)
# In Khmer dictionary order; pharmacist and designer take one page, account manager two.
ORDER = ["pharmacist", "account-manager", "designer"]
TITLES = ["ឱសថការី – Pharmacist", "អ្នកគ្រប់គ្រងគណនី – Account Manager",
          "អ្នករចនា – Designer"]
STARTS = [3, 5, 7]  # cover 1, contents 2, blank 4 (left) before the account manager


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Build the single PDFs, the booklet and the press booklet of one fair, once."""
    root = tmp_path_factory.mktemp("fair")
    files = write_fair_project(root)
    (root / "fairs").mkdir()
    (root / "fairs" / "fair.yaml").write_text(FAIR, encoding="utf-8")
    out = root / "out"
    report = build(files, ["pdf", "booklet", "print-booklet"], load_settings(), out)
    assert not report.failed, [str(d) for d in report.diagnostics]
    assert report.finished == ["booklet", "print-booklet"]
    return root, files, out


def text(pdf: Path, page: int, whole: bool = False, top: float = 0, *options: str) -> str:
    """Return a page's text as poppler reads it (ActualText), without the footer."""
    height = A4_PT[1] - top - (0 if whole else FOOTER_PT)
    return run_tool("pdftotext", *options, "-r", "72", "-x", "0", "-y", str(int(top)),
               "-W", str(int(A4_PT[0])), "-H", str(int(height)), "-f", str(page),
               "-l", str(page), str(pdf), "-")


def footer(pdf: Path, page: int) -> str:
    return text(pdf, page, True, A4_PT[1] - FOOTER_PT)


@pytest.mark.needs("pdftotext")
def test_every_handout_starts_on_a_right_hand_page_after_the_cover_and_contents(project):
    _, _, out = project
    reader = pypdf.PdfReader(out / "booklet" / "fair.pdf")
    assert len(reader.pages) == 7
    outline = [item for item in reader.outline if not isinstance(item, list)]
    starts = [reader.get_destination_page_number(item) + 1 for item in outline]
    assert starts == STARTS and all(page % 2 == 1 for page in starts)
    # The only blank page is the left-hand page 4, before a handout.
    blank = [n for n in range(1, 8) if not text(out / "booklet" / "fair.pdf", n, True).strip()]
    assert blank == [4]


def test_one_bookmark_per_handout_with_its_sections_below(project):
    _, _, out = project
    reader = pypdf.PdfReader(out / "booklet" / "fair.pdf")
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == TITLES
    for index, handout_id in enumerate(ORDER):
        children = reader.outline[reader.outline.index(top[index]) + 1]
        own = pypdf.PdfReader(out / "pdf" / f"{handout_id}.pdf")
        own_children = [item.title for item in own.outline[1]]
        assert [item.title for item in children] == own_children
        assert len(own_children) == 6


@pytest.mark.needs("pdftotext")
def test_page_labels_match_the_printed_numbers_in_each_handouts_digits(project):
    _, _, out = project
    booklet = out / "booklet" / "fair.pdf"
    labels = pypdf.PdfReader(booklet).page_labels
    assert labels == ["1", "2", "3", "4", "5", "6", "៧"]
    # The footer prints the same number, and the fair's name instead of the organisation.
    for page in (3, 5, 6, 7):
        printed = footer(booklet, page)
        assert printed.split() == ["ពិព័រណ៍អាជីព", labels[page - 1]]


@pytest.mark.needs("pdftotext")
def test_each_handout_has_the_text_and_line_breaks_of_its_own_pdf(project):
    _, _, out = project
    booklet = out / "booklet" / "fair.pdf"
    for handout_id, start in zip(ORDER, STARTS, strict=True):
        own = out / "pdf" / f"{handout_id}.pdf"
        for page in range(len(pypdf.PdfReader(own).pages)):
            assert text(booklet, start + page) == text(own, page + 1)


@pytest.mark.needs("pdftotext")
def test_cover_and_contents_name_the_fair_and_the_first_pages(project):
    _, _, out = project
    booklet = out / "booklet" / "fair.pdf"
    cover = text(booklet, 1, True)
    for part in ("ពិព័រណ៍អាជីព", "Career Fair", "ថ្ងៃទី២០ ខែកុម្ភៈ ឆ្នាំ២០២៧",
                 "20 February 2027", "ភ្នំពេញ", "Career Guidance Service"):
        assert part in cover
    contents = [line.split() for line in text(booklet, 2, False, 0, "-layout").splitlines()
                if line.strip()]
    assert contents == [["មាតិកា"], ["ឱសថការី", "Pharmacist", "3"],
                        ["អ្នកគ្រប់គ្រងគណនី", "Account", "Manager", "5"],
                        ["អ្នករចនា", "Designer", "7"]]
    assert footer(booklet, 1).split() == []  # no footer on the cover
    assert footer(booklet, 2).split() == ["ពិព័រណ៍អាជីព", "2"]


def test_title_language_and_tags_as_for_single_handouts(project):
    _, _, out = project
    reader = pypdf.PdfReader(out / "booklet" / "fair.pdf")
    assert reader.metadata.title == "ពិព័រណ៍អាជីព – Career Fair"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "km"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()


def test_the_press_booklet_has_bleed_marks_and_a_multiple_of_4_pages(project):
    _, _, out = project
    press = out / "print-booklet" / "fair.pdf"
    reader = pypdf.PdfReader(press)
    assert len(reader.pages) == 8
    assert reader.page_labels == ["1", "2", "3", "4", "5", "6", "៧", "៨"]
    bleed = 3 / 25.4 * 72
    for page in reader.pages:
        trim, box = page.trimbox, page.bleedbox
        assert float(trim.width) == pytest.approx(A4_PT[0], abs=0.1)
        assert float(box.left) == pytest.approx(float(trim.left) - bleed, abs=0.01)
        assert float(page.mediabox.width) > float(box.width)  # room for the crop marks
    # The padding is at the end: the last page is blank (the designer's is page 7).
    assert not pypdf.PdfReader(press).pages[7].extract_text().strip()
    assert [item.title for item in reader.outline if not isinstance(item, list)] == TITLES


@pytest.mark.needs("pdftotext")
def test_rebuilt_only_when_a_handout_or_the_fair_changes(project):
    root, files, out = project
    again = build(files, ["booklet"], load_settings(), out)
    assert (again.finished, again.written) == ([], [])
    fair = root / "fairs" / "fair.yaml"
    fair.write_text(FAIR.replace("ភ្នំពេញ", "សៀមរាប"), encoding="utf-8")
    try:
        changed = build(files, ["booklet"], load_settings(), out)
        assert changed.finished == ["booklet"]
        assert "សៀមរាប" in text(out / "booklet" / "fair.pdf", 1, True)
    finally:
        fair.write_text(FAIR, encoding="utf-8")


def test_a_fair_with_mistakes_is_reported_and_nothing_is_written(tmp_path, monkeypatch,
                                                                 capsys):
    write_fair_project(tmp_path)
    (tmp_path / "fairs").mkdir()
    (tmp_path / "fairs" / "good.yaml").write_text(FAIR, encoding="utf-8")
    (tmp_path / "fairs" / "bad.yaml").write_text(
        FAIR + "handouts: [pharmacist, acount-manager]\nvenu: x\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    status = main(["booklet", "-j", "1", "-q", "--out", "out", "sources"])
    assert status == 1
    assert capsys.readouterr().err.splitlines() == [
        "fairs/bad.yaml:5:24: error: unknown handout 'acount-manager'; did you mean "
        "'account-manager'? [fair.handout]",
        "fairs/bad.yaml:6:1: error: unknown key 'venu' in the fair; did you mean 'venue'? "
        "[schema.unknown-key]",
    ]
    assert not (tmp_path / "out" / "booklet").exists()


def test_the_contents_show_the_fairs_section_headings(project, tmp_path):
    from pipeline.fair import arrange, load_fair
    from pipeline.load import load_source
    from pipeline.prepare import prepare
    from pipeline.render_booklet import _front_html
    from pipeline.validate import validate_source

    _, files, _ = project
    path = tmp_path / "sections.yaml"
    path.write_text(FAIR + "sections:\n  - heading: ពាណិជ្ជកម្ម\n    handouts: [designer]\n"
                    "  - heading: សុខាភិបាល\n    handouts: [pharmacist, account-manager]\n",
                    encoding="utf-8")
    fair, problems = load_fair(path, path.name, {f.stem for f in files})
    assert problems == []
    documents = {}
    for file in files:
        handout, _ = validate_source(load_source(file))
        documents[handout.id] = prepare(handout, load_settings())
    arranged = arrange(fair, documents)
    assert [doc.id for doc in arranged.documents] == ["designer", "pharmacist",
                                                      "account-manager"]
    html = _front_html(arranged, load_settings(), "latin",
                       {"designer": 3, "pharmacist": 5, "account-manager": 7}, None)
    assert html.index("ពាណិជ្ជកម្ម") < html.index("អ្នក\u200bរចនា") < html.index("សុខាភិបាល")
    assert '<span class="entry-page">7</span>' in html
