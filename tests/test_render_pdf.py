"""The PDF stage: fonts, metadata, page size and budget, reproducibility, safety, content."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from conftest import FIXTURES, SEED, SHIPPED_SOURCE
from fontTools.ttLib import TTFont
from system_tools import run_tool

from pipeline.build import build
from pipeline.config import load_settings
from pipeline.errors import BuildError
from pipeline.fonts import ALL_FONTS, full_name
from pipeline.khmer import ZWSP
from pipeline.load import load_source
from pipeline.prepare import prepare
from pipeline.render_pdf import render_pdf
from pipeline.validate import validate_sources

MM = 72 / 25.4


def _document(source: Path = SHIPPED_SOURCE):
    handouts, diagnostics = validate_sources([load_source(source, source.name)])
    assert handouts, [str(d) for d in diagnostics]
    return prepare(handouts[0], load_settings())


def _build_pdf(source: Path, out: Path, **settings) -> tuple[Path, object]:
    writer = "print" if settings.pop("for_print", False) else "pdf"
    report = build([source], writer, load_settings(**settings), out)
    return out / writer / f"{source.stem}.pdf", report


@pytest.fixture(scope="module")
def shipped_pdf(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    path, report = _build_pdf(SHIPPED_SOURCE, out)
    assert not report.diagnostics, [str(d) for d in report.diagnostics]
    return path


def _embedded_fonts(path: Path) -> list[TTFont]:
    fonts = {}
    for page in pypdf.PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            data = descriptor.get_object()["/FontFile2"].get_object().get_data()
            fonts[str(font["/BaseFont"])] = TTFont(io.BytesIO(data))
    return list(fonts.values())


def test_every_embedded_font_is_one_of_ours(shipped_pdf):
    ours = {full_name(name) for name in ALL_FONTS}
    used = {font["name"].getDebugName(4) for font in _embedded_fonts(shipped_pdf)}
    assert used <= ours
    assert {"Noto Sans Khmer Regular", "Noto Sans Khmer Bold", "Noto Sans Regular"} <= used


def test_metadata_and_language(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    path, _ = _build_pdf(SHIPPED_SOURCE, tmp_path)
    reader = pypdf.PdfReader(path)
    info = reader.metadata
    assert info["/Title"] == "អ្នកគ្រប់គ្រងគណនី – Account Manager"
    assert info["/Author"] == "Career Guidance Service"
    assert info["/Subject"].startswith("អ្នកគ្រប់គ្រងគណនីគឺជាអ្នកជំនាញ")
    assert "Account Manager" in info["/Keywords"]
    assert info["/CreationDate"] == "D:20231114221320Z"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "km"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert ZWSP not in info["/Title"] + info["/Subject"]


@pytest.mark.parametrize(("size", "width_mm", "height_mm"),
                         [("A4", 210, 297), ("A5", 148, 210), ("Letter", 215.9, 279.4)])
def test_page_size(tmp_path, size, width_mm, height_mm):
    # The seed keeps its budget of one duplex sheet on every size (A5 sets smaller type).
    path, report = _build_pdf(SHIPPED_SOURCE, tmp_path, page_size=size)
    assert not report.failed, [str(d) for d in report.diagnostics]
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(width_mm * MM, abs=0.5)
    assert float(box.height) == pytest.approx(height_mm * MM, abs=0.5)


def test_print_version_has_bleed_and_trim_boxes(tmp_path):
    path, report = _build_pdf(SHIPPED_SOURCE, tmp_path, for_print=True)
    assert not report.failed
    page = pypdf.PdfReader(path).pages[0]
    media, trim, bleed = page.mediabox, page.trimbox, page.bleedbox
    assert [float(v) for v in trim] == pytest.approx([0, 0, 210 * MM, 297 * MM], abs=0.01)
    assert [float(v) for v in bleed] == pytest.approx(
        [-3 * MM, -3 * MM, 213 * MM, 300 * MM], abs=0.01)
    assert [float(v) for v in media] == pytest.approx(
        [-12 * MM, -12 * MM, 222 * MM, 309 * MM], abs=0.01)
    # Crop marks in the outer 9 mm of the sheet, none inside the bleed (the guillotine's
    # tolerance); the page itself is white there.
    pdf = pdfium.PdfDocument(str(path))
    dpi = 200
    image = pdf[0].render(scale=dpi / 72).to_pil().convert("L")

    def px(mm: float) -> int:
        return round(mm / 25.4 * dpi)

    # The top-left horizontal mark runs along the trim line (12 mm down) from the sheet's
    # edge; after it, through the bleed and on into the page's top margin, all is white.
    mark = image.crop((0, px(11), px(6), px(13)))
    after_mark = image.crop((px(6.5), px(11), px(40), px(13)))
    assert mark.getextrema()[0] < 128
    assert after_mark.getextrema() == (255, 255)
    bleed_corner = image.crop((px(9), px(9), px(30), px(30)))
    assert bleed_corner.getextrema() == (255, 255)


def test_variants_carry_a_file_identifier_from_their_content(tmp_path):
    # PDF 2.0 (pdf/ua-2) requires /ID; one made from the content keeps builds identical.
    path, report = _build_pdf(SHIPPED_SOURCE, tmp_path, pdf_variant="pdf/ua-2")
    assert not report.failed
    first = pypdf.PdfReader(path).trailer["/ID"]
    again, _ = _build_pdf(SHIPPED_SOURCE, tmp_path / "again", pdf_variant="pdf/ua-2")
    assert len(first) == 2 and pypdf.PdfReader(again).trailer["/ID"] == first


def test_bookmarks_read_as_the_headings_without_word_breaks(shipped_pdf):
    doc = _document()

    def titles(outline):
        for item in outline:
            yield from titles(item) if isinstance(item, list) else [item.title]

    expected = [doc.title, *(section.heading for section in doc.sections)]
    assert list(titles(pypdf.PdfReader(shipped_pdf).outline)) == [
        text.replace(ZWSP, "") for text in expected]


def test_qr_code_has_alternative_text_and_opens_its_page(shipped_pdf):
    reader = pypdf.PdfReader(shipped_pdf)
    url = _document().qr_url
    links = [annotation.get_object()["/A"]["/URI"]
             for annotation in reader.pages[0].get("/Annots", [])]
    assert url in links

    def figures(element):
        element = element.get_object()
        if element.get("/S") == "/Figure":
            yield element
        kids = element.get("/K", [])
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                yield from figures(kid)

    root = reader.trailer["/Root"]["/StructTreeRoot"]
    alts = [str(figure.get("/Alt")) for figure in figures(root)]
    assert alts == [f"QR code: {url}"]


def test_identical_input_gives_identical_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first, _ = _build_pdf(SHIPPED_SOURCE, tmp_path / "a")
    second, _ = _build_pdf(SHIPPED_SOURCE, tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    third, _ = _build_pdf(SHIPPED_SOURCE, tmp_path / "c")
    fourth, _ = _build_pdf(SHIPPED_SOURCE, tmp_path / "d")
    assert third.read_bytes() == fourth.read_bytes()
    assert third.read_bytes() != first.read_bytes()  # the date really is in the file


def test_over_budget_fails_and_keeps_the_previous_output(tmp_path, source_copy):
    source = source_copy({"page_budget": 1})
    previous = tmp_path / "out" / "pdf" / "account-manager.pdf"
    previous.parent.mkdir(parents=True)
    previous.write_bytes(b"previous good output")
    report = build([source], "pdf", load_settings(), tmp_path / "out", display=lambda p: "x.yaml")
    assert [str(d) for d in report.diagnostics] == [
        "x.yaml: error: renders to 2 pages, budget is 1"]
    assert previous.read_bytes() == b"previous good output"
    assert not list(previous.parent.glob(".*.tmp"))


def test_shipped_handout_fits_one_duplex_sheet(shipped_pdf):
    assert len(pypdf.PdfReader(shipped_pdf).pages) <= 2


HOSTILE = ['<img src="file:///etc/passwd">', "<script>alert(1)</script>", "{{ 7*7 }}",
           "</style><style>body{display:none}</style>", "url(file:///etc/passwd)"]


def test_hostile_text_renders_literally(tmp_path, source_copy):
    source = source_copy({"introduction": HOSTILE, "title_other": "{% raw %}<b>x</b>"})
    path, report = _build_pdf(source, tmp_path)
    assert not report.failed, [str(d) for d in report.diagnostics]
    html = (tmp_path / "html" / "account-manager.html").read_text(encoding="utf-8")
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<script>" not in html and "{{ 7*7 }}" in html and "49" not in html
    text = "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    for hostile in HOSTILE:
        assert hostile in text


@pytest.mark.parametrize("html", [
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
    '<p style="background: url(file:///etc/hostname)">x</p>',
])
def test_renderer_refuses_files_and_network(html):
    with pytest.raises(BuildError, match="blocked fetch of .*the renderer may read only fonts/"):
        render_pdf(f"<html><body>{html}</body></html>", load_settings())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "title", "head")
        self.parts.append(" ")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "title", "head")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text.replace(ZWSP, ""))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def test_every_sentence_of_the_seed_is_in_the_html(shipped_pdf):
    html = (shipped_pdf.parent.parent / "html" / "account-manager.html").read_text()
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.parts)
    squashed = _squash(text)
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines()]
    references = lines.index("ឯកសារយោង៖")
    for line in lines[:references]:
        line = line.removeprefix("- ").removesuffix("៖")
        assert _squash(line) in squashed, line
    for citation in lines[references + 1:]:
        words = " ".join(_words(citation.removeprefix("- ")))
        assert words in " ".join(_words(text.replace(ZWSP, ""))), citation


@pytest.mark.needs("pdftotext")
def test_pdf_has_no_dotted_circles(shipped_pdf):
    text = run_tool("pdftotext", str(shipped_pdf), "-")
    assert "\u25cc" not in text
    assert "Account Manager" in text


def test_undrawable_characters_fail_the_build(tmp_path, source_copy):
    source = source_copy({"tips": ["中文 ក្ក", "ក\u200b្ក"]})
    report = build([source], "pdf", load_settings(), tmp_path, display=lambda p: "x.yaml")
    assert report.failed and not report.written
    assert [(d.rule, d.severity.value) for d in report.diagnostics] == [
        ("glyph.missing", "error"), ("glyph.missing", "error"),
        ("khmer.dotted-circle", "error"), ("text.invisible", "warning")]
    assert str(report.diagnostics[0]).endswith(
        "error: character '中' (U+4E2D) is not in Noto Sans Regular [glyph.missing]")


def test_labels_that_cannot_print_fail_the_build(tmp_path, source_copy):
    """Text that skips validation (settings, label files) is shaped before rendering too."""
    source = source_copy()
    settings = load_settings(organisation="Career Office ✓")
    report = build([source], "pdf", settings, tmp_path, display=lambda p: "x.yaml")
    assert [str(d) for d in report.diagnostics] == [
        "x.yaml: error: cannot print: character '✓' (U+2713) is not in Noto Sans Regular"]


def test_english_handout_and_khmer_digits(tmp_path):
    """Render a handout in English, and one with Khmer digits: figures and page numbers."""
    english = FIXTURES.parent / "bad_sources" / "minimal.yaml"
    path, report = _build_pdf(english, tmp_path)
    assert not report.failed, [str(d) for d in report.diagnostics]
    reader = pypdf.PdfReader(path)
    assert reader.trailer["/Root"]["/Lang"] == "en"
    text = reader.pages[0].extract_text()
    assert "About the career" in text and "Page 1 / 1" in text


def test_khmer_digits_in_figures_and_page_numbers(tmp_path, source_copy):
    source = source_copy({"digits": "khmer",
                          "career_path": ["បទពិសោធន៍យ៉ាងតិច ២-៣ ឆ្នាំ។"]})
    path, report = _build_pdf(source, tmp_path)
    assert not report.failed, [str(d) for d in report.diagnostics]
    html = (tmp_path / "html" / "account-manager.html").read_text(encoding="utf-8")
    assert "$៤៣,០០០" in html and "$43,000" not in html
    assert "counter(page, khmer)" in html
    footer = pypdf.PdfReader(path).pages[0].extract_text()
    assert "១ / ២" in footer and "1 / 2" not in footer


def test_qr_code_is_vector_and_points_to_the_source_url(shipped_pdf):
    from pipeline.render_html import qr_svg

    html = (shipped_pdf.parent.parent / "html" / "account-manager.html").read_text()
    assert str(qr_svg("https://www.glassdoor.com/Job-Description/Account-Manager.htm")) in html
    page = pypdf.PdfReader(shipped_pdf).pages[0]
    assert "/XObject" not in page["/Resources"] or not any(
        x.get_object()["/Subtype"] == "/Image"
        for x in page["/Resources"]["/XObject"].values())


def test_qr_code_falls_back_to_the_configured_address(tmp_path, source_copy):
    from pipeline.render_html import qr_svg

    source = source_copy({"more_info_url": None})
    source.write_text(source.read_text(encoding="utf-8").replace("more_info_url: null\n", ""),
                      encoding="utf-8")
    settings = {"online_url": "https://careers.example.org/{id}"}
    _, report = _build_pdf(source, tmp_path, **settings)
    assert not report.failed, [str(d) for d in report.diagnostics]
    html = (tmp_path / "html" / "account-manager.html").read_text(encoding="utf-8")
    assert str(qr_svg("https://careers.example.org/account-manager")) in html


def test_pdf_variant_is_selectable(tmp_path):
    path, report = _build_pdf(SHIPPED_SOURCE, tmp_path, pdf_variant="pdf/a-2b")
    assert not report.failed
    reader = pypdf.PdfReader(path)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "pdfaid:part" in xmp and "/OutputIntents" in reader.trailer["/Root"]


def test_a_word_longer_than_its_line_stays_on_the_page(tmp_path, source_copy):
    # A pasted 600-letter word or a title without spaces once ran off the page's edge.
    source = source_copy({"title": "Supercalifragilistic" * 10, "page_budget": 3,
                          "introduction": ["Start " + "x" * 600 + " end."]})
    path, report = _build_pdf(source, tmp_path)
    assert not report.failed, [str(d) for d in report.diagnostics]
    pdf = pdfium.PdfDocument(str(path))
    page = pdf[0]
    right_edge = page.get_width() - 15 * MM  # the A4 right margin
    text = page.get_textpage()
    rights = [text.get_charbox(index)[2] for index in range(text.count_chars())]
    assert len(rights) > 800
    assert max(rights) <= right_edge + 0.5
