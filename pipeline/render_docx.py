"""Render a Document to DOCX bytes, styled by templates/reference.docx.

Every paragraph takes a named style from the reference document, so restyling that file in
Word restyles every handout. Khmer needs more than a font name: Word and LibreOffice draw
Khmer with the complex-script (cs) font slot, so the styles name the Khmer font there, with a
cs size and cs bold, and each Khmer run is flagged complex-script; Latin text (URLs, English
titles, figures) sits in runs of its own. The Khmer fonts travel inside the file, obfuscated
as ECMA-376 prescribes, so a machine without them still prints the handout right.

Identical input gives identical bytes: no clock is read, font keys are derived from the font
files, and the zip is rewritten with fixed timestamps and member order.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from datetime import datetime
from functools import cache
from pathlib import Path

import docx
import segno
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Twips
from docx.text.run import Run
from fontTools.ttLib import TTFont
from lxml import etree

from .config import (
    FONTS_DIR,
    PAGE_MARGINS_MM,
    PAGE_SIZES,
    QR_QUIET_ZONE,
    TEMPLATES_DIR,
    Settings,
)
from .errors import SetupError
from .khmer import ZWSP, join_for_word_processors, script_runs, shorten
from .model import Bullets, Citations, Document, Paragraphs, Terms

REFERENCE_DOCX = TEMPLATES_DIR / "reference.docx"

# The style names the renderer uses; templates/reference.docx must define each of them.
TITLE = "Title"
SUBTITLE = "Subtitle"
HEADING = "Heading 1"
REFERENCES_HEADING = "References Heading"
SPACER = "Spacer"
NORMAL = "Normal"
LIST_BULLET = "List Bullet"
FACTS_HEADING = "Quick Facts Heading"
FACTS_LABEL = "Quick Facts Label"
FACTS = "Quick Facts"
REFERENCES = "Reference List"
CAPTION = "Caption"
FOOTER = "Footer"
HYPERLINK = "Hyperlink"
MASTHEAD_TABLE = "Masthead Table"
FACTS_TABLE = "Quick Facts Table"
PARAGRAPH_STYLES = (NORMAL, TITLE, SUBTITLE, HEADING, REFERENCES_HEADING, LIST_BULLET, SPACER,
                    FACTS_HEADING, FACTS_LABEL, FACTS, REFERENCES, CAPTION, FOOTER)
REQUIRED_STYLES = (*PARAGRAPH_STYLES, HYPERLINK, MASTHEAD_TABLE, FACTS_TABLE)

# Page geometry as in templates/handout.css (CSS page sizes in config.PAGE_SIZES).
PAGE_MM = {"A4": (210, 297), "A5": (148, 210), "Letter": (215.9, 279.4)}
MARGINS_MM = {size: dict(zip(("top", "right", "bottom", "left"), margins, strict=True))
              for size, margins in PAGE_MARGINS_MM.items()}
FOOTER_DISTANCE_MM = 7
HEADER_DISTANCE_MM = 7
QR_MM = 24  # with its quiet zone, as .qr svg in handout.css
QR_COLUMN_MM = 28  # the QR code, centred, with room to breathe from the titles
# The label column of the quick facts, as .fact dt in handout.css.
FACT_LABEL_MM = {"A4": 45, "A5": 36, "Letter": 45}
FACTS_BOTTOM_PADDING_MM = 2  # as the padding of .facts

# Type on A5 is smaller, as in handout.css (9 pt body instead of 11 pt), so that a handout
# keeps its page budget there too.
TYPE_SCALE = {"A5": 9 / 11}

# Where a language's Latin text and its Khmer text are proofed (w:lang, dc:language).
LOCALES = {"km": "km-KH", "en": "en-US"}

OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
# Font keys are uuid5 names in this namespace, so the same font file always gets the same key.
FONT_KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "khmer-handouts:embedded-font")
_FACES = {"Regular": "embedRegular", "Bold": "embedBold", "Italic": "embedItalic",
          "Bold Italic": "embedBoldItalic"}
# OS/2 fsType bits: restricted licence, preview & print only, editable, bitmap only.
_FS_RESTRICTED, _FS_PREVIEW, _FS_EDITABLE, _FS_BITMAP_ONLY = 0x2, 0x4, 0x8, 0x200

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ZIP_FIRST = ("[Content_Types].xml", "_rels/.rels")
_THEME_FONT_ATTRIBUTES = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")


def render_docx(doc: Document, settings: Settings) -> bytes:
    """Return the handout as an editable DOCX file."""
    document, styles = _open_reference()
    writer = _Writer(document, styles)
    geometry = _page_setup(document, styles[FOOTER], settings.page_size)
    _scale_type(document, TYPE_SCALE.get(settings.page_size, 1.0))
    _clear_body(document)
    writer.masthead(doc, geometry)
    writer.facts(doc, geometry)
    for section in doc.sections:
        # References in small print under a small heading, as in the PDF.
        heading = REFERENCES_HEADING if section.key == "references" else HEADING
        writer.paragraph(heading, section.heading)
        for block in section.blocks:
            writer.block(block)
    writer.footer(doc, geometry)
    _core_properties(document, doc)
    _extended_properties(document, doc)
    khmer = {writer.cs_fonts[name] for name in PARAGRAPH_STYLES}
    latin = set(_style_fonts(document, styles, "ascii").values()) - khmer
    _embed_fonts(document, [(family, False) for family in sorted(khmer)]
                 + [(family, True) for family in sorted(latin)])
    buffer = io.BytesIO()
    document.save(buffer)
    return stable_zip(buffer.getvalue())


# --- the reference document ------------------------------------------------------------------


def _open_reference(path: Path | None = None) -> tuple:
    """Return the reference document and its styles by name; fail naming every one missing."""
    path = path or REFERENCE_DOCX
    try:
        document = docx.Document(str(path))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, PackageNotFoundError) as exc:
        raise SetupError(f"cannot read the DOCX reference document {path}: {exc}") from exc
    # By the name Word shows; python-docx's styles[name] misses "Heading 1" as LibreOffice
    # writes it (python-docx expects Word's lower-case "heading 1").
    styles = {}
    for style in document.styles:
        styles.setdefault(style.name, style)
    missing = [name for name in REQUIRED_STYLES if name not in styles]
    if missing:
        raise SetupError(f"{path.name} lacks the style(s) {', '.join(missing)}; "
                         "rebuild it with tools/make_reference_docx.py")
    strip_theme_fonts(document.styles.element)
    return document, styles


def strip_theme_fonts(element) -> None:
    """Remove theme font attributes: a w:cstheme overrides the Khmer font named in w:cs."""
    for fonts in element.iter(qn("w:rFonts")):
        for name in _THEME_FONT_ATTRIBUTES:
            fonts.attrib.pop(qn(f"w:{name}"), None)


def _style_font(style, slot: str) -> str | None:
    while style is not None:
        fonts = style.element.rPr.rFonts if style.element.rPr is not None else None
        if fonts is not None and fonts.get(qn(f"w:{slot}")):
            return fonts.get(qn(f"w:{slot}"))
        style = style.base_style
    return None


def _style_fonts(document, styles: dict, slot: str = "cs") -> dict[str, str]:
    """Return each paragraph style's font in a slot ("cs": Khmer, "ascii": Latin), resolved
    through basedOn and the document defaults."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    fallback = None
    if defaults is not None:
        fonts = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
        fallback = fonts.get(qn(f"w:{slot}")) if fonts is not None else None
    result = {}
    for name in PARAGRAPH_STYLES:
        font = _style_font(styles[name], slot) or fallback
        if not font:
            script = "complex-script (Khmer)" if slot == "cs" else "Latin"
            raise SetupError(f"{REFERENCE_DOCX.name}: style '{name}' names no {script} font; "
                             "its text would fall back to any font")
        result[name] = font
    return result


