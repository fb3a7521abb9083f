"""Packaging of the DOCX: its core and extended properties (read from the Document, never from
the clock, with python-docx's dates removed) and the reproducible zip (fixed timestamps,
permissions and member order; each large member, such as a font, deflated once per process).
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from datetime import UTC, datetime

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import qn
from lxml import etree

from ..khmer import ZWSP, shorten
from ..model import Document
from .ooxml import EXTENDED_PROPERTIES, part_xml


def remove_dates(properties) -> None:
    """Remove the clock readings python-docx writes into the core properties."""
    element = properties._element
    for name in ("dcterms:created", "dcterms:modified", "cp:lastPrinted"):
        for old in element.findall(qn(name)):
            element.remove(old)


# Where a language's Latin text and its Khmer text are proofed (w:lang, dc:language).
LOCALES = {"km": "km-KH", "en": "en-US"}

# python-docx (like Word's dialog) holds a core property to 255 characters.
CORE_PROPERTY_LIMIT = 255


def core_properties(document, doc: Document) -> None:
    """Fill the core properties from the Document; never from the clock."""
    title = doc.title + (f" – {doc.title_other}" if doc.title_other else "")
    properties = document.core_properties
    properties.title = shorten(title, CORE_PROPERTY_LIMIT)
    properties.subject = shorten(doc.subject, CORE_PROPERTY_LIMIT)
    properties.author = shorten(doc.organisation, CORE_PROPERTY_LIMIT)
    properties.last_modified_by = properties.author
    keywords = ""
    for keyword in (k.replace(ZWSP, "") for k in doc.keywords):
        longer = f"{keywords}, {keyword}" if keywords else keyword
        if len(longer) > CORE_PROPERTY_LIMIT:
            break  # keywords are a list: drop the last ones rather than cut one
        keywords = longer
    properties.keywords = keywords
    properties.language = LOCALES.get(doc.language, doc.language)
    properties.comments = ""
    properties.category = ""
    properties.content_status = ""
    properties.revision = 1
    remove_dates(properties)
    if doc.created:
        when = datetime.fromisoformat(doc.created.replace("Z", "+00:00"))
        properties.created = when
        properties.modified = when
    if doc.updated:  # when its content was last reviewed, as in the PDF
        year, month, *day = (int(part) for part in doc.updated.split("-"))
        properties.modified = datetime(year, month, day[0] if day else 1, tzinfo=UTC)


APPLICATION = "khmer-handouts"


def extended_properties(document, doc: Document) -> None:
    """Write docProps/app.xml afresh: the producer and organisation, no stale counts.

    The reference document's copy names whatever last saved it (python-docx's template says
    "Microsoft Macintosh Word", 1 page, 0 words); Word recounts pages and words on opening.
    """
    package = document.part.package
    properties = etree.Element(f"{{{EXTENDED_PROPERTIES}}}Properties",
                               nsmap={None: EXTENDED_PROPERTIES})
    for name, value in (("Application", APPLICATION), ("DocSecurity", "0"),
                        ("Company", doc.organisation), ("LinksUpToDate", "false"),
                        ("HyperlinksChanged", "false")):
        etree.SubElement(properties, f"{{{EXTENDED_PROPERTIES}}}{name}").text = value
    blob = part_xml(properties)
    for rel in package.rels.values():
        if rel.reltype == RT.EXTENDED_PROPERTIES:
            rel.target_part._blob = blob
            return
    part = Part(PackURI("/docProps/app.xml"), CT.OFC_EXTENDED_PROPERTIES, blob, package)
    package.relate_to(part, RT.EXTENDED_PROPERTIES)


class _Collector:
    """Take the parts python-docx would zip, as {member name: bytes}."""

    def __init__(self) -> None:
        self.members: dict[str, bytes] = {}

    def write(self, uri, blob: bytes) -> None:
        self.members[uri.membername] = blob


def members_of(document) -> dict[str, bytes]:
    """Return the package's members as python-docx's save would write them, unzipped.

    Zipping once, ourselves, saves compressing every part twice (python-docx's zip, then
    the stable one) and lets the font parts, the same in every handout, be compressed once.
    """
    from docx.opc.pkgwriter import PackageWriter

    package = document.part.package
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    collector = _Collector()
    PackageWriter._write_content_types_stream(collector, parts)
    PackageWriter._write_pkg_rels(collector, package.rels)
    PackageWriter._write_parts(collector, parts)
    return collector.members


# Members this large (the fonts) are compressed once per process and reused.
_REUSED_MEMBER_BYTES = 64 * 1024
_deflated: dict[bytes, tuple[int, bytes]] = {}


def deflate(data: bytes) -> tuple[int, bytes]:
    """Return the CRC-32 and raw deflate stream (level 9) of a member's data."""
    digest = hashlib.sha1(data).digest() if len(data) >= _REUSED_MEMBER_BYTES else None
    if digest is not None and digest in _deflated:
        return _deflated[digest]
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    result = (zlib.crc32(data), compressor.compress(data) + compressor.flush())
    if digest is not None:
        _deflated[digest] = result
    return result


ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ZIP_FIRST = ("[Content_Types].xml", "_rels/.rels")


def stable_zip(members: dict[str, bytes] | bytes) -> bytes:
    """Zip DOCX members with fixed timestamps, permissions and member order.

    Given a zip's bytes, rewrite that zip the same way.
    """
    if isinstance(members, bytes):
        with zipfile.ZipFile(io.BytesIO(members)) as source:
            members = {info.filename: source.read(info) for info in source.infolist()}
    order = [name for name in _ZIP_FIRST if name in members]
    order += sorted(name for name in members if name not in _ZIP_FIRST)
    dos_time, dos_date = 0, (ZIP_DATE[0] - 1980) << 9 | ZIP_DATE[1] << 5 | ZIP_DATE[2]
    out = io.BytesIO()
    central = io.BytesIO()
    for name in order:
        data = members[name]
        crc, deflated = deflate(data)
        encoded = name.encode("utf-8")
        flags = 0x800 if not encoded.isascii() else 0
        offset = out.tell()
        # Local file header (APPNOTE 4.3.7): version 2.0, deflate, no data descriptor.
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, dos_time, dos_date,
                              crc, len(deflated), len(data), len(encoded), 0))
        out.write(encoded)
        out.write(deflated)
        # Central directory entry (4.3.12): made by MS-DOS (0), rw-r--r-- for unzip.
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 8,
                                  dos_time, dos_date, crc, len(deflated), len(data),
                                  len(encoded), 0, 0, 0, 0, 0o644 << 16, offset))
        central.write(encoded)
    start = out.tell()
    out.write(central.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(order), len(order),
                          len(central.getvalue()), start, 0))
    return out.getvalue()
