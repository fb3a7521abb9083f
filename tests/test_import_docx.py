"""`import`: a DOCX edited in Word or LibreOffice comes back into its source, and only that."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import docx
import pytest
import yaml
from conftest import SHIPPED_SOURCE, write_source
from helpers_docx import (
    edit_docx,
    marked,
    new_paragraph_after,
    run,
    set_runs,
    w,
)
from lxml import etree
from system_tools import require

from pipeline import import_docx as import_docx_module
from pipeline import read_docx as read_docx_module
from pipeline.__main__ import main
from pipeline.build import build
from pipeline.config import load_settings
from pipeline.import_docx import LOCK_NAME, import_docx
from pipeline.khmer import NBSP, WORD_JOINER, ZWSP, bind_marks, insert_word_breaks
from pipeline.load import load_source
from pipeline.locks import hold
from pipeline.prepare import prepare
from pipeline.provenance import bookmark_name, field_path, id_marker
from pipeline.read_docx import DocxImportError, clean_text
from pipeline.validate import validate_sources

SHIPPED = yaml.safe_load(SHIPPED_SOURCE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """Return (source copied byte for byte, its DOCX)."""
    folder = tmp_path_factory.mktemp("import")
    sources = folder / "sources"
    sources.mkdir()
    source = sources / SHIPPED_SOURCE.name
    shutil.copyfile(SHIPPED_SOURCE, source)
    report = build([source], "docx", load_settings(), folder / "output")
    assert not report.failed, [str(d) for d in report.diagnostics]
    return source, folder / "output" / "docx" / "account-manager.docx"


@pytest.fixture
def source(built, tmp_path) -> Path:
    """Return a fresh byte-for-byte copy of the source, to import into."""
    folder = tmp_path / "sources"
    folder.mkdir()
    return Path(shutil.copy(built[0], folder / built[0].name))


NEW_TIP = "សួរ​សំណួរ​ឱ្យ​បាន​ច្រើន ។"  # a typed space before ។, and ZWSPs as a writer pastes
NEW_TIP_VALUE = "សួរសំណួរឱ្យបានច្រើន ។"
INTRO_EDIT = "អ្នកគ្រប់គ្រងគណនីគឺជាអ្នកជំនាញ ១០ ០០០រៀល ដែលរក្សាទំនាក់ទំនងជាមួយអតិថិជន។"


def word_edits(body) -> None:
    """The edits a writer makes in Word, stored as Word stores them."""
    # Changed text, in a run split in three (spell-check and autocorrect leave such runs).
    set_runs(marked(body, "tips[1]"), "ត្រូវ​មាន", "ការ​យល់​ដឹង", "អំពីទីផ្សារ។")
    # A new item: Enter at the end of the last tip.
    new_paragraph_after(marked(body, "tips[3]"), NEW_TIP)
    # A deleted item.
    gone = marked(body, "tips[0]")
    gone.getparent().remove(gone)
    # Bold added inside a paragraph: its text is unchanged.
    career = marked(body, "career_path[0]")
    text = "".join(t.text for t in career.iter(w("t")))
    set_runs(career, text[:10], (text[10:20], True), text[20:])
    # The introduction rewritten, with a number grouped by a space.
    set_runs(marked(body, "introduction[0]"), insert_word_breaks(bind_marks(INTRO_EDIT)))
    # A value's explanation changed; its bold term kept.
    item = marked(body, "values.items[1]")
    set_runs(item, ("ការលក់តម្រង់ទិស", True), "៖ ការលក់គឺជាការងារប្រចាំថ្ងៃ។")
    # Two career paragraphs swapped.
    first, second = marked(body, "career_path[0]"), marked(body, "career_path[1]")
    second.addnext(first)


def expected_after_word_edits() -> dict:
    data = yaml.safe_load(SHIPPED_SOURCE.read_text(encoding="utf-8"))
    data["tips"] = [data["tips"][1].replace(data["tips"][1], "ត្រូវមានការយល់ដឹងអំពីទីផ្សារ។"),
                    data["tips"][2], data["tips"][3], NEW_TIP_VALUE]
    data["introduction"] = [INTRO_EDIT]
    data["values"]["items"][1]["explanation"] = "ការលក់គឺជាការងារប្រចាំថ្ងៃ។"
    data["career_path"] = [data["career_path"][1], data["career_path"][0]]
    return data


# --- the unedited round trip -------------------------------------------------------------------


def test_unedited_docx_leaves_the_source_byte_identical(built, source):
    before = source.read_bytes()
    assert main(["import", str(built[1]), "--source", str(source)]) == 0
    assert source.read_bytes() == before
    result = import_docx(built[1], source)
    assert not result.changed and result.diff() == ""


def test_every_editable_paragraph_is_marked_with_its_field(built):
    content = read_docx_module.read_docx(built[1])
    assert content.id_markers == ("k_id_account_manager",)
    fields = [f for p in content.paragraphs for f in p.fields]
    assert fields == (["title", "title_other", "introduction[0]", "values.lead"]
                      + [f"values.items[{i}]" for i in range(6)]
                      + ["career_path[0]", "career_path[1]", "salary.narrative[0]"]
                      + [f"tips[{i}]" for i in range(4)])


def test_pdf_document_is_unchanged_by_provenance():
    handouts, _ = validate_sources([load_source(SHIPPED_SOURCE, SHIPPED_SOURCE.name)])
    doc = prepare(handouts[0], load_settings())
    tips = next(s for s in doc.sections if s.key == "tips").blocks[0]
    assert tips.paths == ("tips[0]", "tips[1]", "tips[2]", "tips[3]")
    values = next(s for s in doc.sections if s.key == "values").blocks[0]
    assert values.lead_path == "values.lead" and values.paths[2] == "values.items[2]"


@pytest.mark.parametrize("path", ["introduction[0]", "values.items[12]", "values.lead",
                                  "tips[3]", "career_path[1]", "salary.narrative[0]"])
def test_bookmark_names_encode_field_paths_both_ways(path):
    name = bookmark_name(path)
    assert field_path(name) == path and len(name) <= 40 and name[0].isalpha()


def test_a_long_id_is_marked_within_the_bookmark_limit():
    assert id_marker("account-manager") == "k_id_account_manager"
    long = id_marker("a" * 64)
    assert len(long) == 40 and long != id_marker("a" * 63 + "b")


def test_clean_text_removes_only_what_the_build_inserted():
    typed = f"ក{ZWSP}ខ{WORD_JOINER}គ{NBSP}។ ១០{NBSP}០០០រៀល a{NBSP}b"
    assert clean_text(typed) == f"កខគ ។ ១០ ០០០រៀល a{NBSP}b"


def test_a_line_break_or_tab_typed_in_a_paragraph_reads_as_a_space(built, source, tmp_path):
    def change(body):
        paragraph = marked(body, "tips[0]")
        set_runs(paragraph, "មួយ")
        end = paragraph.find(w("bookmarkEnd"))
        for tag, text in (("br", "ពីរ"), ("tab", "បី")):
            element = run(text)
            element.insert(0, etree.Element(w(tag)))
            end.addprevious(element)

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    assert yaml.safe_load(import_docx(edited, source).new_text)["tips"][0] == "មួយ ពីរ បី"


# --- edits -------------------------------------------------------------------------------------


def test_word_edits_come_back_as_the_intended_values(built, source, tmp_path, capsys):
    edited = edit_docx(built[1], tmp_path / "edited.docx", word_edits)
    assert main(["import", str(edited), "--source", str(source)]) == 0
    out = capsys.readouterr().out
    assert "\n-  - អភិវឌ្ឍ" in out and "\n+  - សួរសំណួរឱ្យបានច្រើន ។" in out
    text = source.read_text(encoding="utf-8")
    assert yaml.safe_load(text) == expected_after_word_edits()
    # Comments and layout stay: every line the edits did not touch is the same.
    assert text.startswith(SHIPPED_SOURCE.read_text(encoding="utf-8").split("introduction:")[0])
    assert "# Figures are written once" in text


def test_edits_made_through_python_docx_come_back(built, source, tmp_path):
    document = docx.Document(str(built[1]))
    by_field = {field_path(start.get(w("name"))): start.getparent()
                for start in document.element.body.iter(w("bookmarkStart"))}
    paragraphs = {p._p: p for p in document.paragraphs}
    tip = paragraphs[by_field["tips[3]"]]
    tip.add_run(" បន្ថែម").bold = True  # typed at the end, in bold
    added = paragraphs[by_field["tips[0]"]].insert_paragraph_before("គន្លឹះដំបូង។",
                                                                    style=tip.style)
    assert added.style.name == tip.style.name
    lead = paragraphs[by_field["values.lead"]]
    lead.runs[0].text = "ការណែនាំ"
    for run_ in lead.runs[1:]:
        run_.text = ""
    edited = tmp_path / "python-docx.docx"
    document.save(str(edited))
    data = yaml.safe_load(import_docx(edited, source).new_text)
    assert data["tips"] == ["គន្លឹះដំបូង។", *SHIPPED["tips"][:3], SHIPPED["tips"][3] + " បន្ថែម"]
    assert data["values"]["lead"] == "ការណែនាំ"


def test_dry_run_prints_the_diff_and_writes_nothing(built, source, tmp_path, capsys):
    edited = edit_docx(built[1], tmp_path / "edited.docx", word_edits)
    before = source.read_bytes()
    assert main(["import", str(edited), "--source", str(source), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"--- {source}\n+++ {source}\n@@ ")
    assert "not written (--dry-run)" in out
    assert source.read_bytes() == before


def test_the_source_is_found_by_the_docx_id(built, source, tmp_path):
    edited = edit_docx(built[1], tmp_path / "edited.docx", word_edits)
    assert main(["import", str(edited), "--sources", str(source.parent)]) == 0
    assert yaml.safe_load(source.read_text(encoding="utf-8")) == expected_after_word_edits()


def test_edited_khmer_prints_again_with_the_same_line_breaks(built, source, tmp_path):
    edited = edit_docx(built[1], tmp_path / "edited.docx", word_edits)
    source.write_text(import_docx(edited, source).new_text, encoding="utf-8")
    handouts, diagnostics = validate_sources([load_source(source, source.name)])
    assert handouts, [str(d) for d in diagnostics]
    value = handouts[0].tips[-1]
    assert value == NEW_TIP_VALUE and ZWSP not in value and NBSP not in value
    prepared = prepare(handouts[0], load_settings())
    tips = next(s for s in prepared.sections if s.key == "tips").blocks[0]
    # The typed space before ។ is bound again, and the words broken where ICU says.
    assert tips.items[-1] == "សួរ\u200bសំណួរ\u200bឱ្យ\u200bបានច្រើន\u00a0។"
    intro = next(s for s in prepared.sections if s.key == "introduction").blocks[0]
    assert f"១០{NBSP}០០០" in intro.paragraphs[0]


def test_a_salary_figure_typed_over_is_not_written_back(built, source, tmp_path, capsys):
    def change(body):
        paragraph = marked(body, "salary.narrative[0]")
        text = "".join(t.text for t in paragraph.iter(w("t")))
        set_runs(paragraph, text.replace("$43,000", "$45,000").replace("ប្រាក់ខែគោល", "ប្រាក់ខែ"))
        set_runs(marked(body, "tips[0]"), "គន្លឹះថ្មី។")

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    assert main(["import", str(edited), "--source", str(source)]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        'warning: edited.docx: under "ជួរប្រាក់បៀវត្សរ៍" ("ប្រាក់បៀវត្សរ៍របស់អ្នកគ្រប់គ្រងគណនីជា…"): '
        "the figure $43,000 was changed in the sentence of salary.narrative[0]; change the "
        "figure in `salary.base_min`, not in the sentence (that sentence is left as it was)\n")
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    assert data["salary"] == SHIPPED["salary"]
    assert data["tips"][0] == "គន្លឹះថ្មី។"
    assert "{base_min}" in source.read_text(encoding="utf-8").split("narrative:")[1]
    assert "\n-    - ប្រាក់" not in captured.out and "\n-  - អភិវឌ្ឍ" in captured.out


def test_a_salary_sentence_edited_around_its_figures_keeps_its_placeholders(built, source,
                                                                            tmp_path):
    def change(body):
        paragraph = marked(body, "salary.narrative[0]")
        text = clean_text("".join(t.text for t in paragraph.iter(w("t"))))
        set_runs(paragraph, text.replace("ប្រាក់រង្វាន់", "ប្រាក់រង្វាន់ {ផ្សេងៗ}"))

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    data = yaml.safe_load(import_docx(edited, source).new_text)
    narrative = SHIPPED["salary"]["narrative"][0]
    assert data["salary"]["narrative"] == [
        narrative.replace("ប្រាក់រង្វាន់", "ប្រាក់រង្វាន់ {{ផ្សេងៗ}}")]


def test_derived_text_is_locked_for_word_and_author_text_is_not(built):
    body = etree.fromstring(zipfile.ZipFile(built[1]).read("word/document.xml"))
    locked = ["".join(t.text for t in sdt.iter(w("t"))) for sdt in body.iter(w("sdt"))
              if sdt.find(f"{w('sdtPr')}/{w('lock')}").get(w("val")) == "sdtContentLocked"]
    assert [clean_text(text) for text in locked[:2]] == ["", "ស្កេនដើម្បីអានបន្ថែម"]  # QR code
    assert {"គន្លឹះដើម្បីជោគជ័យ", "ប្រាក់ខែគោល", "$62,000 ក្នុងមួយឆ្នាំ"} <= {
        clean_text(text) for text in locked}
    assert marked(body, "title").find(f".//{w('sdt')}") is None
    assert all(marked(body, f"tips[{i}]").find(f".//{w('sdt')}") is None for i in range(4))


def test_khmer_digit_figures_are_found_in_an_edited_sentence(tmp_path):
    (tmp_path / "sources").mkdir()
    source = write_source(tmp_path / "sources", {"digits": "khmer"})
    report = build([source], "docx", load_settings(), tmp_path / "output")
    assert not report.failed, [str(d) for d in report.diagnostics]
    built_docx = tmp_path / "output" / "docx" / "account-manager.docx"

    def change(body):
        paragraph = marked(body, "salary.narrative[0]")
        text = clean_text("".join(t.text for t in paragraph.iter(w("t"))))
        assert "$៤៣,០០០" in text
        set_runs(paragraph, "ថ្មី " + text)

    edited = edit_docx(built_docx, tmp_path / "edited.docx", change)
    data = yaml.safe_load(import_docx(edited, source).new_text)
    assert data["salary"]["narrative"] == ["ថ្មី " + SHIPPED["salary"]["narrative"][0]]


def test_text_typed_into_a_heading_fails_and_says_where(built, source, tmp_path):
    # As LibreOffice lets one do: it keeps the control's text, not its lock.
    def change(body):
        heading = next(p for p in body.iter(w("p"))
                       if "".join(t.text for t in p.iter(w("t"))).startswith("គន្លឹះ"))
        set_runs(heading, "ចំណងជើងថ្មី")

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    before = source.read_bytes()
    with pytest.raises(DocxImportError) as raised:
        import_docx(edited, source)
    assert str(raised.value) == (
        'edited.docx: the heading "ចំណងជើងថ្មី": ' + OUTSIDE + "; nothing written")
    assert main(["import", str(edited), "--source", str(source)]) == 1
    assert source.read_bytes() == before


OUTSIDE = ("this text is outside every part that is read back (headings, quick facts, "
           "references, the QR caption and footer come from the source's other fields, labels "
           "and figures); undo it in the DOCX, or change the source itself")


def starts_with(text: str):
    """Return a finder of the body paragraph whose text starts with text."""
    return lambda body: next(p for p in body.iter(w("p"))
                             if "".join(t.text for t in p.iter(w("t"))).startswith(text))


# Word counts paragraphs differently (tables, headings, empty lines): a message names the
# heading a paragraph is under, and its first words, as the reader sees them.
@pytest.mark.parametrize(("find", "typed", "where"), [
    (starts_with("Glassdoor"), "Glassdoor. Account Manager, edited.",
     'under "ឯកសារយោង" ("Glassdoor. Account Manager, edited.")'),
    (starts_with("សហរដ្ឋ"), "កម្ពុជា", 'under "ព័ត៌មានសង្ខេប" ("កម្ពុជា")'),  # in a table
    (starts_with("ស្កេន"), "Scan me", 'at the top, above the first heading ("Scan me")'),
    (starts_with("ស្កេន"), "ស្កេនកូដនេះដើម្បីអានព័ត៌មានបន្ថែមអំពីអាជីពនេះនៅលើគេហទំព័រ",
     'at the top, above the first heading ("ស្កេនកូដនេះដើម្បីអានព័ត៌មានបន្ថែមអំពី…")'),
])
def test_a_refused_paragraph_is_named_by_its_heading_and_first_words(built, source, tmp_path,
                                                                     capsys, find, typed,
                                                                     where):
    edited = edit_docx(built[1], tmp_path / "edited.docx",
                       lambda body: set_runs(find(body), typed))
    before = source.read_bytes()
    assert main(["import", str(edited), "--source", str(source)]) == 1
    assert capsys.readouterr().err == f"error: edited.docx: {where}: {OUTSIDE}; nothing written\n"
    assert source.read_bytes() == before


def test_a_term_without_its_separator_is_refused(built, source, tmp_path):
    edited = edit_docx(built[1], tmp_path / "edited.docx",
                       lambda body: set_runs(marked(body, "values.items[0]"), "គ្មានសញ្ញា"))
    with pytest.raises(DocxImportError) as raised:
        import_docx(edited, source)
    assert str(raised.value) == ('edited.docx: under "តម្លៃអាជីព លក្ខណៈ និងជំនាញ" ("គ្មានសញ្ញា"): '
                                 "a value needs its term, then '៖', then the explanation; "
                                 "nothing written")


def test_a_new_term_item_is_written_as_term_and_explanation(built, source, tmp_path):
    edited = edit_docx(built[1], tmp_path / "edited.docx", lambda body: new_paragraph_after(
        marked(body, "values.items[5]"), ("ភាពអត់ធ្មត់", True), "៖ ស្តាប់អតិថិជន។"))
    data = yaml.safe_load(import_docx(edited, source).new_text)
    assert data["values"]["items"][-1] == {"term": "ភាពអត់ធ្មត់", "explanation": "ស្តាប់អតិថិជន។"}
    assert data["values"]["items"][:-1] == SHIPPED["values"]["items"]


def test_a_docx_older_than_its_source_is_refused_unless_forced(built, source, tmp_path):
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("ក្រុមហ៊ុន។\n", "ក្រុមហ៊ុនថ្មី។\n", 1), encoding="utf-8")
    edited = edit_docx(built[1], tmp_path / "edited.docx",
                       lambda body: set_runs(marked(body, "tips[0]"), "គន្លឹះថ្មី។"))
    with pytest.raises(DocxImportError, match="has changed since edited.docx was made, and "
                                              "importing would undo those changes"):
        import_docx(edited, source)
    data = yaml.safe_load(import_docx(edited, source, force=True).new_text)
    assert data["tips"][0] == "គន្លឹះថ្មី។"
    assert data["tips"][3] == SHIPPED["tips"][3]


def drop_version_marker(body) -> None:
    """Delete the version bookmark, as Word's Insert → Bookmark → Delete does."""
    start = next(s for s in body.iter(w("bookmarkStart"))
                 if s.get(w("name")).startswith("k_v_"))
    end = next(e for e in body.iter(w("bookmarkEnd")) if e.get(w("id")) == start.get(w("id")))
    for element in (start, end):
        element.getparent().remove(element)


