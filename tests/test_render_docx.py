"""The DOCX stage: Khmer in the complex-script slot, embedded fonts, styles, text, links, bytes."""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
import yaml
from conftest import ROOT, SHIPPED_SOURCE, write_source
from docx.oxml.ns import qn
from fontTools.ttLib import TTFont
from helpers_docx import (
    LIBREOFFICE,
    NS,
    body_paragraphs,
    convert_to_pdf,
    deobfuscate,
    fontconfig_without_khmer,
    part,
    pdf_font_names,
    pdf_pages,
    rels,
    text_of,
    w,
)
from lxml import etree
from system_tools import run_tool

from pipeline import render_docx
from pipeline.build import build
from pipeline.config import FONTS_DIR, PAGE_SIZES, load_settings
from pipeline.errors import SetupError
from pipeline.khmer import WORD_JOINER, ZWSP, has_khmer
from pipeline.load import load_source
from pipeline.model import Document
from pipeline.prepare import format_figure, prepare
from pipeline.theme import load_theme
from pipeline.validate import validate_sources

sys.path.insert(0, str(ROOT / "tools"))
import make_reference_docx  # noqa: E402

EMBEDDED = {("Noto Sans Khmer", "embedRegular"): "NotoSansKhmer-Regular.ttf",
            ("Noto Sans Khmer", "embedBold"): "NotoSansKhmer-Bold.ttf",
            ("Noto Serif Khmer", "embedBold"): "NotoSerifKhmer-Bold.ttf",
            ("Noto Sans", "embedRegular"): "NotoSans-Regular.ttf",
            ("Noto Sans", "embedBold"): "NotoSans-Bold.ttf"}
# The Latin companion travels as a subset of the Latin blocks; the Khmer fonts whole.
SUBSET = {"NotoSans-Regular.ttf", "NotoSans-Bold.ttf"}
MM = 36000  # EMU per millimetre


def _build_docx(source: Path, out: Path, **settings) -> Path:
    report = build([source], "docx", load_settings(**settings), out)
    assert not report.failed, [str(d) for d in report.diagnostics]
    return out / "docx" / f"{source.stem}.docx"


def _handout(source: Path = SHIPPED_SOURCE):
    handouts, diagnostics = validate_sources([load_source(source, source.name)])
    assert handouts, [str(d) for d in diagnostics]
    return handouts[0]


def _document(source: Path = SHIPPED_SOURCE) -> Document:
    return prepare(_handout(source), load_settings())


@pytest.fixture(scope="module")
def shipped_docx(tmp_path_factory) -> Path:
    return _build_docx(SHIPPED_SOURCE, tmp_path_factory.mktemp("out"))


def _style_names(path: Path) -> dict[str, str]:
    """Return {styleId: name} of a DOCX's styles, with python-docx's UI names."""
    return {style.style_id: style.name for style in docx.Document(str(path)).styles}


# --- 1. a real client: LibreOffice prints the Khmer in our embedded fonts -----------------------


