"""The design stated once: a change to templates/theme.yaml reaches the PDF and the DOCX."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import yaml
from conftest import SHIPPED_SOURCE
from lxml import etree

from pipeline import theme as theme_module
from pipeline.config import load_settings
from pipeline.errors import SetupError
from pipeline.load import load_source
from pipeline.prepare import prepare
from pipeline.render_docx import render_docx
from pipeline.render_html import render_html
from pipeline.render_pdf import render_pdf
from pipeline.theme import ROLES, load_theme
from pipeline.validate import validate_sources

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def document():
    handouts, diagnostics = validate_sources([load_source(SHIPPED_SOURCE)])
    assert handouts, [str(d) for d in diagnostics]
    return prepare(handouts[0], load_settings())


def _changed_theme(tmp_path: Path, monkeypatch, **changes) -> None:
    data = yaml.safe_load(theme_module.THEME_FILE.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        target[last] = value
    changed = tmp_path / "theme.yaml"
    changed.write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(theme_module, "THEME_FILE", changed)


def _pdf_body_size_and_title_colour(pdf: bytes) -> tuple[float, tuple[int, int, int]]:
    page = pdfium.PdfDocument(pdf)[0]
    text = page.get_textpage()
    sizes = {}
    for index in range(text.count_chars()):
        # WeasyPrint draws in CSS pixels (a 0.75 pt unit); pdfium reports sizes in them.
        size = round(pdfium_c.FPDFText_GetFontSize(text, index) * 0.75, 1)
        sizes[size] = sizes.get(size, 0) + 1
    red, green, blue, alpha = (pdfium_c.c_uint(), pdfium_c.c_uint(), pdfium_c.c_uint(),
                               pdfium_c.c_uint())
    pdfium_c.FPDFText_GetFillColor(text, 0, red, green, blue, alpha)  # the title's first
    return max(sizes, key=sizes.get), (red.value, green.value, blue.value)


def _docx_style(data: bytes, style_id: str):
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        styles = etree.fromstring(package.read("word/styles.xml"))
    return styles.find(f"{W}style[@{W}styleId='{style_id}']")


def test_one_change_to_the_theme_reaches_both_formats(document, tmp_path, monkeypatch):
    settings = load_settings()
    before_pdf = render_pdf(render_html(document, settings), settings).data
    before_docx = render_docx(document, settings)
    body = load_theme().page("A4").type["body"].size
    accent = bytes.fromhex(load_theme().colours["accent"][1:])
    assert _pdf_body_size_and_title_colour(before_pdf) == (body, tuple(accent))

    _changed_theme(tmp_path, monkeypatch, colours__accent="#aa2200", type__body={
        "size": body - 1, "line": 1.7})
    html = render_html(document, settings)
    assert "--accent: #aa2200;" in html and f"--body-size: {body - 1:g}pt;" in html
    pdf = render_pdf(html, settings).data
    assert _pdf_body_size_and_title_colour(pdf) == (body - 1, (0xAA, 0x22, 0x00))
    docx = render_docx(document, settings)
    assert docx != before_docx
    normal, title = _docx_style(docx, "Normal"), _docx_style(docx, "Title")
    assert normal.find(f"{W}rPr/{W}sz").get(f"{W}val") == str(round((body - 1) * 2))
    assert normal.find(f"{W}rPr/{W}szCs").get(f"{W}val") == str(round((body - 1) * 2))
    assert title.find(f"{W}rPr/{W}color").get(f"{W}val") == "AA2200"


def test_a5_type_is_the_same_in_both_formats(document):
    settings = load_settings(page_size="A5")
    page = load_theme().page("A5")
    html = render_html(document, settings)
    docx = render_docx(document, settings)
    for role, style_id in (("body", "Normal"), ("title", "Title"), ("fact_value", "QuickFacts"),
                           ("citation", "ReferenceList"), ("footer", "Footer")):
        size = page.type[role].size
        assert f"--{role.replace('_', '-')}-size: {size:g}pt;" in html
        half_points = _docx_style(docx, style_id).find(f"{W}rPr/{W}sz").get(f"{W}val")
        assert half_points == str(round(size * 2)), role


def test_every_style_role_is_given_for_every_page_size():
    theme = load_theme()
    for page in theme.pages.values():
        assert set(page.type) == set(ROLES)


def test_a_broken_theme_is_one_clear_error(tmp_path, monkeypatch):
    _changed_theme(tmp_path, monkeypatch, colours__accent="teal")
    with pytest.raises(SetupError, match=r"theme.yaml: colours must give ink, accent, "
                                         r"accent_soft, muted, each as #rrggbb"):
        load_theme()


# Readable Khmer: a body size per page size, nothing smaller than 8 pt, tall enough lines.
MINIMUM_BODY = {"A4": 10.5, "Letter": 10.5, "A5": 9.5}


def test_the_theme_keeps_khmer_readable():
    for page in load_theme().pages.values():
        assert page.type["body"].size >= MINIMUM_BODY[page.name], page.name
        for role, kind in page.type.items():
            assert kind.size >= 8, (page.name, role)
            assert kind.line >= 1.6, (page.name, role)  # Noto Sans Khmer's stacks: 1.57 em
    assert load_theme().colours["ink"] == "#000000"  # one ink on press, not four


EXAMPLE = SHIPPED_SOURCE.parent / "software-developer.yaml"  # uses every optional field


@pytest.mark.parametrize("source", [SHIPPED_SOURCE, EXAMPLE], ids=lambda p: p.stem)
@pytest.mark.parametrize("size", ["A4", "A5", "Letter"])
def test_every_character_is_large_enough_and_the_seed_fills_its_sheet(source, size):
    handouts, diagnostics = validate_sources([load_source(source)])
    assert handouts, [str(d) for d in diagnostics]
    document = prepare(handouts[0], load_settings())
    settings = load_settings(page_size=size)
    pdf = pdfium.PdfDocument(render_pdf(render_html(document, settings), settings).data)
    assert len(pdf) == 2
    sizes: dict[float, int] = {}
    for page in pdf:
        text = page.get_textpage()
        bottoms = []
        for index in range(text.count_chars()):
            if text.get_text_range(index, 1).isspace():
                continue
            points = round(pdfium_c.FPDFText_GetFontSize(text, index) * 0.75, 1)
            sizes[points] = sizes.get(points, 0) + 1
            bottoms.append(text.get_charbox(index)[1])
        # Content reaches below the middle of the page (the footer excepted).
        footer = min(bottoms)
        content = [b for b in bottoms if b > footer + 5]
        if source == SHIPPED_SOURCE:
            assert min(content) < page.get_height() / 2, f"page under half full on {size}"
    assert min(sizes) >= 8, sizes
    assert max(sizes, key=sizes.get) >= MINIMUM_BODY[size]