def _scale_type(document, factor: float) -> None:
    """Scale every font size the styles set (Latin and Khmer alike), in this document only."""
    if factor == 1.0:
        return
    for tag in ("w:sz", "w:szCs"):
        for size in document.styles.element.iter(qn(tag)):
            size.set(qn("w:val"), str(max(2, round(int(size.get(qn("w:val"))) * factor))))


def _clear_body(document) -> None:
    """Drop whatever text the reference document holds; keep its section settings."""
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


# --- page --------------------------------------------------------------------------------------


class _Geometry:
    def __init__(self, page_size: str) -> None:
        width, height = PAGE_MM[page_size]
        self.page_size = page_size
        self.width, self.height = Mm(width), Mm(height)
        self.margins = MARGINS_MM[page_size]
        self.text_width = Twips(round((width - self.margins["left"] - self.margins["right"])
                                      / 25.4 * 1440))


def _page_setup(document, footer_style, page_size: str) -> _Geometry:
    if page_size not in PAGE_MM or page_size not in PAGE_SIZES:
        raise SetupError(f"unknown page size '{page_size}'; use one of {', '.join(PAGE_MM)}")
    geometry = _Geometry(page_size)
    section = document.sections[0]
    section.page_width, section.page_height = geometry.width, geometry.height
    for side, mm in geometry.margins.items():
        setattr(section, f"{side}_margin", Mm(mm))
    section.header_distance = Mm(HEADER_DISTANCE_MM)
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    section.gutter = Mm(0)
    # The footer's right tab stop sits on the right margin of this page size.
    tabs = footer_style.paragraph_format.tab_stops
    tabs.clear_all()
    tabs.add_tab_stop(geometry.text_width, WD_TAB_ALIGNMENT.RIGHT)
    return geometry


