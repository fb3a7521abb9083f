"""Read a DOCX as parsed XML parts, and convert it with LibreOffice for font checks."""

from __future__ import annotations

import copy
import os
import posixpath
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree
from system_tools import require, run_tool

from pipeline.provenance import bookmark_name

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
NS = {"w": W_NS, "r": R_NS, "rel": PKG_REL_NS, "ct": CT_NS}
# A folder with no Khmer font: what a machine without our fonts has.
NO_KHMER_FONTS_DIR = "/usr/share/fonts/truetype/dejavu"
# What convert_to_pdf needs: mark its tests @pytest.mark.needs(*LIBREOFFICE, ...).
LIBREOFFICE = ("soffice", NO_KHMER_FONTS_DIR)


def w(name: str) -> str:
    return f"{{{W_NS}}}{name}"


def part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read(name))


def rels(path: Path, source: str) -> dict[str, etree._Element]:
    """Return {rId: Relationship} of a part, e.g. 'word/document.xml'."""
    folder, name = posixpath.split(source)
    root = part(path, posixpath.join(folder, "_rels", f"{name}.rels"))
    return {rel.get("Id"): rel for rel in root.findall("rel:Relationship", NS)}


def text_of(element: etree._Element) -> str:
    """Return a paragraph's text as a reader sees it (tabs as \\t, fields by their result)."""
    out = []
    for node in element.iter(w("t"), w("tab")):
        if node.tag == w("tab") and node.getparent().tag == w("r"):
            out.append("\t")
        elif node.tag == w("t"):
            out.append(node.text or "")
    return "".join(out)


def body_paragraphs(path: Path) -> list[etree._Element]:
    body = part(path, "word/document.xml").find("w:body", NS)
    return list(body.iter(w("p")))


def fontconfig_without_khmer(folder: Path) -> Path:
    """Write a fontconfig file that sees only the DejaVu folder; return its path."""
    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{escape(NO_KHMER_FONTS_DIR)}</dir>\n"
        f"  <cachedir>{escape(str(folder / 'fc-cache'))}</cachedir>\n"
        "</fontconfig>\n", encoding="utf-8")
    return config


def convert_to_pdf(files: list[Path], fontconfig: Path, timeout: float = 300) -> dict:
    """Convert each DOCX to PDF in its own soffice process with a fresh profile, in parallel.

    One profile per file: fonts embedded in one document stay registered for the rest of a
    soffice process, so a shared one could lend a document fonts it does not carry.
    Return {docx path: (pdf path, seconds)}.
    """
    require(*LIBREOFFICE)
    env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig))
    running = []
    for file in files:
        profile = Path(tempfile.mkdtemp(prefix="lo-profile-", dir=file.parent))
        out = Path(tempfile.mkdtemp(prefix="lo-pdf-", dir=file.parent))
        command = ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                   "--convert-to", "pdf", "--outdir", str(out), str(file)]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        running.append((file, out, process, time.monotonic()))
    results = {}
    for file, out, process, started in running:
        output, _ = process.communicate(timeout=timeout)
        seconds = time.monotonic() - started
        pdf = out / f"{file.stem}.pdf"
        assert process.returncode == 0 and pdf.exists(), output.decode(errors="replace")
        results[file] = (pdf, seconds)
    return results


def pdf_font_names(pdf: Path) -> set[str]:
    """Return the PostScript names of the fonts in a PDF, without subset prefixes."""
    lines = run_tool("pdffonts", str(pdf)).splitlines()[2:]
    return {line.split()[0].split("+", 1)[-1] for line in lines if line.strip()}


def pdf_pages(pdf: Path) -> int:
    info = run_tool("pdfinfo", str(pdf))
    return int(next(line.split()[1] for line in info.splitlines()
                    if line.startswith("Pages:")))


def deobfuscate(data: bytes, key: str) -> bytes:
    """Undo ECMA-376 font obfuscation: XOR bytes 0-31 with the GUID's 16 bytes reversed."""
    mask = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    return bytes(b ^ mask[i % 16] for i, b in enumerate(data[:32])) + data[32:]


# --- editing a DOCX the way Word stores edits --------------------------------------------------


def edit_docx(path: Path, target: Path, change=None, raw=None, compression=None) -> Path:
    """Copy a DOCX with its body changed by change(body), then its XML bytes by raw(bytes).

    raw makes what an XML tree cannot hold (a DOCTYPE, an entity reference); compression
    stores word/document.xml with another zip method.
    """
    with zipfile.ZipFile(path) as package:
        members = {info.filename: package.read(info) for info in package.infolist()}
    root = etree.fromstring(members["word/document.xml"])
    if change is not None:
        change(root.find(w("body")))
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    members["word/document.xml"] = raw(xml) if raw is not None else xml
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            method = compression if compression and name == "word/document.xml" else None
            package.writestr(name, data, compress_type=method)
    return target


def marked(body, path: str):
    """Return the paragraph whose bookmark marks a source field."""
    name = bookmark_name(path)
    start = next(s for s in body.iter(w("bookmarkStart")) if s.get(w("name")) == name)
    return start.getparent()


def run(text: str, bold: bool = False):
    element = etree.Element(w("r"))
    if bold:
        etree.SubElement(etree.SubElement(element, w("rPr")), w("b"))
    t = etree.SubElement(element, w("t"))
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return element


def set_runs(paragraph, *pieces) -> None:
    """Replace a paragraph's text with runs ((text, bold) or text), keeping its bookmarks."""
    for old in (*paragraph.findall(w("r")), *paragraph.findall(w("sdt"))):
        paragraph.remove(old)
    end = paragraph.find(w("bookmarkEnd"))
    for piece in pieces:
        text, bold = (piece, False) if isinstance(piece, str) else piece
        if end is not None:
            end.addprevious(run(text, bold))
        else:
            paragraph.append(run(text, bold))


def new_paragraph_after(paragraph, *pieces):
    """Add a paragraph as Enter at the end of one does: same properties, no bookmark."""
    new = etree.Element(w("p"))
    properties = paragraph.find(w("pPr"))
    if properties is not None:
        new.append(copy.deepcopy(properties))
    paragraph.addnext(new)
    set_runs(new, *pieces)
    return new
