"""`read_docx`: every node that carries text is read or refused; files and parts have limits."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
import yaml
from conftest import SHIPPED_SOURCE
from helpers_docx import edit_docx, marked, run, w
from lxml import etree

from pipeline import read_docx as read_docx_module
from pipeline.__main__ import main
from pipeline.build import build
from pipeline.config import load_settings
from pipeline.import_docx import import_docx
from pipeline.read_docx import DocxImportError

SHIPPED = yaml.safe_load(SHIPPED_SOURCE.read_text(encoding="utf-8"))
XI = "http://www.w3.org/2001/XInclude"
MATH = "http://schemas.openxmlformats.org/officeDocument/2006/math"
VML = "urn:schemas-microsoft-com:vml"
# Where a refusal says tips[0] is, and tips[1] (the tips' heading, the first words).
TIP_0 = 'under "គន្លឹះដើម្បីជោគជ័យ" ("អភិវឌ្ឍជំនាញអន្តរបុគ្គលដ៏រឹងមាំ និង…")'


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """Return (source copied byte for byte, its DOCX)."""
    folder = tmp_path_factory.mktemp("read")
    (folder / "sources").mkdir()
    source = Path(shutil.copy(SHIPPED_SOURCE, folder / "sources" / SHIPPED_SOURCE.name))
    report = build([source], "docx", load_settings(), folder / "output")
    assert not report.failed, [str(d) for d in report.diagnostics]
    return source, folder / "output" / "docx" / "account-manager.docx"


@pytest.fixture
def source(built, tmp_path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    return Path(shutil.copy(built[0], folder / built[0].name))


def at_text_start(paragraph, node) -> None:
    """Put node first inside the paragraph's first w:t, before its text."""
    text = next(paragraph.iter(w("t")))
    node.tail, text.text = text.text, None
    text.insert(0, node)


def refused(edited: Path, source: Path, capsys) -> str:
    """Import through the CLI; check it refused with one line and wrote nothing."""
    before = source.read_bytes()
    assert main(["import", str(edited), "--source", str(source)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured
    assert source.read_bytes() == before
    return captured.err.removeprefix("error: ").removesuffix("\n")


# --- text the old reader dropped ---------------------------------------------------------------


@pytest.mark.parametrize("node", [etree.Comment(" Word never writes this "),
                                  etree.ProcessingInstruction("tool", "data")],
                         ids=["comment", "processing-instruction"])
def test_a_comment_in_the_text_hides_none_of_it(built, source, tmp_path, capsys, node):
    # It used to read as an empty paragraph: the tip was deleted from the source.
    edited = edit_docx(built[1], tmp_path / "edited.docx",
                       lambda body: at_text_start(marked(body, "tips[0]"), node))
    before = source.read_bytes()
    assert main(["import", str(edited), "--source", str(source)]) == 0
    assert capsys.readouterr().out == f"{edited}: no changes to {source}\n"
    assert source.read_bytes() == before


def with_doctype(doctype: str):
    """Return a raw edit that puts a DOCTYPE after the XML declaration (not standalone, so
    that an entity it does not declare may be declared outside: it stays a reference)."""
    def change(xml: bytes) -> bytes:
        declaration, rest = xml.split(b"?>", 1)
        declaration = declaration.replace(b" standalone='yes'", b"")
        return declaration + b"?>" + doctype.encode() + rest
    return change


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE w:document [<!ENTITY secret SYSTEM "{secret}">]>',  # would read the file
    '<!DOCTYPE w:document SYSTEM "{secret}">',  # declared nowhere: stays a reference
], ids=["declared", "unresolved"])
def test_an_entity_reference_is_refused_and_never_resolved(built, source, tmp_path, capsys,
                                                          doctype):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET TEXT", encoding="utf-8")
    edited = edit_docx(built[1], tmp_path / "edited.docx",
                       lambda body: at_text_start(marked(body, "tips[0]"),
                                                  etree.Entity("secret")),
                       raw=with_doctype(doctype.format(secret=secret.as_uri())))
    assert refused(edited, source, capsys) == (
        f"edited.docx: {TIP_0}: it holds an XML entity reference (&secret;), which Word never "
        "writes; it is not read (nor resolved); nothing written")