# --- content ---------------------------------------------------------------------------------


class _Writer:
    """Add styled paragraphs, tables and runs to a document built on the reference."""

    def __init__(self, document, styles: dict) -> None:
        self.document = document
        self.part = document.part
        self.styles = styles
        self.cs_fonts = _style_fonts(document, styles, "cs")

    def paragraph(self, style: str, text: str = "", container=None, bold: bool = False):
        container = container if container is not None else self.document
        paragraph = container.add_paragraph(style=self.styles[style])
        if text:
            self.runs(paragraph._p, text, style, bold)
        return paragraph

    def runs(self, parent, text: str, style: str, bold: bool = False, rstyle: str = "") -> None:
        """Append text as runs: Khmer pieces flagged complex-script, Latin pieces plain."""
        # Joiners where LibreOffice's own breaker would break and the PDF does not.
        for piece, khmer in script_runs(join_for_word_processors(text)):
            element = OxmlElement("w:r")
            parent.append(element)
            run = Run(element, None)
            if rstyle:
                element.style = self.styles[rstyle].style_id
            if khmer:
                # On the run as well as in the style: Khmer copied into other text keeps
                # its font (the handbook's recipe for Word, [MS-OI29500] 2.1.88).
                element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:cs"),
                                                                  self.cs_fonts[style])
            if bold:
                run.font.bold = True
                run.font.cs_bold = True
            if khmer:
                run.font.complex_script = True
            run.text = piece

    def hyperlink(self, paragraph, url: str, text: str, style: str) -> None:
        link = OxmlElement("w:hyperlink")
        link.set(qn("r:id"), self.part.relate_to(url, RT.HYPERLINK, is_external=True))
        link.set(qn("w:history"), "1")
        paragraph._p.append(link)
        self.runs(link, text, style, rstyle=HYPERLINK)

    def table(self, widths: list[int], style: str, container=None, rows: int = 1):
        container = container if container is not None else self.document
        table = container.add_table(rows=rows, cols=len(widths))
        table.style = self.styles[style]
        table.autofit = False
        tbl_width = table._tbl.tblPr.find(qn("w:tblW"))
        tbl_width.set(qn("w:type"), "dxa")
        tbl_width.set(qn("w:w"), str(sum(widths)))
        for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
            column.w = Twips(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Twips(width)
                # A new cell holds one empty paragraph; the writer adds its own.
                cell._tc.remove(cell.paragraphs[0]._p)
        return table

    def masthead(self, doc: Document, geometry: _Geometry) -> None:
        width = geometry.text_width.twips
        qr = Mm(QR_COLUMN_MM).twips if doc.qr_url else 0
        table = self.table([width - qr, qr] if qr else [width], MASTHEAD_TABLE)
        titles = table.rows[0].cells[0]
        titles.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        self.paragraph(TITLE, doc.title, titles)
        if doc.title_other:
            self.paragraph(SUBTITLE, doc.title_other, titles)
        if doc.qr_url:
            cell = table.rows[0].cells[1]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            picture = self.paragraph(CAPTION, container=cell)
            self.qr_code(picture, doc.qr_url)
            self.paragraph(CAPTION, doc.qr_caption, cell)

    def qr_code(self, paragraph, url: str) -> None:
        png = io.BytesIO()
        segno.make(url, error="m").save(png, kind="png", scale=10, border=QR_QUIET_ZONE,
                                        dark="#1d2a33")
        png.seek(0)
        paragraph.add_run().add_picture(png, width=Mm(QR_MM))
        properties = paragraph._p.find(".//" + qn("wp:docPr"))
        properties.set("descr", f"QR code: {url}")
        # Clicking the code in Word or LibreOffice opens the page it leads to.
        click = etree.SubElement(properties, qn("a:hlinkClick"), nsmap={
            "a": "http://schemas.openxmlformats.org/drawingml/2006/main"})
        click.set(qn("r:id"), self.part.relate_to(url, RT.HYPERLINK, is_external=True))

    def facts(self, doc: Document, geometry: _Geometry) -> None:
        """Add the quick-facts box: its heading across the top, then one fact per row.

        One row per fact, label beside value, as in the PDF: the page breaks at the same
        place, and a reader that goes by position keeps each label with its value.
        """
        # Two tables in a row would become one in Word: a spacer paragraph keeps the
        # masthead and the box apart, and gives the gap the PDF has between them.
        self.paragraph(SPACER)
        total = geometry.text_width.twips
        label = Mm(FACT_LABEL_MM[geometry.page_size]).twips
        table = self.table([label, total - label], FACTS_TABLE, rows=1 + len(doc.facts))
        heading, spanned = table.rows[0].cells
        heading._tc.getparent().remove(spanned._tc)
        heading._tc.grid_span = 2
        heading.width = Twips(total)
        self.paragraph(FACTS_HEADING, doc.facts_heading, heading)
        for row, fact in zip(table.rows[1:], doc.facts, strict=True):
            self.paragraph(FACTS_LABEL, fact.label, row.cells[0])
            self.paragraph(FACTS, fact.value, row.cells[1])
        for cell in table.rows[-1].cells:
            _cell_bottom_margin(cell, Mm(FACTS_BOTTOM_PADDING_MM).twips)

    def block(self, block) -> None:
        if isinstance(block, Paragraphs):
            for text in block.paragraphs:
                self.paragraph(NORMAL, text)
        elif isinstance(block, Terms):
            self.paragraph(NORMAL, block.lead)
            for item in block.items:
                paragraph = self.paragraph(LIST_BULLET, item.term, bold=True)
                self.runs(paragraph._p, block.separator + item.explanation, LIST_BULLET)
        elif isinstance(block, Bullets):
            for text in block.items:
                self.paragraph(LIST_BULLET, text)
        elif isinstance(block, Citations):
            for citation in block.items:
                paragraph = self.paragraph(REFERENCES, f"{citation.text} ")
                self.hyperlink(paragraph, citation.url, citation.url, REFERENCES)
        else:
            raise TypeError(f"no DOCX layout for {type(block).__name__}")

    def footer(self, doc: Document, geometry: _Geometry) -> None:
        section = self.document.sections[0]
        _drop_headers_and_footers(self.document)
        footer = section.footer
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = self.styles[FOOTER]
        self.runs(paragraph._p, doc.organisation, FOOTER)
        paragraph.add_run().add_tab()
        self.runs(paragraph._p, doc.page_label + " ", FOOTER)
        self.field(paragraph, "PAGE", "1")
        self.runs(paragraph._p, " / ", FOOTER)
        self.field(paragraph, "NUMPAGES", "1")

    def field(self, paragraph, instruction: str, placeholder: str) -> None:
        # Word and LibreOffice both recompute page fields when they lay the document out.
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), f" {instruction} ")
        paragraph._p.append(field)
        self.runs(field, placeholder, FOOTER)


