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
    assert _pdf_body_size_and_title_colour(before_pdf) == (11.0, (0x0B, 0x6E, 0x79))

    _changed_theme(tmp_path, monkeypatch, colours__accent="#aa2200", type__body={
        "size": 12, "line": 1.7})
    html = render_html(document, settings)
    assert "--accent: #aa2200;" in html and "--body-size: 12pt;" in html
    pdf = render_pdf(html, settings).data
    assert _pdf_body_size_and_title_colour(pdf) == (12.0, (0xAA, 0x22, 0x00))
    docx = render_docx(document, settings)
    assert docx != before_docx
    normal, title = _docx_style(docx, "Normal"), _docx_style(docx, "Title")
    assert normal.find(f"{W}rPr/{W}sz").get(f"{W}val") == "24"
    assert normal.find(f"{W}rPr/{W}szCs").get(f"{W}val") == "24"
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
