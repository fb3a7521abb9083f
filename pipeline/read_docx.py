"""Read an edited handout DOCX back: its paragraphs, each with the source field it marks.

The DOCX writer wraps every paragraph of author text in a bookmark named after its field
(pipeline/provenance.py); this reads the paragraphs in order, with their text, style and
field, and refuses what it cannot read safely: another program's file, a password-protected
or damaged one, a huge one, or one with tracked changes still pending.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .errors import PipelineError
from .khmer import NBSP, WORD_JOINER, ZWSP, shorten
from .model import excerpt
from .provenance import VERSION_PREFIX, field_path, is_id_marker

# A handout's DOCX is about 350 KB, nearly all of it fonts; its text about 100 KB.
MAX_DOCX_BYTES = 20 * 1024 * 1024
MAX_XML_BYTES = 20 * 1024 * 1024
_CHUNK = 64 * 1024
_WORDS = 40  # characters of a paragraph's first words, in messages

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
    heading: str = ""  # the text of the heading it is under ("" above the first heading)

    @property
    def clean(self) -> str:
        return clean_text(self.text)

    @property
    def where(self) -> str:
        """Say where the paragraph is as a reader finds it: its heading and first words.

        (Not its number: Word counts the paragraphs of tables, headings and empty lines
        differently from a reader.)
        """
        text = self.clean.strip()
        words = f"\"{shorten(text, _WORDS)}\"" if text else "an empty paragraph"
        if is_heading(self.style):
            return f"the heading {words}"
        if self.heading:
            return f"under \"{shorten(self.heading, _WORDS)}\" ({words})"
        return f"at the top, above the first heading ({words})"


def is_heading(style: str) -> bool:
    """Return whether a paragraph style is a heading's (Heading1, QuickFactsHeading, …)."""
    return "heading" in style.lower()


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
    data = _read_file(path)
    if data.startswith(_OLE_MAGIC):
        raise DocxImportError(f"{name}: the file is password-protected (encrypted) or an old "
                              "Word 97–2003 .doc; save it as .docx without a password first")
    xml = _document_xml(name, data)
    try:
        # Entities stay unresolved (a reference is refused where it stands, below), nothing
        # is fetched, and XInclude is never processed: lxml does that only when asked.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                 huge_tree=False)
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
    content = _paragraphs(name, body)
    if root.getroottree().docinfo.doctype:
        # Word never writes one; what it declares (entities, an outside DTD) is not read.
        raise DocxImportError(f"{name}: its word/document.xml starts with a DOCTYPE, which "
                              "Word and LibreOffice never write; not a DOCX they saved")
    return content


def _read_file(path: Path) -> bytes:
    """Return a regular file's bytes, refusing anything else and anything over the limit."""
    name = path.name
    limit = f"{MAX_DOCX_BYTES // (1024 * 1024)} MB limit for a handout DOCX"
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer; it is refused below.
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise DocxImportError(f"{name}: cannot read it: {exc.strerror or exc}") from exc
    try:
        status = os.fstat(handle)
        if stat.S_ISDIR(status.st_mode):
            raise DocxImportError(f"{name}: it is a folder, not a DOCX file")
        if not stat.S_ISREG(status.st_mode):
            raise DocxImportError(f"{name}: it is not a regular file (a device, pipe or "
                                  "socket), so not a DOCX file")
        if status.st_size > MAX_DOCX_BYTES:
            raise DocxImportError(f"{name}: {status.st_size // (1024 * 1024)} MB is over the "
                                  f"{limit}")
        with os.fdopen(handle, "rb", closefd=False) as file:
            # The size can change between the check and the read: the read has its own cap.
            data = file.read(MAX_DOCX_BYTES + 1)
    except OSError as exc:
        raise DocxImportError(f"{name}: cannot read it: {exc.strerror or exc}") from exc
    finally:
        os.close(handle)
    if len(data) > MAX_DOCX_BYTES:
        raise DocxImportError(f"{name}: it grew over the {limit} while it was read")
    return data


def _document_xml(name: str, data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            try:
                info = package.getinfo("word/document.xml")
            except KeyError:
                raise DocxImportError(f"{name}: not a Word document (no word/document.xml "
                                      "inside)") from None
            if info.flag_bits & 0x1:
                raise DocxImportError(f"{name}: the file is encrypted; save it without a "
                                      "password first")
            return _read_part(name, package, info, MAX_XML_BYTES)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError, zlib.error) as exc:
        raise DocxImportError(f"{name}: not a DOCX file, or a damaged one ({exc})") from exc