def _cell_bottom_margin(cell, twips: int) -> None:
    """Pad the bottom of one cell (the box's last row) without padding every row."""
    properties = cell._tc.get_or_add_tcPr()
    margins = properties.find(qn("w:tcMar"))
    if margins is None:
        margins = OxmlElement("w:tcMar")
        # CT_TcPr order: tcW, gridSpan, vMerge/hMerge, tcBorders, shd, noWrap, tcMar, ...
        after = [properties.find(qn(f"w:{tag}")) for tag in (
            "textDirection", "tcFitText", "vAlign", "hideMark")]
        following = next((element for element in after if element is not None), None)
        if following is not None:
            following.addprevious(margins)
        else:
            properties.append(margins)
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:w"), str(twips))
    bottom.set(qn("w:type"), "dxa")
    margins.append(bottom)


def remove_dates(properties) -> None:
    """Remove the clock readings python-docx writes into the core properties."""
    element = properties._element
    for name in ("dcterms:created", "dcterms:modified", "cp:lastPrinted"):
        for old in element.findall(qn(name)):
            element.remove(old)


def _drop_headers_and_footers(document) -> None:
    """Remove headers and footers a restyled reference may carry; the handout sets its own."""
    section = document.sections[0]
    sect_pr = section._sectPr
    for tag in ("w:headerReference", "w:footerReference"):
        for reference in sect_pr.findall(qn(tag)):
            sect_pr.remove(reference)
            document.part.drop_rel(reference.get(qn("r:id")))