def test_an_xinclude_is_refused_and_never_followed(built, source, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET TEXT", encoding="utf-8")
    include = etree.Element(f"{{{XI}}}include", href=secret.as_uri(), parse="text",
                            nsmap={"xi": XI})
    edited = edit_docx(built[1], tmp_path / "edited.docx",
                       lambda body: at_text_start(marked(body, "tips[0]"), include))
    assert refused(edited, source, capsys) == (
        f"edited.docx: {TIP_0}: its text holds an XML element, <xi:include>, which Word never "
        "writes there; it is not read (nor followed); nothing written")


def test_a_doctype_anywhere_is_refused(built, source, tmp_path, capsys):
    edited = edit_docx(built[1], tmp_path / "edited.docx",
                       raw=with_doctype("<!DOCTYPE w:document>"))
    assert refused(edited, source, capsys) == (
        "edited.docx: its word/document.xml starts with a DOCTYPE, which Word and LibreOffice "
        "never write; not a DOCX they saved")


def append_run(path: str, *children):
    """Return a body edit that adds a run holding children to a field's paragraph."""
    def change(body) -> None:
        element = etree.Element(w("r"))
        element.extend(children)
        marked(body, path).find(w("bookmarkEnd")).addprevious(element)
    return change


def element(tag: str, text: str | None = None, nsmap=None, **attributes):
    node = etree.Element(tag, nsmap=nsmap)
    for name, value in attributes.items():
        node.set(w(name), value)
    node.text = text
    return node


def text_box(text: str):
    """Return a VML shape with a text box, as older Word and LibreOffice write one."""
    shape = element(f"{{{VML}}}shape", nsmap={"v": VML})
    box = etree.SubElement(etree.SubElement(shape, f"{{{VML}}}textbox"), w("txbxContent"))
    etree.SubElement(box, w("p")).append(run(text))
    picture = element(w("pict"))
    picture.append(shape)
    return picture


def equation(text: str):
    math = element(f"{{{MATH}}}oMath", nsmap={"m": MATH})
    etree.SubElement(etree.SubElement(math, f"{{{MATH}}}r"), f"{{{MATH}}}t").text = text
    return math


@pytest.mark.parametrize(("change", "problem"), [
    (append_run("tips[0]", element(w("sym"), font="Wingdings", char="F04A")),
     "it holds a symbol inserted with Insert → Symbol from the font Wingdings, which cannot "
     "be read back as text; type the character itself, or delete it"),
    (append_run("tips[0]", text_box("text in a box")),
     "it holds a text box (or a shape with text in it), whose text is not read back; move "
     "the text into the paragraph itself, or delete the box"),
    (lambda body: marked(body, "tips[0]").append(equation("x + 1")),
     "it holds text in <m:t>, which is not read back (an equation, or another program's "
     "markup)"),
    (append_run("tips[0]", element(w("footnoteReference"), id="1")),
     "it holds a footnote, whose text is not read back; put that text in the paragraph "
     "itself, or delete the note"),
    (lambda body: next(marked(body, "tips[0]").iter(w("t"))).__setattr__("tail", "loose text"),
     "it holds text outside Word's text elements (\"loose text\"), where Word never puts "
     "any; it is not read"),
], ids=["symbol", "text-box", "equation", "footnote", "loose-text"])
def test_text_that_cannot_be_read_is_refused_naming_its_paragraph(built, source, tmp_path,
                                                                  capsys, change, problem):
    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    assert refused(edited, source, capsys) == f"edited.docx: {TIP_0}: {problem}; nothing written"


def test_a_field_reads_as_its_result_not_its_code(built, source, tmp_path):
    def change(body):
        paragraph = marked(body, "tips[0]")
        end = paragraph.find(w("bookmarkEnd"))
        for child in (element(w("fldChar"), fldCharType="begin"),
                      element(w("instrText"), ' HYPERLINK "https://example.org/" '),
                      element(w("fldChar"), fldCharType="separate"), run(" example.org"),
                      element(w("fldChar"), fldCharType="end")):
            piece = child if child.tag == w("r") else etree.Element(w("r"))
            if piece is not child:
                piece.append(child)
            end.addprevious(piece)

    edited = edit_docx(built[1], tmp_path / "edited.docx", change)
    data = yaml.safe_load(import_docx(edited, source).new_text)
    assert data["tips"][0] == SHIPPED["tips"][0] + " example.org"


def test_a_part_compressed_as_word_never_does_is_refused(built, source, tmp_path, capsys):
    # bzip2 and LZMA inflate a whole read at once, however large.
    edited = edit_docx(built[1], tmp_path / "edited.docx", compression=zipfile.ZIP_BZIP2)
    assert refused(edited, source, capsys) == (
        "edited.docx: its text part is compressed in a way Word and LibreOffice never use (zip "
        "method 12); not a DOCX they saved")


def test_a_text_part_over_the_limit_is_refused(built, source, monkeypatch):
    monkeypatch.setattr(read_docx_module, "MAX_XML_BYTES", 1000)
    with pytest.raises(DocxImportError) as raised:
        import_docx(built[1], source)
    assert str(raised.value) == ("account-manager.docx: its text part (word/document.xml) is "
                                 "over 0 MB unpacked; not a handout")


# --- files that are not what they say ---------------------------------------------------------


def zip_bomb(path: Path, inflated_mb: int, stated: int) -> Path:
    """Write a zip whose word/document.xml inflates to inflated_mb MB of zeros, but whose
    directory says it is `stated` bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    # After a full flush the compressor starts afresh: the same megabyte, the same bytes.
    block = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = block * inflated_mb + compressor.flush()
    name = b"word/document.xml"
    header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, 0, len(data), stated,
                         len(name), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, 0, len(data),
                          stated, len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central),
                      len(header) + len(name) + len(data), 0)
    path.write_bytes(header + name + data + central + end)
    return path


# Run an import in a process that may use only what it holds once loaded, plus 256 MB: the
# old reader inflated a part whole before looking at it, gigabytes for a 1 MB file.
LIMITED = """
import os, resource, sys
import pipeline.import_docx
from pipeline.__main__ import main
with open("/proc/self/statm") as statm:
    size = int(statm.read().split()[0]) * resource.getpagesize()
limit = size + 256 * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.exit(main(sys.argv[1:]))
"""


def import_limited(tmp_path: Path, *args: str) -> tuple[int, str, int]:
    """Return the exit status, stderr and peak memory (KB) of a memory-limited import."""
    with (tmp_path / "out").open("w") as out, (tmp_path / "err").open("w") as err:
        process = subprocess.Popen([sys.executable, "-c", LIMITED, "import", *args],
                                   stdout=out, stderr=err)
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            raise
    process.returncode = os.waitstatus_to_exitcode(status)
    return (process.returncode, (tmp_path / "err").read_text(encoding="utf-8"),
            usage.ru_maxrss)


def test_a_zip_bomb_with_a_lying_size_is_refused_without_inflating_it(source, tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.docx", inflated_mb=1024, stated=1000)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    status, err, peak_kb = import_limited(tmp_path, str(bomb), "--source", str(source))
    assert (status, err) == (1, "error: bomb.docx: not a DOCX file, or a damaged one (Bad "
                                "CRC-32 for file 'word/document.xml')\n")
    assert peak_kb < 400 * 1024


def test_a_device_is_refused_before_reading_it(source, tmp_path):
    # /dev/zero says it is empty, and never ends.
    status, err, peak_kb = import_limited(tmp_path, "/dev/zero", "--source", str(source))
    assert (status, err) == (1, "error: zero: it is not a regular file (a device, pipe or "
                                "socket), so not a DOCX file\n")
    assert peak_kb < 400 * 1024


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(source, tmp_path):
    os.mkfifo(tmp_path / "pipe.docx")
    result = subprocess.run([sys.executable, "-m", "pipeline", "import",
                             str(tmp_path / "pipe.docx"), "--source", str(source)],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (
        1, "error: pipe.docx: it is not a regular file (a device, pipe or socket), so not a "
           "DOCX file\n")


def test_a_folder_is_refused(source, tmp_path, capsys):
    (tmp_path / "folder.docx").mkdir()
    assert refused(tmp_path / "folder.docx", source, capsys) == (
        "folder.docx: it is a folder, not a DOCX file")