REDO = ("make the DOCX again (make docx) and redo the edits in it, or import with --force "
        "(make import FORCE=1) to let the DOCX's text win; nothing written")


def test_a_docx_without_its_version_marker_is_refused_unless_forced(built, source, tmp_path,
                                                                   capsys):
    # Without the marker nothing shows the DOCX is as new as the source: it may undo edits.
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("ក្រុមហ៊ុន។\n", "ក្រុមហ៊ុនថ្មី។\n", 1), encoding="utf-8")
    before = source.read_bytes()

    def change(body):
        drop_version_marker(body)
        set_runs(marked(body, "tips[0]"), "គន្លឹះថ្មី។")

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    assert read_docx_module.read_docx(edited).version_markers == ()
    assert main(["import", str(edited), "--source", str(source)]) == 1
    assert capsys.readouterr().err == (
        "error: edited.docx has lost its version marker (an invisible bookmark named k_v_…, "
        "deleted in Word's Bookmark list or by another program), so it cannot show that "
        f"{source} has not changed since it was made; {REDO}\n")
    assert source.read_bytes() == before
    assert main(["import", str(edited), "--source", str(source), "--force"]) == 0
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    assert data["tips"][0] == "គន្លឹះថ្មី។"
    assert data["tips"][3] == SHIPPED["tips"][3]  # the newer edit undone, as --force says