# --- metadata ----------------------------------------------------------------------------------


# python-docx (like Word's dialog) holds a core property to 255 characters.
CORE_PROPERTY_LIMIT = 255


def _core_properties(document, doc: Document) -> None:
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


APPLICATION = "khmer-handouts"
_EXTENDED_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"


def _extended_properties(document, doc: Document) -> None:
    """Write docProps/app.xml afresh: the producer and organisation, no stale counts.

    The reference document's copy names whatever last saved it (python-docx's template says
    "Microsoft Macintosh Word", 1 page, 0 words); Word recounts pages and words on opening.
    """
    package = document.part.package
    properties = etree.Element(f"{{{_EXTENDED_NS}}}Properties", nsmap={None: _EXTENDED_NS})
    for name, value in (("Application", APPLICATION), ("DocSecurity", "0"),
                        ("Company", doc.organisation), ("LinksUpToDate", "false"),
                        ("HyperlinksChanged", "false")):
        etree.SubElement(properties, f"{{{_EXTENDED_NS}}}{name}").text = value
    blob = etree.tostring(properties, xml_declaration=True, encoding="UTF-8", standalone=True)
    for rel in package.rels.values():
        if rel.reltype == RT.EXTENDED_PROPERTIES:
            rel.target_part._blob = blob
            return
    part = Part(PackURI("/docProps/app.xml"), CT.OFC_EXTENDED_PROPERTIES, blob, package)
    package.relate_to(part, RT.EXTENDED_PROPERTIES)


# --- embedded fonts ----------------------------------------------------------------------------


@cache
def _font_faces(folder: Path) -> dict[str, dict[str, Path]]:
    """Return {family: {face: file}} for the fonts in a folder, from their name tables."""
    faces: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.glob("*.ttf")):
        with TTFont(path, lazy=True) as font:
            names = font["name"]
            family = names.getDebugName(16) or names.getDebugName(1)
            face = names.getDebugName(17) or names.getDebugName(2)
        faces.setdefault(family, {})[face] = path
    return faces