def _without_embedded_fonts(path: Path, target: Path) -> Path:
    """Copy a DOCX with the font table's embeddings removed: the control for the isolation."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/fontTable.xml":
                root = etree.fromstring(data)
                for embed in root.xpath("//w:embedRegular | //w:embedBold", namespaces=NS):
                    embed.getparent().remove(embed)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            copy.writestr(info, data)
    return target


@pytest.fixture(scope="module")
def libreoffice_pdfs(shipped_docx, tmp_path_factory):
    """Convert the handout, and a copy without embedded fonts, on a 'machine' without Noto."""
    folder = tmp_path_factory.mktemp("libreoffice")
    handout = folder / "account-manager.docx"
    handout.write_bytes(shipped_docx.read_bytes())
    control = _without_embedded_fonts(shipped_docx, folder / "control.docx")
    other_sizes = {}
    for size in ("A5", "Letter"):
        built = _build_docx(SHIPPED_SOURCE, folder / size, page_size=size)
        other_sizes[size] = folder / f"{size}.docx"
        other_sizes[size].write_bytes(built.read_bytes())
    results = convert_to_pdf([handout, control, *other_sizes.values()],
                             fontconfig_without_khmer(folder))
    for file, (_, seconds) in results.items():
        print(f"LibreOffice converted {file.name} in {seconds:.1f} s")
    return {"A4": results[handout][0], "control": results[control][0],
            **{size: results[file][0] for size, file in other_sizes.items()}}


def _postscript_name(file: str) -> str:
    with TTFont(FONTS_DIR / file, lazy=True) as font:
        return font["name"].getDebugName(6)


@pytest.mark.needs(*LIBREOFFICE, "pdffonts")
def test_libreoffice_sets_khmer_in_the_embedded_noto_fonts(libreoffice_pdfs):
    pdf, control = libreoffice_pdfs["A4"], libreoffice_pdfs["control"]
    used = pdf_font_names(pdf)
    ours = {_postscript_name(file) for file in EMBEDDED.values()}
    assert {"NotoSansKhmer-Regular", "NotoSansKhmer-Bold", "NotoSerifKhmer-Bold",
            "NotoSans-Regular"} <= used
    # Every font came from the DOCX: Khmer and Latin text alike, no fallback.
    assert used <= ours, used
    # The control proves the isolation: without embedded fonts no Noto font is reachable.
    assert not any(name.startswith("Noto") for name in pdf_font_names(control))


@pytest.mark.needs(*LIBREOFFICE, "pdfinfo")
@pytest.mark.parametrize("size", ["A5", "Letter"])
def test_libreoffice_output_fits_the_budget_on_other_page_sizes(libreoffice_pdfs, size):
    # A5 scales the styles' type (as handout.css does) to keep one duplex sheet.
    assert pdf_pages(libreoffice_pdfs[size]) <= _handout().page_budget


def _page_start(pdf: Path, page: int = 1) -> str:
    """Return the first Khmer consonants of a page: what it starts with, whatever the
    extractor makes of the vowels and subscripts around them."""
    import re

    import pypdfium2

    text = pypdfium2.PdfDocument(str(pdf))[page].get_textpage().get_text_range()
    return re.sub("[^\u1780-\u17a2]", "", text)[:8]


@pytest.mark.needs(*LIBREOFFICE)
@pytest.mark.parametrize("size", ["A4", "A5", "Letter"])
def test_libreoffice_starts_page_2_where_the_pdf_does(libreoffice_pdfs, tmp_path, size):
    # One page-budget verdict needs one layout: the DOCX breaks its pages where the PDF does.
    report = build([SHIPPED_SOURCE], "pdf", load_settings(page_size=size), tmp_path)
    assert not report.failed, [str(d) for d in report.diagnostics]
    assert _page_start(libreoffice_pdfs[size]) == _page_start(
        tmp_path / "pdf" / f"{SHIPPED_SOURCE.stem}.pdf")


@pytest.mark.needs(*LIBREOFFICE, "pdfinfo")
def test_a_handout_near_its_budget_keeps_it_in_libreoffice_too(tmp_path):
    """Add tips while the PDF keeps two pages; LibreOffice must lay the DOCX out on two."""
    base = yaml.safe_load(SHIPPED_SOURCE.read_text(encoding="utf-8"))
    extra = [f"គន្លឹះបន្ថែមទី {n} សម្រាប់អ្នកដែលចង់ក្លាយជាអ្នកគ្រប់គ្រងគណនី។" for n in range(40)]
    fitting = None
    for count in range(0, 40, 2):
        folder = tmp_path / f"try-{count}"
        folder.mkdir()
        source = write_source(folder, {"tips": base["tips"] + extra[:count]})
        report = build([source], ["pdf", "docx"], load_settings(), tmp_path / f"out-{count}")
        if report.failed:  # a third page: the last one that fitted is near the limit
            break
        fitting = tmp_path / f"out-{count}"
    assert fitting is not None and fitting != tmp_path / "out-0"
    docx_file = tmp_path / "near.docx"
    docx_file.write_bytes((fitting / "docx" / "account-manager.docx").read_bytes())
    converted = convert_to_pdf([docx_file], fontconfig_without_khmer(tmp_path))[docx_file][0]
    assert pdf_pages(converted) == 2
    assert _page_start(converted) == _page_start(fitting / "pdf" / "account-manager.pdf")


@pytest.mark.needs(*LIBREOFFICE, "pdfinfo", "pdftotext")
def test_libreoffice_output_fits_the_page_budget_and_has_no_broken_clusters(libreoffice_pdfs):
    pdf = libreoffice_pdfs["A4"]
    assert pdf_pages(pdf) <= _handout().page_budget
    text = run_tool("pdftotext", str(pdf), "-")
    assert "\u25cc" not in text  # no dotted circle: every Khmer cluster shaped whole
    assert "Account Manager" in text


# --- 2. text and styles of the body ------------------------------------------------------------


def _expected_paragraphs(doc: Document) -> list[str]:
    """Return the Document's text in the order the DOCX lays it out."""
    texts = [doc.title, *([doc.title_other] if doc.title_other else [])]
    if doc.qr_url:
        texts += ["", doc.qr_caption]  # the QR code's picture paragraph, then its caption
    texts += ["", doc.facts_heading]  # the spacer between masthead and box, then the box
    for fact in doc.facts:
        texts += [fact.label, fact.value]
    for section in doc.sections:
        texts.append(section.heading)
        for block in section.blocks:
            texts.extend(block.texts())
    return texts