# Two imports started together, each slowed between reading the source and writing it (so
# that they overlap whatever the machine's load) and released at once by a barrier.
RACER = """
import sys, time
from pathlib import Path
import pipeline.import_docx as module
from pipeline.__main__ import main
mine, theirs, *argv = sys.argv[1:]
check = module._check
def slow_check(*args, **kwargs):
    time.sleep(1)
    return check(*args, **kwargs)
module._check = slow_check
Path(mine).touch()
deadline = time.monotonic() + 60
while not Path(theirs).exists() and time.monotonic() < deadline:
    time.sleep(0.01)
sys.exit(main(argv))
"""


def test_two_imports_at_once_never_lose_an_edit(built, source, tmp_path):
    edits = {"a": ("tips[1]", "គន្លឹះថ្មី។"), "b": ("title_other", "Key Account Manager")}
    for name, (path, text) in edits.items():
        edit_docx(built[1], tmp_path / f"{name}.docx",
                  lambda body, path=path, text=text: set_runs(marked(body, path), text))
    racers = {name: subprocess.Popen(
        [sys.executable, "-c", RACER, f"{name}.ready", f"{other}.ready", "import",
         f"{name}.docx", "--sources", "sources"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, other in (("a", "b"), ("b", "a"))}
    results = {name: (*racer.communicate(timeout=300), racer.returncode)
               for name, racer in racers.items()}
    assert sorted(code for _, _, code in results.values()) == [0, 1], results
    winner = next(name for name, (_, _, code) in results.items() if code == 0)
    loser = "b" if winner == "a" else "a"
    display = "sources/account-manager.yaml"
    assert results[winner][0].endswith(f"{display}: written from {winner}.docx\n")
    waiting, error = results[loser][1].splitlines()
    assert re.fullmatch(rf"{loser}\.docx: waiting for process \d+ \(import of "
                        rf"{winner}\.docx into {display}\) to finish", waiting)
    assert error == (f"error: {display} has changed since {loser}.docx was made, and "
                     f"importing would undo those changes; {REDO}")
    expected = copy.deepcopy(SHIPPED)
    path, text = edits[winner]
    if path == "title_other":
        expected["title_other"] = text
    else:
        expected["tips"][1] = text
    assert yaml.safe_load(source.read_text(encoding="utf-8")) == expected
    assert not (source.parent / LOCK_NAME).exists()


def test_an_import_waits_while_another_holds_the_lock(built, source, tmp_path):
    edit_docx(built[1], tmp_path / "edited.docx",
              lambda body: set_runs(marked(body, "tips[0]"), "គន្លឹះថ្មី។"))
    before = source.read_bytes()
    with hold(source.parent / LOCK_NAME, "import of other.docx into sources/x.yaml"):
        process = subprocess.Popen([sys.executable, "-m", "pipeline", "import", "edited.docx",
                                    "--sources", "sources"], cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stderr.readline() == (
            f"edited.docx: waiting for process {os.getpid()} (import of other.docx into "
            "sources/x.yaml) to finish\n")
        time.sleep(0.5)
        assert process.poll() is None and source.read_bytes() == before
    out, err = process.communicate(timeout=120)
    assert (process.returncode, err) == (0, "")
    assert out.endswith("sources/account-manager.yaml: written from edited.docx\n")
    assert yaml.safe_load(source.read_text(encoding="utf-8"))["tips"][0] == "គន្លឹះថ្មី។"


def test_an_import_gives_up_after_its_wait_and_a_dry_run_does_not_wait(built, source,
                                                                       tmp_path, capsys,
                                                                       monkeypatch):
    monkeypatch.setattr(import_docx_module, "LOCK_WAIT_SECONDS", 0.2)
    edited = edit_docx(built[1], tmp_path / "edited.docx",
                       lambda body: set_runs(marked(body, "tips[0]"), "គន្លឹះថ្មី។"))
    before = source.read_bytes()
    with hold(source.parent / LOCK_NAME, "import of other.docx into sources/x.yaml"):
        assert main(["import", str(edited), "--source", str(source)]) == 1
        assert capsys.readouterr().err == (
            f"{edited}: waiting for process {os.getpid()} (import of other.docx into "
            "sources/x.yaml) to finish\n"
            f"error: {source.parent} is busy: process {os.getpid()} (import of other.docx into "
            f"sources/x.yaml) still holds its lock after 0 s; try the import of edited.docx "
            f"into {source} again when it has finished\n")
        assert source.read_bytes() == before
        # A dry run writes nothing: it need not wait.
        assert main(["import", str(edited), "--source", str(source), "--dry-run"]) == 0
        assert capsys.readouterr().out.endswith(f"{source}: not written (--dry-run)\n")


def test_a_source_saved_during_the_import_is_not_overwritten(built, source, tmp_path, capsys,
                                                             monkeypatch):
    edited = edit_docx(built[1], tmp_path / "edited.docx",
                       lambda body: set_runs(marked(body, "tips[0]"), "គន្លឹះថ្មី។"))
    saved = source.read_text(encoding="utf-8").replace("ក្រុមហ៊ុន។\n", "ក្រុមហ៊ុនថ្មី។\n", 1)
    check = import_docx_module._check

    def save_then_check(*args, **kwargs):
        # An editor saves the YAML in the middle of the import: editors take no lock.
        source.write_text(saved, encoding="utf-8")
        return check(*args, **kwargs)

    monkeypatch.setattr(import_docx_module, "_check", save_then_check)
    assert main(["import", str(edited), "--source", str(source)]) == 1
    assert capsys.readouterr().err == (
        f"error: {source} changed while edited.docx was being imported (saved by an editor or "
        "another program); nothing written: import again to see the DOCX's edits against the "
        "new text\n")
    assert source.read_text(encoding="utf-8") == saved


def test_enter_inside_an_item_splits_it_into_two_items(built, source, tmp_path):
    # Word keeps the bookmark's start in the first half and moves its end into the second.
    def change(body):
        tip = marked(body, "tips[1]")
        set_runs(tip, "ផ្នែកទីមួយ។")
        second = new_paragraph_after(tip, "ផ្នែកទីពីរ។")
        second.append(tip.find(w("bookmarkEnd")))

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    data = yaml.safe_load(import_docx(edited, source).new_text)
    assert data["tips"] == [SHIPPED["tips"][0], "ផ្នែកទីមួយ។", "ផ្នែកទីពីរ។", *SHIPPED["tips"][2:]]


def test_a_retyped_first_item_that_lost_its_bookmark_is_still_that_item(built, source,
                                                                        tmp_path):
    # Word may drop a bookmark whose whole text is typed over.
    def change(body):
        tip = marked(body, "tips[0]")
        for element in (*tip.findall(w("bookmarkStart")), *tip.findall(w("bookmarkEnd"))):
            tip.remove(element)
        set_runs(tip, "គន្លឹះថ្មី។")

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    data = yaml.safe_load(import_docx(edited, source).new_text)
    assert data["tips"] == ["គន្លឹះថ្មី។", *SHIPPED["tips"][1:]]


def test_the_titles_are_read_back(built, source, tmp_path):
    def change(body):
        set_runs(marked(body, "title"), "អ្នកគ្រប់គ្រង​គណនី​អតិថិជន")
        set_runs(marked(body, "title_other"), "Key Account Manager")

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    data = yaml.safe_load(import_docx(edited, source).new_text)
    assert (data["title"], data["title_other"]) == ("អ្នកគ្រប់គ្រងគណនីអតិថិជន",
                                                    "Key Account Manager")


def test_an_item_whose_text_was_deleted_goes(built, source, tmp_path):
    edited = edit_docx(built[1], tmp_path / "edited.docx",
                       lambda body: set_runs(marked(body, "tips[2]")))
    data = yaml.safe_load(import_docx(edited, source).new_text)
    assert data["tips"] == [*SHIPPED["tips"][:2], SHIPPED["tips"][3]]


def test_a_second_paragraph_in_the_values_lead_is_refused(built, source, tmp_path):
    edited = edit_docx(built[1], tmp_path / "edited.docx",
                       lambda body: new_paragraph_after(marked(body, "values.lead"), "ថ្មី"))
    with pytest.raises(DocxImportError, match=r"values.lead is one paragraph; join the new "
                                              "paragraph to it; nothing written"):
        import_docx(edited, source)


def test_two_items_joined_into_one_paragraph_become_one_item(built, source, tmp_path):
    def change(body):
        first, second = marked(body, "tips[1]"), marked(body, "tips[2]")
        for child in list(second):
            if child.tag != w("pPr"):
                first.append(child)
        body.remove(second) if second.getparent() is body else second.getparent().remove(second)

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    data = yaml.safe_load(import_docx(edited, source).new_text)
    assert data["tips"] == [SHIPPED["tips"][0], SHIPPED["tips"][1] + SHIPPED["tips"][2],
                            SHIPPED["tips"][3]]


def test_reordered_values_keep_their_terms_and_explanations(built, source, tmp_path):
    def change(body):
        marked(body, "values.items[5]").addnext(marked(body, "values.items[0]"))

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    data = yaml.safe_load(import_docx(edited, source).new_text)
    items = SHIPPED["values"]["items"]
    assert data["values"]["items"] == [*items[1:], items[0]]


def test_a_result_with_errors_is_shown_and_not_written(built, source, tmp_path, capsys):
    def change(body):
        for i in range(4):
            tip = marked(body, f"tips[{i}]")
            tip.getparent().remove(tip)

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    before = source.read_bytes()
    assert main(["import", str(edited), "--source", str(source)]) == 1
    captured = capsys.readouterr()
    assert "not written: the edited source would have errors" in captured.err
    assert source.read_bytes() == before


def test_quoting_and_block_scalars_of_the_source_are_respected(built, tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    source = folder / "account-manager.yaml"
    text = SHIPPED_SOURCE.read_text(encoding="utf-8")
    tips = SHIPPED["tips"]
    text = text.replace(f"  - {tips[0]}\n", f"  - '{tips[0]}'\n")
    text = text.replace(f"  - {tips[1]}\n", "  - |\n    " + tips[1].replace(" ", "\n    ", 1)
                        + "\n")
    source.write_text(text, encoding="utf-8")
    assert not import_docx(built[1], source, force=True).changed

    def change(body):
        set_runs(marked(body, "tips[0]"), "គន្លឹះ 'ថ្មី'។")
        set_runs(marked(body, "tips[1]"), "គន្លឹះ: ទីពីរ")

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    new = import_docx(edited, source, force=True).new_text
    assert "  - 'គន្លឹះ ''ថ្មី''។'\n" in new and '  - "គន្លឹះ: ទីពីរ"\n' in new
    assert yaml.safe_load(new)["tips"] == ["គន្លឹះ 'ថ្មី'។", "គន្លឹះ: ទីពីរ", *tips[2:]]


# --- refused input -----------------------------------------------------------------------------


def test_docx_of_another_handout_is_refused(built, source, tmp_path):
    other = source.parent / "designer.yaml"
    shutil.copy(source, other)
    with pytest.raises(DocxImportError, match="is the DOCX of the handout 'account-manager', "
                                              "not of"):
        import_docx(built[1], other)


def test_docx_without_markers_is_refused(source, tmp_path):
    plain = tmp_path / "plain.docx"
    document = docx.Document()
    document.add_paragraph("hello")
    document.save(plain)
    with pytest.raises(DocxImportError, match="carries no handout markers"):
        import_docx(plain, source)


def test_pending_tracked_changes_are_refused(built, source, tmp_path):
    def change(body):
        paragraph = marked(body, "tips[0]")
        inserted = etree.SubElement(paragraph, w("ins"))
        inserted.set(w("id"), "99")
        inserted.set(w("author"), "Sokha")
        inserted.append(run("ថ្មី"))

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    with pytest.raises(DocxImportError, match=r"tracked changes still pending \(by Sokha\); "
                                              "accept or reject them"):
        import_docx(edited, source)


@pytest.mark.parametrize(("data", "message"), [
    (b"not a zip at all", "not a DOCX file, or a damaged one"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "password-protected"),
])
def test_corrupt_or_encrypted_files_are_refused(source, tmp_path, data, message):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(data)
    before = source.read_bytes()
    with pytest.raises(DocxImportError, match=message):
        import_docx(bad, source)
    assert main(["import", str(bad), "--source", str(source)]) == 1
    assert source.read_bytes() == before


def test_damaged_document_xml_is_refused(built, source, tmp_path):
    bad = tmp_path / "bad.docx"
    with zipfile.ZipFile(built[1]) as package, zipfile.ZipFile(bad, "w") as out:
        for info in package.infolist():
            data = package.read(info)
            out.writestr(info.filename, data[:500] if info.filename == "word/document.xml"
                         else data)
    with pytest.raises(DocxImportError, match="damaged"):
        import_docx(bad, source)


def test_strict_open_xml_is_refused_with_advice(built, source, tmp_path):
    strict = tmp_path / "strict.docx"
    with zipfile.ZipFile(built[1]) as package, zipfile.ZipFile(strict, "w") as out:
        for info in package.infolist():
            data = package.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"http://schemas.openxmlformats.org/wordprocessingml/2006/"
                                    b"main", b"http://purl.oclc.org/ooxml/wordprocessingml/main")
            out.writestr(info.filename, data)
    with pytest.raises(DocxImportError, match="saved as Strict Open XML"):
        import_docx(strict, source)


def test_a_file_over_the_size_limit_is_refused(built, source, monkeypatch):
    monkeypatch.setattr(read_docx_module, "MAX_DOCX_BYTES", 1000)
    with pytest.raises(DocxImportError, match="over the 0 MB limit"):
        import_docx(built[1], source)


# --- LibreOffice -------------------------------------------------------------------------------


def libreoffice_resave(path: Path, folder: Path) -> Path:
    """Open and save a DOCX as DOCX in LibreOffice, with a fresh profile, into folder."""
    require("soffice")
    folder.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-", dir=folder))
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "docx", "--outdir", str(folder), str(path)],
        capture_output=True, timeout=300, env=dict(os.environ))
    out = folder / path.name
    assert result.returncode == 0 and out.exists(), result.stdout + result.stderr
    return out


@pytest.mark.needs("soffice")
def test_word_edits_survive_a_libreoffice_save(built, source, tmp_path):
    edited = edit_docx(built[1], tmp_path / "edited.docx", word_edits)
    resaved = libreoffice_resave(edited, tmp_path / "libreoffice")
    assert resaved.read_bytes() != edited.read_bytes()
    result = import_docx(resaved, source)
    assert not result.errors, [str(d) for d in result.diagnostics]
    assert yaml.safe_load(result.new_text) == expected_after_word_edits()


def structure_edits(body) -> None:
    """Split tips[1] (Enter inside it), join career_path[1] into [0], move a value last."""
    tip = marked(body, "tips[1]")
    set_runs(tip, "ផ្នែកទីមួយ។")
    second = new_paragraph_after(tip, "ផ្នែកទីពីរ។")
    second.append(tip.find(w("bookmarkEnd")))
    first, other = marked(body, "career_path[0]"), marked(body, "career_path[1]")
    for child in list(other):
        if child.tag != w("pPr"):
            first.append(child)
    other.getparent().remove(other)
    marked(body, "values.items[5]").addnext(marked(body, "values.items[0]"))


@pytest.mark.needs("soffice")
def test_structure_edits_survive_a_libreoffice_save(built, source, tmp_path):
    edited = edit_docx(built[1], tmp_path / "edited.docx", structure_edits)
    expected = yaml.safe_load(import_docx(edited, source).new_text)
    tips, career, items = SHIPPED["tips"], SHIPPED["career_path"], SHIPPED["values"]["items"]
    assert expected["tips"] == [tips[0], "ផ្នែកទីមួយ។", "ផ្នែកទីពីរ។", *tips[2:]]
    assert expected["career_path"] == [career[0] + career[1]]
    assert expected["values"]["items"] == [*items[1:], items[0]]
    resaved = libreoffice_resave(edited, tmp_path / "libreoffice")
    assert yaml.safe_load(import_docx(resaved, source).new_text) == expected


@pytest.mark.needs("soffice")
def test_unedited_docx_saved_by_libreoffice_changes_nothing(built, source, tmp_path):
    resaved = libreoffice_resave(built[1], tmp_path / "libreoffice")
    assert not import_docx(resaved, source).changed


# --- derived text the rest of the pipeline adds: "see also", the office's contact block ----


def test_an_unedited_docx_with_see_also_and_branding_changes_nothing(tmp_path):
    folder = tmp_path / "sources"
    shutil.copytree(SHIPPED_SOURCE.parent, folder)
    handouts = tmp_path / "handouts.yaml"
    handouts.write_text("organisation: Test Office\ncontact: [No. 12, Street 123]\n"
                        "logo: branding/example-logo.png\n", encoding="utf-8")
    settings = load_settings(handouts)
    for name in ("software-developer", "account-manager"):  # suggests another; branded
        source = folder / f"{name}.yaml"
        before = source.read_bytes()
        report = build([source], "docx", settings, tmp_path / "out")
        assert not report.failed, [str(d) for d in report.diagnostics]
        result = import_docx(tmp_path / "out" / "docx" / f"{name}.docx", source,
                             settings=settings)
        assert not result.changed, name
        assert source.read_bytes() == before


def test_a_quick_fact_typed_by_the_author_is_edited_in_word(tmp_path):
    """Education, experience, training and outlook are the author's: Word edits come back."""
    sources = tmp_path / "sources"
    sources.mkdir()
    source = sources / "software-developer.yaml"
    for name in ("software-developer.yaml", "account-manager.yaml"):  # it suggests the other
        shutil.copyfile(SHIPPED_SOURCE.parent / name, sources / name)
    report = build([source], "docx", load_settings(), tmp_path / "output")
    assert not report.failed, [str(d) for d in report.diagnostics]
    built = tmp_path / "output" / "docx" / "software-developer.docx"
    edited = edit_docx(built, tmp_path / "edited.docx", lambda body: set_runs(
        marked(body, "outlook"), "Growing fast"))
    before = source.read_text(encoding="utf-8")
    result = import_docx(edited, source)
    assert result.new_text == before.replace("outlook: Growing much faster than average",
                                             "outlook: Growing fast")
    # The label beside it is derived text: it stays locked, and is not read back.
    assert import_docx(built, source).new_text == before