def _check_embeddable(path: Path, data: bytes) -> None:
    with TTFont(io.BytesIO(data), lazy=True) as font:
        fs_type = font["OS/2"].fsType
    licence = fs_type & 0xF
    if fs_type & _FS_BITMAP_ONLY or (licence and not licence & _FS_EDITABLE):
        raise SetupError(f"{path.name}: the font's licence bits (OS/2 fsType {fs_type:#06x}) "
                         "forbid embedding it in an editable document; use a font with "
                         "fsType 0 (installable) or the editable bit")


# Basic Latin, Latin-1, Latin Extended-A/B, spacing modifiers, general punctuation, currency
# signs, letterlike symbols, arrows: what English text, names, figures and URLs use.
LATIN_SUBSET = (*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x2B0, 0x300),
                *range(0x2000, 0x2070), *range(0x20A0, 0x20C1), *range(0x2100, 0x2150),
                *range(0x2190, 0x2200), 0x25CC, 0xFFFD)


@cache
def latin_subset(path: Path) -> bytes:
    """Return a font cut down to LATIN_SUBSET, names, licence bits and features kept."""
    from fontTools import subset

    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.layout_features = ["*"]
    options.notdef_outline = True
    # Identical input, identical bytes: saving a TTFont stamps head.modified with the clock
    # unless the font itself is told not to (the subsetter's option covers only loading).
    options.recalc_timestamp = False
    with TTFont(path, recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=LATIN_SUBSET)
        subsetter.subset(font)
        buffer = io.BytesIO()
        subset.save_font(font, buffer, options)
    return buffer.getvalue()


def font_key(path: Path, data: bytes) -> str:
    """Return the font's embedding key: a GUID derived from its file name and content."""
    name = f"{path.name}:{hashlib.sha256(data).hexdigest()}"
    return "{" + str(uuid.uuid5(FONT_KEY_NAMESPACE, name)).upper() + "}"


def obfuscate_font(data: bytes, key: str) -> bytes:
    """XOR the first 32 bytes with the key's 16 bytes in reverse order (ECMA-376 17.8.1).

    The same operation undoes it.
    """
    mask = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(byte ^ mask[i % 16] for i, byte in enumerate(data[:32]))
    return head + data[32:]


def _embed_fonts(document, families: list[tuple[str, bool]]) -> None:
    """Embed every face of each (family, subset) the styles name.

    Khmer fonts go in whole: staff edit these handouts and type words the original text
    lacks, and a subset would draw their new characters in a fallback font (or as boxes).
    They are small (about 110–150 KB each). The Latin companion is 500 KB a face, so it goes
    in as a subset of the Latin-script blocks, which still covers what staff type in English.
    """
    table_part = document.part.part_related_by(RT.FONT_TABLE)
    for r_id, rel in list(table_part.rels.items()):
        if rel.reltype == RT.FONT:
            del table_part.rels[r_id]
    root = etree.fromstring(table_part.blob)
    available = _font_faces(FONTS_DIR)
    number = 0
    for family, subset in families:
        if family not in available:
            raise SetupError(f"{REFERENCE_DOCX.name} sets Khmer text in '{family}', which is "
                             f"not in {FONTS_DIR.name}/; add the font or change the style")
        entry = _font_entry(root, family)
        for face, tag in _FACES.items():
            path = available[family].get(face)
            if path is None:
                continue
            data = path.read_bytes()
            _check_embeddable(path, data)
            if subset:
                data = latin_subset(path)
            key = font_key(path, data)
            number += 1
            part = Part(PackURI(f"/word/fonts/font{number}.odttf"), OBFUSCATED_FONT,
                        obfuscate_font(data, key), document.part.package)
            embed = etree.SubElement(entry, qn(f"w:{tag}"))
            embed.set(qn("r:id"), table_part.relate_to(part, RT.FONT))
            embed.set(qn("w:fontKey"), key)
            if subset:
                embed.set(qn("w:subsetted"), "1")
    table_part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
    settings = document.settings.element
    if settings.find(qn("w:embedTrueTypeFonts")) is None:
        settings.insert_element_before(OxmlElement("w:embedTrueTypeFonts"), *_SETTINGS_AFTER)