def test_body_text_is_the_document_text_with_its_word_breaks(shipped_docx):
    # Word joiners are added where LibreOffice's own breaker would break and the PDF does not
    # (here: between a paragraph's last two words).
    doc = _document()
    texts = [text_of(p) for p in body_paragraphs(shipped_docx)]
    assert [t.replace(WORD_JOINER, "") for t in texts] == _expected_paragraphs(doc)
    first = texts[[t.replace(WORD_JOINER, "") for t in texts].index(
        doc.sections[0].blocks[0].paragraphs[0])]
    assert ZWSP in first
    assert first.endswith("ផង" + WORD_JOINER + "ដែរ។")


def test_body_text_without_word_breaks_is_the_source_text(shipped_docx):
    handout = _handout()
    texts = [text_of(p).replace(ZWSP, "").replace(WORD_JOINER, "")
             for p in body_paragraphs(shipped_docx)]
    for paragraph in (*handout.introduction, handout.values.lead, *handout.career_path,
                      *handout.tips):
        assert paragraph in texts
    separator = _document().sections[1].blocks[0].separator
    for item in handout.values.items:
        assert item.term + separator + item.explanation in texts
    salary = handout.salary
    figures = {name: format_figure(value, salary.currency)
               for name, value in salary.figures().items()}
    assert figures["base_min"] == "$43,000"
    for sentence in salary.narrative:
        assert sentence.format_map(figures) in texts
    for reference in handout.references:
        citation = next(t for t in texts if t.startswith(reference.publisher + "."))
        assert reference.title in citation and citation.endswith(" " + reference.url)


ALLOWED_RUN_PROPERTIES = {w("rStyle"), w("rFonts"), w("b"), w("bCs"), w("cs")}


