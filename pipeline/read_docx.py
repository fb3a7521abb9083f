"""Read an edited handout DOCX back: its paragraphs, each with the source field it marks.

The DOCX writer wraps every paragraph of author text in a bookmark named after its field
(pipeline/provenance.py); this reads the paragraphs in order, with their text, style and
field, and refuses what it cannot read safely: another program's file, a password-protected
or damaged one, a huge one, or one with tracked changes still pending.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .errors import PipelineError
from .khmer import NBSP, WORD_JOINER, ZWSP
from .provenance import VERSION_PREFIX, field_path, is_id_marker

# A handout's DOCX is about 350 KB, nearly all of it fonts; its text about 100 KB.
MAX_DOCX_BYTES = 20 * 1024 * 1024
MAX_XML_BYTES = 20 * 1024 * 1024

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_REVISIONS = ("ins", "del", "moveFrom", "moveTo")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and old .doc files


class DocxImportError(PipelineError):
    """The DOCX cannot be read back into its source; nothing was written."""


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


@dataclass(frozen=True)
class DocxParagraph:
    """One paragraph of the DOCX body, in reading order."""

    number: int  # 1-based, counting every paragraph of the body (tables included)
    text: str  # as stored, with the build's word breaks and joiners
    style: str  # the paragraph style's id ("" for none)
    fields: tuple[str, ...]  # source fields whose bookmarks start in this paragraph

    @property
    def clean(self) -> str:
        return clean_text(self.text)


@dataclass(frozen=True)
class DocxContent:
    """What an edited handout DOCX holds: its id marker(s) and paragraphs."""

    id_markers: tuple[str, ...]
    paragraphs: tuple[DocxParagraph, ...]
    version_markers: tuple[str, ...] = ()


# bind_marks put a no-break space (after a joiner, after ។) for a typed space before these
# marks, and between the digit groups of a number: the source had a plain space there.
_NBSP_BEFORE_MARK = re.compile(f"{NBSP}(?=[ៗ។៕៖])")
_DIGIT = "0-9\u17e0-\u17e9"
_GROUPED_NUMBER = re.compile(f"(?<![{_DIGIT}])[{_DIGIT}]{{1,3}}(?:{NBSP}[{_DIGIT}]{{3}})+"
                             f"(?![{_DIGIT}])")


def clean_text(text: str) -> str:
    """Return DOCX text without what the build inserted for line breaking.

    U+200B and U+2060 go; a no-break space where bind_marks puts one (before ៗ ។ ៕ ៖,
    between digit groups) is the plain space it was. Every other character stays.
    """
    text = text.replace(ZWSP, "").replace(WORD_JOINER, "")
    text = _NBSP_BEFORE_MARK.sub(" ", text)
    return _GROUPED_NUMBER.sub(lambda number: number.group().replace(NBSP, " "), text)


def read_docx(path: Path) -> DocxContent:
    """Return the paragraphs of a DOCX; raise DocxImportError for what cannot be read."""
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_DOCX_BYTES:
            raise DocxImportError(f"{name}: {size // (1024 * 1024)} MB is over the "
                                  f"{MAX_DOCX_BYTES // (1024 * 1024)} MB limit for a handout "
                                  "DOCX")
        data = path.read_bytes()
    except OSError as exc:
        raise DocxImportError(f"{name}: cannot read it: {exc.strerror or exc}") from exc
    if data.startswith(_OLE_MAGIC):
        raise DocxImportError(f"{name}: the file is password-protected (encrypted) or an old "
                              "Word 97–2003 .doc; save it as .docx without a password first")
    xml = _document_xml(name, data)
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise DocxImportError(f"{name}: the file is damaged (word/document.xml: {exc})") from exc
    if root.tag.startswith(f"{{{_STRICT}"):
        raise DocxImportError(f"{name}: it was saved as Strict Open XML; save it as an "
                              "ordinary Word Document (.docx) and import again")
    body = root.find(_w("body"))
    if body is None:
        raise DocxImportError(f"{name}: the file is damaged (word/document.xml has no body)")
    _refuse_revisions(name, body)
    return _paragraphs(body)


def _document_xml(name: str, data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            try:
                info = package.getinfo("word/document.xml")
            except KeyError:
                raise DocxImportError(f"{name}: not a Word document (no word/document.xml "
                                      "inside)") from None
            if info.file_size > MAX_XML_BYTES:
                raise DocxImportError(f"{name}: its text part is over "
                                      f"{MAX_XML_BYTES // (1024 * 1024)} MB unpacked; not a "
                                      "handout")
            if info.flag_bits & 0x1:
                raise DocxImportError(f"{name}: the file is encrypted; save it without a "
                                      "password first")
            return package.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError) as exc:
        raise DocxImportError(f"{name}: not a DOCX file, or a damaged one ({exc})") from exc


def _refuse_revisions(name: str, body) -> None:
    for tag in _REVISIONS:
        found = next(body.iter(_w(tag)), None)
        if found is not None:
            author = found.get(_w("author"))
            by = f" (by {author})" if author else ""
            raise DocxImportError(f"{name}: it has tracked changes still pending{by}; accept or "
                                  "reject them in Word or LibreOffice (Review → Accept All or "
                                  "Reject All), save, and import again")


def _paragraphs(body) -> DocxContent:
    markers: list[str] = []
    versions: list[str] = []
    paragraphs: list[DocxParagraph] = []
    pending: list[str] = []  # bookmarks that start between paragraphs: they mark the next one
    number = 0
    for element in body.iter(_w("p"), _w("bookmarkStart")):
        if element.tag == _w("bookmarkStart"):
            name = element.get(_w("name")) or ""
            if is_id_marker(name):
                markers.append(name)
            elif name.startswith(VERSION_PREFIX):
                versions.append(name)
            elif _in_paragraph(element) is None and field_path(name):
                pending.append(field_path(name))
            continue
        if _in_paragraph(element) is not None:
            continue  # a paragraph inside a text box inside a paragraph: read with that one
        number += 1
        fields = list(pending)
        pending.clear()
        for start in element.iter(_w("bookmarkStart")):
            field = field_path(start.get(_w("name")) or "")
            if field:
                fields.append(field)
        style = element.find(f"{_w('pPr')}/{_w('pStyle')}")
        paragraphs.append(DocxParagraph(number, _text(element),
                                        style.get(_w("val"), "") if style is not None else "",
                                        tuple(dict.fromkeys(fields))))
    return DocxContent(tuple(dict.fromkeys(markers)), tuple(paragraphs),
                       tuple(dict.fromkeys(versions)))


def _in_paragraph(element):
    parent = element.getparent()
    while parent is not None:
        if parent.tag == _w("p"):
            return parent
        parent = parent.getparent()
    return None


_CHARACTERS = {_w("tab"): " ", _w("br"): " ", _w("cr"): " ",
               _w("noBreakHyphen"): "\u2011", _w("softHyphen"): "\u00ad"}


def _text(paragraph) -> str:
    """Return a paragraph's text as the reader sees it; a tab or line break is a space."""
    out = []
    for node in paragraph.iter():
        if node.tag == _w("t"):
            if _in_paragraph(node) is paragraph:
                out.append(node.text or "")
        elif node.tag in _CHARACTERS and _in_paragraph(node) is paragraph \
                and node.getparent().tag == _w("r"):
            out.append(_CHARACTERS[node.tag])
    return "".join(out)