# Elements that follow w:embedTrueTypeFonts in w:settings (ECMA-376 CT_Settings order).
_SETTINGS_AFTER = (
    "w:embedSystemFonts", "w:saveSubsetFonts", "w:saveFormsData", "w:mirrorMargins",
    "w:alignBordersAndEdges", "w:bordersDoNotSurroundHeader", "w:bordersDoNotSurroundFooter",
    "w:gutterAtTop", "w:hideSpellingErrors", "w:hideGrammaticalErrors", "w:activeWritingStyle",
    "w:proofState", "w:formsDesign", "w:attachedTemplate", "w:linkStyles",
    "w:stylePaneFormatFilter", "w:stylePaneSortMethod", "w:documentType", "w:mailMerge",
    "w:revisionView", "w:trackRevisions", "w:doNotTrackMoves", "w:doNotTrackFormatting",
    "w:documentProtection", "w:autoFormatOverride", "w:styleLockTheme", "w:styleLockQFSet",
    "w:defaultTabStop", "w:autoHyphenation", "w:consecutiveHyphenLimit", "w:hyphenationZone",
    "w:doNotHyphenateCaps", "w:showEnvelope", "w:summaryLength", "w:clickAndTypeStyle",
    "w:defaultTableStyle", "w:evenAndOddHeaders", "w:bookFoldRevPrinting", "w:bookFoldPrinting",
    "w:bookFoldPrintingSheets", "w:drawingGridHorizontalSpacing",
    "w:drawingGridVerticalSpacing", "w:displayHorizontalDrawingGridEvery",
    "w:displayVerticalDrawingGridEvery", "w:doNotUseMarginsForDrawingGridOrigin",
    "w:drawingGridHorizontalOrigin", "w:drawingGridVerticalOrigin", "w:doNotShadeFormData",
    "w:noPunctuationKerning", "w:characterSpacingControl", "w:printTwoOnOne",
    "w:strictFirstAndLastChars", "w:noLineBreaksAfter", "w:noLineBreaksBefore",
    "w:savePreviewPicture", "w:doNotValidateAgainstSchema", "w:saveInvalidXml",
    "w:ignoreMixedContent", "w:alwaysShowPlaceholderText", "w:doNotDemarcateInvalidXml",
    "w:saveXmlDataOnly", "w:useXSLTWhenSaving", "w:saveThroughXslt", "w:showXMLTags",
    "w:alwaysMergeEmptyNamespace", "w:updateFields", "w:hdrShapeDefaults", "w:footnotePr",
    "w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr", "w:attachedSchema",
    "w:themeFontLang", "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats",
    "w:doNotAutoCompressPictures", "w:forceUpgrade", "w:captions", "w:readModeInkLockDown",
    "w:smartTagType", "sl:schemaLibrary", "w:shapeDefaults", "w:doNotEmbedSmartTags",
    "w:decimalSymbol", "w:listSeparator",
)


def _font_entry(root, family: str):
    """Return the fontTable's w:font for a family, without old embeddings; add it if missing."""
    for entry in root.findall(qn("w:font")):
        if entry.get(qn("w:name")) == family:
            for tag in _FACES.values():
                for old in entry.findall(qn(f"w:{tag}")):
                    entry.remove(old)
            return entry
    entry = etree.SubElement(root, qn("w:font"))
    entry.set(qn("w:name"), family)
    for tag, value in (("w:charset", "00"), ("w:family", "auto"), ("w:pitch", "variable")):
        etree.SubElement(entry, qn(tag)).set(qn("w:val"), value)
    return entry


# --- the zip -----------------------------------------------------------------------------------


def stable_zip(data: bytes) -> bytes:
    """Rewrite a DOCX zip with fixed timestamps, permissions and member order."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    order = [name for name in _ZIP_FIRST if name in members]
    order += sorted(name for name in members if name not in _ZIP_FIRST)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o644 << 16
            target.writestr(info, members[name], compresslevel=9)
    return out.getvalue()