def test_paragraphs_use_named_styles_and_runs_carry_only_script_properties(shipped_docx):
    """Formatting lives in the styles; runs say only which script they are and what is bold."""
    names = _style_names(shipped_docx)
    cs_font = {name: ("Noto Serif Khmer" if name == "Title" else "Noto Sans Khmer")
               for name in render_docx.PARAGRAPH_STYLES}
    bold_text = []
    for paragraph in body_paragraphs(shipped_docx):
        properties = paragraph.find("w:pPr", NS)
        children = [] if properties is None else list(properties)
        assert [child.tag for child in children] in ([], [w("pStyle")])
        style = names[children[0].get(w("val"))] if children else "Normal"
        assert style in render_docx.PARAGRAPH_STYLES
        for run in paragraph.iter(w("r")):
            text = text_of(run)
            rpr = run.find("w:rPr", NS)
            tags = {child.tag for child in rpr} if rpr is not None else set()
            assert tags <= ALLOWED_RUN_PROPERTIES, tags
            khmer = has_khmer(text)
            assert (w("cs") in tags) == khmer, text
            if khmer:
                fonts = rpr.find("w:rFonts", NS)
                assert dict(fonts.attrib) == {w("cs"): cs_font[style]}
            else:
                assert w("rFonts") not in tags
            assert (w("b") in tags) == (w("bCs") in tags)
            if w("b") in tags:
                bold_text.append(text)
            if w("rStyle") in tags:
                assert run.getparent().tag == w("hyperlink")
                assert names[rpr.find("w:rStyle", NS).get(w("val"))] == "Hyperlink"
    terms = [item.term for item in _document().sections[1].blocks[0].items]
    assert "".join(bold_text) == "".join(terms)


def test_footer_has_organisation_and_page_fields(shipped_docx):
    doc = _document()
    document_rels = rels(shipped_docx, "word/document.xml")
    body = part(shipped_docx, "word/document.xml")
    reference = body.find(".//w:sectPr/w:footerReference", NS)
    target = document_rels[reference.get(f"{{{NS['r']}}}id")].get("Target")
    footer = part(shipped_docx, f"word/{target}")
    paragraph = footer.find("w:p", NS)
    assert text_of(paragraph) == f"{doc.organisation}\t{doc.page_label} 1 / 1"
    fields = [f.get(w("instr")).strip() for f in paragraph.iter(w("fldSimple"))]
    assert fields == ["PAGE", "NUMPAGES"]
    assert _style_names(shipped_docx)[paragraph.find("w:pPr/w:pStyle", NS).get(w("val"))] \
        == "Footer"


# --- 3. styles ---------------------------------------------------------------------------------


def test_styles_name_the_khmer_font_in_the_complex_script_slot(shipped_docx):
    styles = part(shipped_docx, "word/styles.xml")
    assert b"cstheme" not in etree.tostring(styles)
    assert not styles.xpath("//w:rFonts/@*[contains(local-name(), 'Theme')]", namespaces=NS)
    by_name = {docx_name: element for element in styles.findall("w:style", NS)
               for docx_name in [element.find("w:name", NS).get(w("val"))]}
    defaults = styles.find("w:docDefaults/w:rPrDefault/w:rPr", NS)
    checked = {"docDefaults": defaults}
    for name in render_docx.PARAGRAPH_STYLES:
        checked[name] = by_name[name if name in by_name else name.lower()]
    for name, element in checked.items():
        rpr = element if name == "docDefaults" else element.find("w:rPr", NS)
        fonts = rpr.find("w:rFonts", NS)
        assert fonts.get(w("ascii")) == fonts.get(w("hAnsi")) == "Noto Sans", name
        expected = "Noto Serif Khmer" if name == "Title" else "Noto Sans Khmer"
        assert fonts.get(w("cs")) == expected, name
        assert rpr.find("w:szCs", NS).get(w("val")) == rpr.find("w:sz", NS).get(w("val")), name
        assert (rpr.find("w:b", NS) is None) == (rpr.find("w:bCs", NS) is None), name
        assert rpr.find("w:lang", NS).get(w("bidi")) == "km-KH", name
    for name in ("Title", "heading 1", "Quick Facts"):
        assert by_name[name].find("w:rPr/w:bCs", NS) is not None, name


def test_reference_document_defines_every_style_and_builds_reproducibly(tmp_path):
    names = {style.name for style in docx.Document(str(render_docx.REFERENCE_DOCX)).styles}
    assert set(render_docx.REQUIRED_STYLES) <= names
    first = make_reference_docx.build()
    assert first == make_reference_docx.build()
    out = tmp_path / "reference.docx"
    assert make_reference_docx.main(["--out", str(out)]) == 0
    assert make_reference_docx.main(["--check", "--out", str(out)]) == 0
    out.write_bytes(first[:-1])
    assert make_reference_docx.main(["--check", "--out", str(out)]) == 1