def _read_part(name: str, package: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Return one part of the package, unpacked; refuse it as soon as it passes cap bytes.

    The sizes in the zip's directory are the writer's word: a part that claims 1 KB may
    unpack to gigabytes. So it is unpacked a chunk at a time (zipfile then inflates at most a
    chunk per read, and stops at the stated size: a part longer than it says fails its
    checksum) and counted as it comes.
    """
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        # bzip2 and LZMA would inflate a whole read at once, unbounded; Word never uses them.
        raise DocxImportError(f"{name}: its text part is compressed in a way Word and "
                              f"LibreOffice never use (zip method {info.compress_type}); not "
                              "a DOCX they saved")
    too_big = DocxImportError(f"{name}: its text part ({info.filename}) is over "
                              f"{cap // (1024 * 1024)} MB unpacked; not a handout")
    if info.file_size > cap:
        raise too_big
    chunks, size = [], 0
    with package.open(info) as part:
        while chunk := part.read(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise too_big
            chunks.append(chunk)
    return b"".join(chunks)


def _refuse_revisions(name: str, body) -> None:
    for tag in _REVISIONS:
        found = next(body.iter(_w(tag)), None)
        if found is not None:
            author = found.get(_w("author"))
            by = f" (by {author})" if author else ""
            raise DocxImportError(f"{name}: it has tracked changes still pending{by}; accept or "
                                  "reject them in Word or LibreOffice (Review → Accept All or "
                                  "Reject All), save, and import again")


def _paragraphs(name: str, body) -> DocxContent:
    markers: list[str] = []
    versions: list[str] = []
    paragraphs: list[DocxParagraph] = []
    pending: list[str] = []  # bookmarks that start between paragraphs: they mark the next one
    number = 0
    heading = ""
    for element in body.iter(_w("p"), _w("bookmarkStart")):
        if element.tag == _w("bookmarkStart"):
            bookmark = element.get(_w("name")) or ""
            if is_id_marker(bookmark):
                markers.append(bookmark)
            elif bookmark.startswith(VERSION_PREFIX):
                versions.append(bookmark)
            elif _in_paragraph(element) is None and field_path(bookmark):
                pending.append(field_path(bookmark))
            continue
        if _in_paragraph(element) is not None:
            continue  # a paragraph in a text box inside a paragraph: refused with that one
        number += 1
        fields = list(pending)
        pending.clear()
        for start in element.iter(_w("bookmarkStart")):
            field = field_path(start.get(_w("name")) or "")
            if field:
                fields.append(field)
        style_element = element.find(f"{_w('pPr')}/{_w('pStyle')}")
        style = style_element.get(_w("val"), "") if style_element is not None else ""
        text, problem = _text(element)
        if is_heading(style):
            heading = clean_text(text)
        paragraph = DocxParagraph(number, text, style, tuple(dict.fromkeys(fields)), heading)
        if problem:
            raise DocxImportError(f"{name}: {paragraph.where}: {problem}; nothing written")
        paragraphs.append(paragraph)
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
# Elements with text that is not the paragraph's: field codes (a link's address, PAGE).
_NOT_TEXT = {_w("instrText")}
_NOTES = {_w("footnoteReference"): "a footnote", _w("endnoteReference"): "an endnote"}


def _has_text(text: str | None) -> bool:
    return bool(text and text.strip())


def _xml_name(node) -> str:
    name = etree.QName(node).localname
    return f"<{node.prefix}:{name}>" if node.prefix else f"<{name}>"


def _text(paragraph) -> tuple[str, str | None]:
    """Return a paragraph's text as the reader sees it, and why it cannot be read, if so.

    A tab or line break is a space. Every node that can carry text is looked at: text that
    is not in a w:t of this paragraph (an entity, an XInclude, a symbol, a text box, another
    program's element) is not dropped but named, so that import refuses the paragraph.
    """
    out: list[str] = []
    problems: list[str] = []
    if _has_text(paragraph.text):
        problems.append(_stray(paragraph.text))
    for node in paragraph.iter():
        if node is paragraph:
            continue
        parent = node.getparent()
        if _in_paragraph(node) is not paragraph:
            if _carries_text(node):
                problems.append("it holds a text box (or a shape with text in it), whose text "
                                "is not read back; move the text into the paragraph itself, "
                                "or delete the box")
            continue
        if parent.tag == _w("t"):
            continue  # read with its w:t, below
        if node.tag is etree.Entity:
            problems.append(_entity(node))
        elif not isinstance(node.tag, str):
            pass  # a comment or processing instruction: no text of its own
        elif node.tag == _w("t"):
            out.append(node.text or "")
            for child in node:
                if child.tag is etree.Entity:
                    problems.append(_entity(child))
                elif isinstance(child.tag, str):
                    problems.append(f"its text holds an XML element, {_xml_name(child)}, "
                                    "which Word never writes there; it is not read (nor "
                                    "followed)")
                out.append(child.tail or "")
        elif node.tag == _w("sym"):
            font = node.get(_w("font"))
            problems.append(f"it holds a symbol inserted with Insert → Symbol"
                            f"{f' from the font {font}' if font else ''}, which cannot be read "
                            "back as text; type the character itself, or delete it")
        elif node.tag in _NOTES:
            problems.append(f"it holds {_NOTES[node.tag]}, whose text is not read back; put "
                            "that text in the paragraph itself, or delete the note")
        elif node.tag in _CHARACTERS and parent.tag == _w("r"):
            out.append(_CHARACTERS[node.tag])
        elif node.tag not in _NOT_TEXT and _has_text(node.text):
            problems.append(_stray(node.text) if node.tag.startswith(f"{{{W}}}") else
                            f"it holds text in {_xml_name(node)}, which is not read back (an "
                            "equation, or another program's markup)")
        if _has_text(node.tail) and _in_paragraph(node) is paragraph:
            problems.append(_stray(node.tail))
    return "".join(out), problems[0] if problems else None


def _carries_text(node) -> bool:
    """Return whether a node holds, or stands for, text (comments hold none of their own)."""
    if node.tag is etree.Entity or node.tag in (_w("sym"), *_NOTES) or _has_text(node.tail):
        return True
    return isinstance(node.tag, str) and node.tag not in _NOT_TEXT and _has_text(node.text)


def _stray(text: str) -> str:
    return (f"it holds text outside Word's text elements (\"{excerpt(text.strip(), 20)}\"), "
            "where Word never puts any; it is not read")


def _entity(node) -> str:
    return (f"it holds an XML entity reference ({node.text}), which Word never writes; it "
            "is not read (nor resolved)")
