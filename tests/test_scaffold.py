"""`make new`: a new source from the declarations, its DOCX filled in Word, imported back."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from pipeline import schema
from pipeline.__main__ import main
from pipeline.load import load_source
from pipeline.scaffold import new_source
from pipeline.validate import validate_sources

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("language", ["km", "en"])
def test_a_new_source_holds_every_field_and_only_template_warnings(tmp_path, language):
    path = tmp_path / "nurse.yaml"
    path.write_text(new_source("nurse", language), encoding="utf-8")
    _, diagnostics = validate_sources([load_source(path)])
    assert diagnostics, "a new source is visibly unfinished"
    assert {d.rule for d in diagnostics} == {"text.template"}
    text = path.read_text(encoding="utf-8")
    for name, field in schema.HANDOUT.fields.items():
        written = re.search(rf"^(# )?{name}:", text, re.MULTILINE) or f"'{name}:'" in text
        assert written, f"{name} is missing"
        assert bool(re.search(rf"^{name}:", text, re.MULTILINE)) == field.required
    assert re.search(r"^language: " + language + "$", text, re.MULTILINE)
    assert schema.TEMPLATE_TEXT[language] in text


def test_a_title_given_is_written_as_typed(tmp_path):
    path = tmp_path / "nurse.yaml"
    path.write_text(new_source("nurse", "km", 'គិលានុបដ្ឋាក "ICU" #1: night'), encoding="utf-8")
    [handout], _ = validate_sources([load_source(path)])
    assert handout.title == 'គិលានុបដ្ឋាក "ICU" #1: night'


@pytest.mark.parametrize(("arguments", "message"), [
    (["Nurse_1"], "error: 'Nurse_1' is not a handout id: use lower-case letters, digits and "
                  "single hyphens, at most 64 characters (for example account-manager); "
                  "nothing written\n"),
    (["nurse", "--language", "fr"], "error: unknown language 'fr'; use one of km, en; nothing "
                                    "written\n"),
    (["account-manager"], "error: {sources}/account-manager.yaml already exists; choose "
                          "another id, or edit that source; nothing written\n"),
    (["nurse", "--title", "a\x07b"], "error: 'title' holds control character U+0007 "
                                     "(written as an escape); delete it; nothing written\n"),
])
def test_new_refuses_and_writes_nothing(tmp_path, capsys, arguments, message):
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(ROOT / "sources" / "account-manager.yaml", sources)
    before = sorted(p.name for p in sources.iterdir())
    status = main(["new", *arguments, "--sources", str(sources), "--out", str(tmp_path / "o")])
    assert status == 1
    assert capsys.readouterr().err == message.format(sources=sources)
    assert sorted(p.name for p in sources.iterdir()) == before
    assert not (tmp_path / "o").exists()


def _fill(paragraph, text: str) -> None:
    """Type over a paragraph's text as Word does: its runs change, its bookmarks stay."""
    runs = paragraph.runs
    runs[0].text = text
    for run in runs[1:]:
        run.text = ""


def _paragraphs(document):
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_new_then_word_then_import_then_pdf(tmp_path):
    """The office's path: make new, fill the DOCX in Word, make import, make pdf."""
    import pypdfium2

    sources, out = tmp_path / "sources", tmp_path / "output"
    made = subprocess.run(["make", "--no-print-directory", "new", "ID=nurse",
                           "TITLE=គិលានុបដ្ឋាក", f"SOURCES_DIR={sources}",
                           f"OUTPUT_DIR={out}"], cwd=ROOT, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    built = out / "docx" / "nurse.docx"
    assert f"    make import DOCX={built}\n" in made.stdout
    document = docx.Document(str(built))
    filled = 0
    for paragraph in _paragraphs(document):
        # (The DOCX carries invisible word breaks: a reader sees the text without them.)
        if schema.TEMPLATE_TEXT["km"] in re.sub("[\u200b\u2060]", "", paragraph.text):
            filled += 1
            # A value keeps its term, the separator and the explanation.
            term = "ពាក្យ៖ " if "៖" in paragraph.text else ""
            _fill(paragraph, f"{term}អត្ថបទទី{filled}។")
    # introduction, lead, the value (term and explanation), career path, salary, tip
    assert filled == 6
    edited = tmp_path / "nurse (filled).docx"
    document.save(str(edited))
    imported = subprocess.run(["make", "--no-print-directory", "import", f"DOCX={edited}",
                               f"SOURCES_DIR={sources}"], cwd=ROOT, capture_output=True,
                              text=True)
    assert imported.returncode == 0, imported.stderr
    # What is left to write is what Word does not edit: the references' small print.
    _, diagnostics = validate_sources([load_source(sources / "nurse.yaml")])
    assert [d.message for d in diagnostics] == [
        f"template text still in '{name}'; write the handout's own text"
        for name in ("publisher", "title", "url")]
    pdf = subprocess.run(["make", "--no-print-directory", "pdf", f"SOURCES_DIR={sources}",
                          f"OUTPUT_DIR={out}", "JOBS=1"], cwd=ROOT, capture_output=True,
                         text=True)
    assert pdf.returncode == 0, pdf.stderr
    pages = pypdfium2.PdfDocument(str(out / "pdf" / "nurse.pdf"))
    printed = "".join(page.get_textpage().get_text_range() for page in pages)
    for number in range(1, filled + 1):
        assert f"អត្ថបទទី{number}។" in printed