def test_reference_without_the_styles_fails_loudly(monkeypatch):
    default = Path(docx.__file__).parent / "templates" / "default.docx"
    monkeypatch.setattr(render_docx.styles, "REFERENCE_DOCX", default)
    with pytest.raises(SetupError) as error:
        render_docx.render_docx(_document(), load_settings())
    assert str(error.value) == (
        "default.docx lacks the style(s) References Heading, Spacer, Quick Facts Heading, "
        "Quick Facts Label, Quick Facts, Reference List, Hyperlink, Masthead Table, "
        "Quick Facts Table; rebuild it with "
        "tools/make_reference_docx.py")


# --- 4. embedded fonts -------------------------------------------------------------------------


def test_fonts_are_embedded_and_obfuscated(shipped_docx):
    font_table = part(shipped_docx, "word/fontTable.xml")
    table_rels = rels(shipped_docx, "word/fontTable.xml")
    types = part(shipped_docx, "[Content_Types].xml")
    overrides = {o.get("PartName"): o.get("ContentType")
                 for o in types.findall("ct:Override", NS)}
    found = {}
    with zipfile.ZipFile(shipped_docx) as package:
        for font in font_table.findall("w:font", NS):
            for embed in font:
                if not embed.tag.startswith(w("embed")):
                    continue
                key = embed.get(w("fontKey"))
                assert key == key.upper() and key.startswith("{") and key.endswith("}")
                assert len(key.strip("{}").replace("-", "")) == 32
                rel = table_rels[embed.get(f"{{{NS['r']}}}id")]
                assert rel.get("Type") == ("http://schemas.openxmlformats.org/officeDocument/"
                                           "2006/relationships/font")
                name = "word/" + rel.get("Target")
                assert name.startswith("word/fonts/") and name.endswith(".odttf")
                assert overrides["/" + name] == ("application/vnd.openxmlformats-"
                                                 "officedocument.obfuscatedFont")
                data = package.read(name)
                file = EMBEDDED[font.get(w("name")), etree.QName(embed).localname]
                original = (render_docx.latin_subset(FONTS_DIR / file) if file in SUBSET
                            else (FONTS_DIR / file).read_bytes())
                assert data[:32] != original[:32]  # really obfuscated
                assert deobfuscate(data, key) == original
                # Word is told which embedded fonts are cut down, so it does not offer them
                # for editing text they cannot draw.
                assert embed.get(w("subsetted")) == ("1" if file in SUBSET else None)
                found[font.get(w("name")), etree.QName(embed).localname] = key
    assert set(found) == set(EMBEDDED)
    assert len(set(found.values())) == len(found)
    settings = part(shipped_docx, "word/settings.xml")
    assert settings.find("w:embedTrueTypeFonts", NS) is not None
    assert settings.find("w:saveSubsetFonts", NS) is None


def test_font_whose_licence_forbids_embedding_fails_loudly(tmp_path, monkeypatch):
    for file in FONTS_DIR.glob("*.ttf"):
        (tmp_path / file.name).write_bytes(file.read_bytes())
    font = TTFont(tmp_path / "NotoSansKhmer-Bold.ttf")
    font["OS/2"].fsType = 0x2  # restricted licence
    font.save(tmp_path / "NotoSansKhmer-Bold.ttf")
    monkeypatch.setattr(render_docx.fonts, "FONTS_DIR", tmp_path)
    with pytest.raises(SetupError, match=r"NotoSansKhmer-Bold.ttf: the font's licence bits "
                                         r"\(OS/2 fsType 0x0002\) forbid embedding"):
        render_docx.render_docx(_document(), load_settings())


# --- 5. reproducible bytes and metadata --------------------------------------------------------


