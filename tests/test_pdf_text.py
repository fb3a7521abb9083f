"""Text read out of the PDF: every Khmer and Latin run comes back as the source wrote it."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from conftest import SHIPPED_SOURCE, write_source
from PIL import ImageChops
from system_tools import run_tool

from pipeline import pdf_text
from pipeline.build import build
from pipeline.config import load_settings
from pipeline.khmer import ZWSP
from pipeline.load import load_source
from pipeline.prepare import prepare
from pipeline.render_html import render_html
from pipeline.render_pdf import _weasyprint, render_pdf
from pipeline.validate import validate_sources

# Words that exercise Khmer shaping: coeng stacks, vowels drawn before their base (េ ែ ៃ) or
# around it (ោ ើ ៀ ឿ ៅ), the subscript RO drawn before its base (្រ), ុំ, ះ, signs above
# (់ ៉ ៊ ័ ៍ ៏ ៌), independent vowels, Khmer digits and ៗ.
KHMER_WORDS = (
    "ក្រុមហ៊ុន", "ស្ត្រី", "ព្រះរាជាណាចក្រ", "កម្ពុជា", "សង្គ្រាម", "សម្ព័ន្ធ", "ឧស្សាហកម្ម",
    "វិទ្យាល័យ", "ព្យាបាល", "ក្នុង", "ពេល", "កែ", "ថ្ងៃ", "ខ្មែរ", "ស្រុកស្រែ", "ដោយ", "ក្រោម",
    "ដើម្បី", "សៀវភៅ", "ជំនឿ", "រឿង", "ចៅ", "ទៀត", "ប្រាក់", "គ្រូបង្រៀន", "អ្នកស្រី", "ពុំ",
    "ជុំ", "ព្រោះ", "ឈ្មោះ", "ផ្ទះ", "ញ៉ាំ", "ឆ្នាំ", "ម៉ោង", "ប៉ុន្មាន", "ស៊ីវិល", "ព័ត៌មាន",
    "ព្រឹត្តិការណ៍", "ក៏", "ឥឡូវ", "ឯកសារ", "ឪពុក", "ឱកាស", "បំណុល", "ល្អ", "ជំរុញ", "កំពុង",
    "ធ្វើ", "ប្អូន", "ចិត្ត", "សប្បាយ", "បញ្ញា", "២០២៤", "ផ្សេងៗ",
)
SEEDS = (1, 2)


@pytest.fixture(autouse=True)
def weasyprint_imported():
    # The seam is installed on import, which must come after fontconfig is isolated.
    _weasyprint()


@dataclass(frozen=True)
class Rendered:
    document: object  # the prepared pipeline.model.Document
    exact: Path  # the PDF as the pipeline writes it
    plain: Path  # the same PDF without the remedy, as WeasyPrint alone writes it


def _khmer_sentences(rng: random.Random, count: int, words: int) -> list[str]:
    return ["".join(rng.choice(KHMER_WORDS) + rng.choice(("", "", " ")) for _ in range(words))
            .strip() + "។" for _ in range(count)]


def _khmer_source(folder: Path, seed: int) -> Path:
    """Write a handout dense with hard Khmer clusters, in every style the template uses."""
    rng = random.Random(seed)
    items = [{"term": " ".join(rng.sample(KHMER_WORDS, 2)),
              "explanation": " ".join(_khmer_sentences(rng, 2, 6))} for _ in range(3)]
    return write_source(folder, {
        "title": " ".join(rng.sample(KHMER_WORDS, 2)),
        "introduction": [" ".join(_khmer_sentences(rng, 4, 8))],
        "values": {"lead": _khmer_sentences(rng, 1, 6)[0], "items": items},
        "career_path": [" ".join(_khmer_sentences(rng, 3, 8))],
        "tips": _khmer_sentences(rng, 3, 7),
        "page_budget": 4,
    }, handout_id=f"khmer-{seed}")


def _render(source: Path, out: Path) -> Rendered:
    settings = load_settings()
    handouts, diagnostics = validate_sources([load_source(source)])
    assert handouts, [str(d) for d in diagnostics]
    paths = {}
    for exact in (True, False):
        with pdf_text.exact_text(exact):
            report = build([source], "pdf", settings, out / f"exact-{exact}")
        assert not report.failed, [str(d) for d in report.diagnostics]
        paths[exact] = out / f"exact-{exact}" / "pdf" / f"{handouts[0].id}.pdf"
    return Rendered(prepare(handouts[0], settings), paths[True], paths[False])


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Rendered:
    return _render(SHIPPED_SOURCE, tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="module", params=("seed", *SEEDS), ids=str)
def handout(request, seed, tmp_path_factory) -> Rendered:
    if request.param == "seed":
        return seed
    folder = tmp_path_factory.mktemp(f"any-{request.param}")
    return _render(_khmer_source(folder, request.param), folder / "out")


def _pdftotext_pages(path: Path) -> list[str]:
    text = run_tool("pdftotext", "-enc", "UTF-8", str(path), "-")
    pages = text.split("\f")  # pdftotext ends every page with a form feed
    return pages[:-1] if not pages[-1].strip() else pages


def _pypdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


READERS = {"pdftotext": _pdftotext_pages, "pypdf": _pypdf_pages}
# The readers as test parameters, each with the tools it runs.
READER_PARAMS = [pytest.param("pdftotext", marks=pytest.mark.needs("pdftotext")), "pypdf"]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text.replace(ZWSP, ""))


def extraction_problems(document, pages: list[str]) -> list[str]:
    """Return how the text read from a PDF's pages differs from the document's text.

    Whitespace and U+200B do not count. Sections must come in reading order; the boxes beside
    them (title, quick facts, QR caption) may come anywhere; each page must end with its footer;
    what is left may only be list bullets and numbers.
    """
    problems = []
    footers = (re.escape(_squash(document.organisation)),
               re.escape(_squash(document.page_label)) + r"\d+/\d+")
    flow = ""
    for number, page in enumerate(pages, start=1):
        text = _squash(page)
        for footer in footers:
            found = re.search(footer, text)
            if found:
                text = text[:found.start()] + text[found.end():]
            else:
                problems.append(f"page {number}: no footer {footer}")
        flow += text
    flow = flow.replace("•", "")

    in_order = [text for section in document.sections
                for text in (section.heading, *(t for b in section.blocks for t in b.texts()))]
    anywhere = [document.title, document.title_other, document.facts_heading,
                *(t for fact in document.facts for t in (fact.label, fact.value)),
                document.qr_caption if document.qr_url else None]
    cursor = 0
    for run in map(_squash, in_order):
        at = flow.find(run, cursor)
        if at < 0:
            where = "out of order" if run in flow else "missing"
            problems.append(f"{where}: {run[:40]}")
            continue
        flow = flow[:at] + "\0" + flow[at + len(run):]
        cursor = at + 1
    for run in map(_squash, filter(None, anywhere)):
        if run in flow:
            flow = flow.replace(run, "\0", 1)
        else:
            problems.append(f"missing: {run[:40]}")
    rest = flow.replace("\0", "")
    if not re.fullmatch(r"(\d+\.)*", rest):
        problems.append(f"not in the source: {rest[:80]}")
    return problems


@pytest.mark.parametrize("reader", READER_PARAMS)
def test_extracted_text_is_the_source_text(handout, reader):
    assert extraction_problems(handout.document, READERS[reader](handout.exact)) == []


@pytest.mark.parametrize("reader", READER_PARAMS)
def test_weasyprint_alone_gets_khmer_wrong(handout, reader):
    # The check above can fail: without the remedy the same PDF reads back wrong.
    problems = extraction_problems(handout.document, READERS[reader](handout.plain))
    assert any(re.search("[\u1780-\u17ff]", problem) for problem in problems)


def test_every_glyph_stands_for_some_text_in_logical_order(monkeypatch):
    lines = []
    make = pdf_text._line_glyphs

    def spy(stream, textbox):
        glyphs = make(stream, textbox)
        lines.append(glyphs)
        return glyphs

    monkeypatch.setattr(pdf_text, "_line_glyphs", spy)
    words = " ".join(KHMER_WORDS)
    render_pdf(f'<html lang="km"><body><p>{words}</p><p><b>{words}</b></p></body></html>',
               load_settings())
    assert len(lines) > 4
    for glyphs in lines:
        # pdf.js and pdfium read a glyph mapped to nothing as its code: a stray character.
        assert all(glyph.text for glyph in glyphs)
        assert "".join(glyph.text for glyph in glyphs) == glyphs[0].actual_text
    assert _squash("".join(glyphs[0].actual_text for glyphs in lines)) == _squash(words * 2)


def _page_images(path: Path) -> list:
    document = pdfium.PdfDocument(str(path))
    return [page.render(scale=100 / 72).to_pil().convert("L") for page in document]


def test_pages_look_the_same_with_and_without_the_remedy(handout):
    exact, plain = _page_images(handout.exact), _page_images(handout.plain)
    assert len(exact) == len(plain)
    for ours, theirs in zip(exact, plain, strict=True):
        histogram = ImageChops.difference(ours, theirs).histogram()
        # A glyph drawn one pixel off or with another width changes hundreds of pixels.
        assert sum(histogram[17:]) <= ours.width * ours.height // 10_000


def test_tags_stay_and_size_grows_little(handout):
    exact, plain = pypdf.PdfReader(handout.exact), pypdf.PdfReader(handout.plain)
    root = exact.trailer["/Root"]
    assert "/StructTreeRoot" in root and bool(root["/MarkInfo"]["/Marked"])

    def contents(reader):
        return b"".join(page.get_contents().get_data() for page in reader.pages)

    # The spans sit inside the tagged content; they neither add nor drop a tag.
    assert contents(exact).count(b"/MCID") == contents(plain).count(b"/MCID")
    assert b"/ActualText" in contents(exact) and b"/ActualText" not in contents(plain)
    assert handout.exact.stat().st_size <= 1.2 * handout.plain.stat().st_size


def test_identical_input_still_gives_identical_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    settings = load_settings()

    def html(source: Path) -> str:
        handouts, _ = validate_sources([load_source(source)])
        return render_html(prepare(handouts[0], settings), settings)

    first, second = html(_khmer_source(tmp_path, 1)), html(_khmer_source(tmp_path, 2))
    before = render_pdf(first, settings).data
    render_pdf(second, settings)  # other glyphs and aliases in between
    assert render_pdf(first, settings).data == before


# The WeasyPrint code pdf_text.py relies on, as reviewed for WeasyPrint 70.0: the TJ strings and
# first-come ToUnicode of draw_first_line, the BT/ET around it, the CIDFont dictionary written
# with an Identity CIDToGIDMap and W from font.widths, ToUnicode from font.to_unicode, the
# numbering of missing-glyph stand-ins and the first line of a layout.
PINNED = {
    "weasyprint.draw.text.draw_first_line": "1bb8eae6d88e71b1",
    "weasyprint.draw.text.draw_text": "ebaf96239c6ca363",
    "weasyprint.pdf.fonts._build_vector_font_dictionary": "aa6eea312c6e3375",
    "weasyprint.pdf.fonts.build_fonts_dictionary": "fc551bef35d0d6c3",
    "weasyprint.pdf.fonts.Font.get_unused_glyph_id": "81082597c7912297",
    "weasyprint.text.line_break.Layout.get_first_line": "bb65cbda0e27f135",
}


def _reviewed_code(name: str):
    """Return the WeasyPrint function or method a dotted name stands for, unwrapped."""
    for (module, function, _), key in ((pdf_text.DRAW_FIRST_LINE, "draw_first_line"),
                                       (pdf_text.BUILD_FONT_DICTIONARY, "build_font_dictionary")):
        if name == f"{module}.{function}":
            return pdf_text._ORIGINALS[key]
    parts = name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise LookupError(name)


@pytest.mark.parametrize("name", PINNED)
def test_weasyprint_internals_are_the_ones_reviewed(name):
    digest = hashlib.sha256(inspect.getsource(_reviewed_code(name)).encode()).hexdigest()[:16]
    assert digest == PINNED[name], (
        f"{name} changed: check that pipeline/pdf_text.py still fits it (run this file's "
        f"tests), then pin its new hash {digest} here")


def test_the_seam_wraps_weasyprint():
    draw = importlib.import_module("weasyprint.draw.text")
    fonts = importlib.import_module("weasyprint.pdf.fonts")
    assert draw.draw_first_line is pdf_text._draw_first_line
    assert fonts._build_vector_font_dictionary is pdf_text._build_vector_font_dictionary


def test_switched_off_it_is_weasyprint_itself(monkeypatch):
    html = f'<html lang="km"><body><p>{" ".join(KHMER_WORDS)}</p></body></html>'
    settings = load_settings()
    ours = render_pdf(html, settings).data
    with pdf_text.exact_text(False):
        off = render_pdf(html, settings).data
    monkeypatch.setattr("weasyprint.draw.text.draw_first_line",
                        pdf_text._ORIGINALS["draw_first_line"])
    monkeypatch.setattr("weasyprint.pdf.fonts._build_vector_font_dictionary",
                        pdf_text._ORIGINALS["build_font_dictionary"])
    assert render_pdf(html, settings).data == off != ours


def test_a_changed_signature_stops_the_install(monkeypatch):
    monkeypatch.setattr(pdf_text, "_ORIGINALS", {})
    monkeypatch.setattr("weasyprint.draw.text.draw_first_line", lambda stream, textbox: None)
    with pytest.raises(pdf_text.InternalsChanged, match="draw_first_line is .*'textbox'"):
        pdf_text.install()


def test_unexpected_drawing_fails_the_render(monkeypatch):
    draw = pdf_text._ORIGINALS["draw_first_line"]

    def drifted(stream, textbox, *args):
        stream.show_text("<fffe>")  # a glyph Pango never shaped
        return draw(stream, textbox, *args)

    monkeypatch.setitem(pdf_text._ORIGINALS, "draw_first_line", drifted)
    with pytest.raises(pdf_text.InternalsChanged, match="WeasyPrint drew <fffe>"):
        render_pdf('<html lang="km"><body><p>ក្រុមហ៊ុន</p></body></html>', load_settings())


@pytest.mark.needs("pdftotext")
def test_pdftotext_reads_the_seed_in_reading_order(seed):
    """Title, quick facts (each label before its value) and sections come out in order."""
    text = _squash("".join(_pdftotext_pages(seed.exact)))
    skip = {seed.document.qr_caption, seed.document.organisation, seed.document.page_label}
    position = 0
    for piece in seed.document.texts():
        if piece in skip:
            continue
        for part in piece.split("\n"):
            found = text.find(_squash(part), position)
            assert found >= 0, f"not found in reading order: {part.replace(ZWSP, '')[:60]}"
            position = found + len(_squash(part))
