"""The fair's table poster: every QR code decodes, from the printed page, to its career."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from conftest import write_fair_project
from PIL import Image
from system_tools import run_tool

from pipeline.build import build
from pipeline.config import load_settings
from pipeline.errors import SetupError
from pipeline.fair import Arranged, Fair
from pipeline.render_poster import GRIDS, render_poster

FAIR = "name: ពិព័រណ៍អាជីព\nname_other: Career Fair\ndate: 2027-02-20\nvenue: ភ្នំពេញ\n"
ORDER = ["pharmacist", "account-manager", "designer"]  # Khmer dictionary order
DPI = 150


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("poster")
    files = write_fair_project(root)
    (root / "fairs").mkdir()
    (root / "fairs" / "fair.yaml").write_text(FAIR, encoding="utf-8")
    return root, files


def codes(pdf: Path, page: int = 1, dpi: int = DPI) -> list:
    """Return the QR codes a reader finds on a page, in reading order (rows, then columns)."""
    prefix = pdf.with_suffix("")
    run_tool("pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
        str(pdf), str(prefix))
    found = zxingcpp.read_barcodes(Image.open(f"{prefix}.png"))
    assert all(code.format == zxingcpp.BarcodeFormat.QRCode for code in found)
    return sorted(found, key=lambda c: (round(c.position.top_left.y / 50),
                                        c.position.top_left.x))


@pytest.mark.needs("pdftoppm")
def test_every_code_decodes_to_the_configured_online_page(project):
    root, files = project
    settings = load_settings(online_url="https://jobs.example.org/careers/{id}")
    report = build(files, ["poster"], settings, root / "online")
    assert not report.failed, [str(d) for d in report.diagnostics]
    poster = root / "online" / "poster" / "fair.pdf"
    assert len(pypdf.PdfReader(poster).pages) == 1
    found = codes(poster)
    assert [code.text for code in found] == [
        f"https://jobs.example.org/careers/{handout_id}" for handout_id in ORDER]
    for code in found:  # at least 20 mm wide, the quiet zone not even counted
        width = code.position.top_right.x - code.position.top_left.x
        assert width / DPI * 25.4 >= 20


@pytest.mark.needs("pdftoppm")
def test_without_an_online_page_the_codes_go_to_each_handouts_address(project):
    root, files = project
    report = build(files, ["poster"], load_settings(online_url=""), root / "own")
    assert not report.failed
    poster = root / "own" / "poster" / "fair.pdf"
    assert [code.text for code in codes(poster)] == [
        "https://example.org/pharmacist",
        "https://www.glassdoor.com/Job-Description/Account-Manager.htm",
        "https://example.org/designer"]
    text = pypdf.PdfReader(poster).pages[0].extract_text()
    assert "Pharmacist" in text and "Designer" in text and "Career Fair" in text


def _many(project, count: int) -> Arranged:
    """Return a fair of `count` careers: copies of the shipped handout under other ids."""
    from pipeline.load import load_source
    from pipeline.prepare import prepare
    from pipeline.validate import validate_source

    root, files = project
    handout, _ = validate_source(load_source(files[0]))
    doc = prepare(handout, load_settings())
    fair = Fair("many", "ពិព័រណ៍", None, date(2027, 2, 20), None, "ភ្នំពេញ", "Office", (),
                root / "many.yaml")
    docs = tuple(dataclasses.replace(doc, id=f"career-{n}", qr_url=f"https://x.org/{n}")
                 for n in range(count))
    return Arranged(fair, ((None, docs),))


@pytest.mark.needs("pdftoppm")
def test_more_careers_than_a_sheet_holds_run_onto_more_sheets(project, tmp_path):
    assert GRIDS["A4"].per_sheet == 12
    arranged = _many(project, 13)
    poster = tmp_path / "many.pdf"
    poster.write_bytes(render_poster(arranged, load_settings(online_url="")).data)
    reader = pypdf.PdfReader(poster)
    assert len(reader.pages) == 2
    # Each sheet has the fair's heading; the first holds a full grid, the second the rest.
    assert all("ពិព័រណ៍" in page.extract_text() for page in reader.pages)
    assert [c.text for c in codes(poster, 1, 100)] == [f"https://x.org/{n}" for n in range(12)]
    assert [c.text for c in codes(poster, 2, 100)] == ["https://x.org/12"]


@pytest.mark.needs("pdftoppm")
@pytest.mark.parametrize(("size", "per_sheet", "mm"), [
    ("A3", 20, (297, 420)), ("Letter", 12, (216, 279)), ("A5", 4, (148, 210))])
def test_each_sheet_size_holds_its_stated_number_of_careers(project, tmp_path, size,
                                                            per_sheet, mm):
    assert GRIDS[size].per_sheet == per_sheet
    poster = tmp_path / "sheet.pdf"
    poster.write_bytes(render_poster(_many(project, per_sheet),
                                     load_settings(online_url="", page_size=size)).data)
    reader = pypdf.PdfReader(poster)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == mm
    assert len(codes(poster, 1, 100)) == per_sheet


def test_a3_is_for_the_poster_only(project, tmp_path):
    _, files = project
    with pytest.raises(SetupError) as error:
        build(files, ["pdf", "poster"], load_settings(page_size="A3"), tmp_path / "out")
    assert str(error.value) == ("page size A3 is not made for pdf; use one of A4, A5, Letter")