def test_identical_input_gives_identical_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = _build_docx(SHIPPED_SOURCE, tmp_path / "a").read_bytes()
    second_path = _build_docx(SHIPPED_SOURCE, tmp_path / "b")
    assert second_path.read_bytes() == first
    properties = docx.Document(str(second_path)).core_properties
    assert properties.created == datetime.fromtimestamp(1700000000, tz=UTC)
    assert properties.modified == properties.created
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    # A source that git does not know (this copy) has no date, and none is written.
    source = write_source(tmp_path)
    third_path = _build_docx(source, tmp_path / "c")
    assert third_path.read_bytes() == _build_docx(source, tmp_path / "d").read_bytes()
    assert third_path.read_bytes() != first  # the date really is in the file
    core = part(third_path, "docProps/core.xml")
    assert not core.xpath("//*[local-name()='created' or local-name()='modified']")
    with zipfile.ZipFile(third_path) as package:
        infos = package.infolist()
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert [info.filename for info in infos[:2]] == ["[Content_Types].xml", "_rels/.rels"]


def test_core_properties_come_from_the_document(shipped_docx):
    doc = _document()
    properties = docx.Document(str(shipped_docx)).core_properties
    assert properties.title == "អ្នកគ្រប់គ្រងគណនី – Account Manager"
    assert ZWSP not in properties.title + properties.subject + properties.keywords
    assert properties.subject == doc.subject
    assert properties.author == properties.last_modified_by == doc.organisation
    assert properties.language == "km-KH"
    assert properties.keywords == ", ".join(doc.keywords)
    assert properties.comments == ""  # not python-docx's "generated by python-docx"


def test_extended_properties_name_this_tool_and_no_stale_counts(shipped_docx):
    app = part(shipped_docx, "docProps/app.xml")
    values = {etree.QName(element).localname: element.text for element in app}
    assert values == {"Application": "khmer-handouts", "DocSecurity": "0",
                      "Company": _document().organisation, "LinksUpToDate": "false",
                      "HyperlinksChanged": "false"}


def test_long_metadata_is_shortened_to_what_docx_allows(tmp_path, source_copy):
    # Core properties hold at most 255 characters; a long first sentence, many values
    # terms or a long title must not stop the build.
    long_sentence = "ការងារ" * 60 + "។ " + "ពាក្យ" * 3
    item = {"term": "ជំនាញ" * 5, "explanation": "ពន្យល់។"}
    source = source_copy({"introduction": [long_sentence], "page_budget": 4,
                          "values": {"lead": "នាំមុខ។", "items": [dict(item) for _ in range(40)]}})
    properties = docx.Document(str(_build_docx(source, tmp_path))).core_properties
    assert 200 < len(properties.subject) <= 255 and properties.subject.endswith("…")
    assert properties.subject[:-1] in long_sentence
    assert len(properties.keywords) <= 255
    assert properties.keywords.startswith("អ្នកគ្រប់គ្រងគណនី, Account Manager, ")


# --- 6. hyperlinks -----------------------------------------------------------------------------


def test_references_are_clickable_hyperlinks(shipped_docx):
    document_rels = rels(shipped_docx, "word/document.xml")
    body = part(shipped_docx, "word/document.xml")
    links = {}
    for link in body.iter(w("hyperlink")):
        rel = document_rels[link.get(f"{{{NS['r']}}}id")]
        assert rel.get("TargetMode") == "External"
        assert rel.get("Type").endswith("/relationships/hyperlink")
        links[rel.get("Target")] = text_of(link)
    urls = [reference.url for reference in _handout().references]
    assert links == {url: url for url in urls}


def test_qr_code_is_a_picture_that_links_to_the_page(shipped_docx):
    doc = _document()
    document_rels = rels(shipped_docx, "word/document.xml")
    body = part(shipped_docx, "word/document.xml")
    (picture,) = body.xpath("//wp:docPr", namespaces={
        "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"})
    click = picture.find("{http://schemas.openxmlformats.org/drawingml/2006/main}hlinkClick")
    assert document_rels[click.get(f"{{{NS['r']}}}id")].get("Target") == doc.qr_url
    image = [rel for rel in document_rels.values() if rel.get("Type").endswith("/image")]
    assert [rel.get("Target") for rel in image] == ["media/image1.png"]
    with zipfile.ZipFile(shipped_docx) as package:
        assert package.read("word/media/image1.png").startswith(b"\x89PNG")


