"""The office's branding: checked in handouts.yaml, shown in the PDF and the DOCX alike."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from conftest import ROOT, SHIPPED_SOURCE
from docx.oxml.ns import qn

from pipeline import branding
from pipeline.build import build
from pipeline.config import load_settings
from pipeline.errors import SetupError

EXAMPLE_PNG = "branding/example-logo.png"
EXAMPLE_SVG = "branding/example-logo.svg"


def _settings(tmp_path: Path, text: str):
    path = tmp_path / "handouts.yaml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


BRANDED = """organisation: Test Office
contact:
  - No. 12, Street 123, Phnom Penh
  - "+855 23 000 000 · info@example.org"
logo: {logo}
accent: "#8a1c1c"
"""


@pytest.fixture(scope="module")
def branded(tmp_path_factory):
    """Build the seed as PDF and DOCX with a logo, contact lines and a red accent."""
    out = tmp_path_factory.mktemp("branded")
    settings = _settings(out, BRANDED.format(logo=EXAMPLE_PNG))
    report = build([SHIPPED_SOURCE], ["pdf", "docx"], settings, out / "out")
    assert not report.failed, [str(d) for d in report.diagnostics]
    return out / "out"


def test_the_pdf_shows_the_logo_the_contact_block_and_the_accent(branded):
    pdf = pypdf.PdfReader(branded / "pdf" / "account-manager.pdf")
    assert any(page.images for page in pdf.pages[:1])  # the logo, drawn on page 1
    last = pdf.pages[-1].extract_text()
    assert "Test Office" in last and "No. 12, Street 123, Phnom Penh" in last
    html = (branded / "html" / "account-manager.html").read_text(encoding="utf-8")
    assert "--accent: #8a1c1c;" in html
    assert 'src="../branding/example-logo.png"' in html


def test_the_docx_shows_the_same(branded):
    data = (branded / "docx" / "account-manager.docx").read_bytes()
    document = docx.Document(io.BytesIO(data))
    # Derived text sits in locked content controls, which python-docx's .text skips; digit
    # groups are kept on one line with no-break spaces, as in every text.
    texts = ["".join(t.text or "" for t in p._p.iter(qn("w:t"))).replace("\u00a0", " ")
             for p in document.paragraphs]
    assert texts[-3:] == ["Test Office", "No. 12, Street 123, Phnom Penh",
                          "+855 23 000 000 · info@example.org"]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        media = [name for name in package.namelist() if name.startswith("word/media/")]
        styles = package.read("word/styles.xml").decode()
    assert len(media) == 2  # the logo and the QR code
    assert 'w:val="8A1C1C"' in styles  # the accent, in the headings' colour


def test_an_svg_logo_draws_in_the_pdf(tmp_path):
    settings = _settings(tmp_path, BRANDED.format(logo=EXAMPLE_SVG))
    report = build([SHIPPED_SOURCE], "pdf", settings, tmp_path / "out")
    assert not report.failed, [str(d) for d in report.diagnostics]


@pytest.mark.parametrize(("setting", "message"), [
    ('accent: "#f0c000"', "handouts.yaml: 'accent' #f0c000 has a contrast of 1.7:1 on white; "
                          "headings and links set in it need at least 4.5:1 (choose a darker "
                          "colour)"),
    ("accent: teal", "handouts.yaml: 'accent' must be a colour written #rrggbb, not 'teal'"),
    ("logo: sources/account-manager.yaml", "handouts.yaml: 'logo' must be a file in "
                                           "branding/, not 'sources/account-manager.yaml'"),
    ("logo: branding/missing.png", "handouts.yaml: 'logo' branding/missing.png does not exist"),
    ("contact: [a, b, c, d, e]", "handouts.yaml: 'contact' has 5 lines; at most 4 fit"),
    ("contact: {street: 1}", "handouts.yaml: 'contact' must be a list of lines of text "
                             "(address, phone, e-mail, web)"),
])
def test_branding_mistakes_are_one_clear_error(tmp_path, setting, message):
    with pytest.raises(SetupError) as error:
        _settings(tmp_path, setting + "\n")
    assert str(error.value) == message


@pytest.mark.parametrize(("content", "message"), [
    ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
     '<image href="file:///etc/passwd" width="10" height="10"/></svg>',
     "handouts.yaml: 'logo' SVG refers to 'file:///etc/passwd'; a logo must not load anything "
     "(embed it, or refer to #ids inside the file)"),
    ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>x()</script></svg>',
     "handouts.yaml: 'logo' SVG holds a <script>; a logo must be drawing only"),
    ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
     '<rect style="fill: url(https://example.org/x)" width="1" height="1"/></svg>',
     "handouts.yaml: 'logo' SVG styles load something by url(); a logo must not"),
    ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     '<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
     "handouts.yaml: 'logo' SVG declares a DOCTYPE or entities; remove them"),
    ("not a png", "handouts.yaml: 'logo' is not a PNG image (its content is not what .png "
                  "says)"),
])
def test_a_logo_that_could_fetch_or_run_anything_is_refused(tmp_path, monkeypatch, content,
                                                           message):
    folder = tmp_path / "branding"
    folder.mkdir()
    name = "logo.png" if content == "not a png" else "logo.svg"
    (folder / name).write_text(content, encoding="utf-8")
    monkeypatch.setattr(branding, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(branding, "BRANDING_DIR", folder)
    with pytest.raises(SetupError) as error:
        _settings(tmp_path, f"logo: branding/{name}\n")
    assert str(error.value) == message


def test_the_contrast_rule_is_wcags():
    assert branding.contrast_on_white("#000000") == pytest.approx(21.0)
    assert branding.contrast_on_white("#767676") == pytest.approx(4.54, abs=0.01)
    # The shipped theme's own accent passes the rule it sets for others.
    from pipeline.theme import load_theme

    assert branding.contrast_on_white(load_theme().colours["accent"]) >= branding.MIN_CONTRAST


def test_the_shipped_examples_are_valid_logos():
    for name in (EXAMPLE_PNG, EXAMPLE_SVG):
        assert branding.check_logo("handouts.yaml", name).path == ROOT / name


def test_the_web_pages_show_the_logo_contact_lines_and_accent(tmp_path):
    settings = _settings(tmp_path, BRANDED.format(logo=EXAMPLE_SVG))
    report = build([SHIPPED_SOURCE], "site", settings, tmp_path / "out")
    assert not report.failed, [str(d) for d in report.diagnostics]
    site = tmp_path / "out" / "site"
    page = (site / "account-manager" / "index.html").read_text(encoding="utf-8")
    assert '<img class="logo" src="../assets/logo.svg" alt="">' in page
    assert "<p>No. 12, Street 123, Phnom Penh</p>" in page
    assert (site / "assets" / "logo.svg").read_bytes() == (ROOT / EXAMPLE_SVG).read_bytes()
    assert "--accent: #8a1c1c;" in (site / "assets" / "site.css").read_text(encoding="utf-8")