# --- 7. safety ---------------------------------------------------------------------------------

HOSTILE = ["<w:p>", "]]>", "{{ 7*7 }}", '</w:t></w:r><w:r><w:t xml:space="preserve">x',
           "&amp; &lt;"]


def test_hostile_text_lands_literally(tmp_path, source_copy):
    path = _build_docx(source_copy({"introduction": HOSTILE}), tmp_path)
    texts = [text_of(p) for p in body_paragraphs(path)]
    for hostile in HOSTILE:
        assert hostile in texts
    assert not any("49" in text for text in texts)


# --- 8. page geometry --------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "width_mm", "height_mm"),
                         [("A4", 210, 297), ("A5", 148, 210), ("Letter", 215.9, 279.4)])
def test_page_size_and_margins_match_the_pdf(tmp_path, size, width_mm, height_mm):
    document = docx.Document(str(_build_docx(SHIPPED_SOURCE, tmp_path, page_size=size)))
    section = document.sections[0]
    assert section.page_width / MM == pytest.approx(width_mm, abs=0.1)
    assert section.page_height / MM == pytest.approx(height_mm, abs=0.1)
    margins = (section.top_margin, section.right_margin, section.bottom_margin,
               section.left_margin)
    page = load_theme().page(size)
    assert [m / MM for m in margins] == pytest.approx(list(page.margins), abs=0.05)
    assert page.margins == ((11, 12, 14, 12) if size == "A5" else (14, 15, 17, 15))
    # The quick-facts box as in the PDF: heading across the top, then label | value rows
    # with the labels in a 45 mm column, spanning the text width.
    facts = document.tables[1]
    assert (len(facts.columns), len(facts.rows)) == (2, 5)
    assert facts.style.name == "Quick Facts Table"
    assert len(facts.rows[0]._tr.tc_lst) == 1 and facts.rows[0]._tr.tc_lst[0].grid_span == 2
    widths = [column.width / MM for column in facts.columns]
    text_width = width_mm - page.margins[1] - page.margins[3]
    # Type as in the PDF (the theme), Khmer (cs) size alike.
    normal = document.styles["Normal"].element.rPr
    expected_half_points = str(round(page.type["body"].size * 2))
    assert normal.find(qn("w:sz")).get(qn("w:val")) == expected_half_points
    assert normal.find(qn("w:szCs")).get(qn("w:val")) == expected_half_points
    label = 36 if size == "A5" else 45
    assert widths == pytest.approx([label, text_width - label], abs=0.1)
    assert [row.cells[0].paragraphs[0].style.name for row in facts.rows[1:]] == [
        "Quick Facts Label"] * 4
    # No two tables touch: Word would join them into one.
    body = list(document.element.body)
    for before, after in zip(body, body[1:], strict=False):
        assert not (before.tag == after.tag == w("tbl"))


def test_every_pdf_page_size_has_a_docx_page_size():
    assert set(load_theme().pages) == set(PAGE_SIZES)


def test_latin_subset_draws_every_latin_character_of_the_handout():
    doc = prepare(_handout(), load_settings())
    latin = {c for text in doc.texts() for c in text if not has_khmer(c) and c != ZWSP}
    with TTFont(io.BytesIO(render_docx.latin_subset(FONTS_DIR / "NotoSans-Regular.ttf"))) as font:
        cmap = font.getBestCmap()
        assert font["OS/2"].fsType == 0 and font["name"].getDebugName(1) == "Noto Sans"
    assert {c for c in latin if ord(c) not in cmap} == set()
    assert {"A", "$", "–", "“", "é"} <= {chr(code) for code in cmap}
