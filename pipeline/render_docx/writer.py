"""The body writer: the handout's masthead, quick facts, sections, contact lines and footer as
paragraphs and tables in the reference's named styles, Khmer in complex-script runs, each
author paragraph wrapped in a bookmark naming its source field (for import), and the text
derived from other fields locked.
"""

from __future__ import annotations

import io

import segno
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Twips
from docx.text.run import Run
from lxml import etree

from ..config import QR_QUIET_ZONE
from ..khmer import join_for_word_processors, script_runs
from ..model import Bullets, Citations, Document, Paragraphs, Terms
from ..provenance import bookmark_name, field_path, id_marker, version_marker
from ..theme import load_theme
from .ooxml import DRAWINGML, TCPR_AFTER_TCMAR, get_or_add
from .styles import (
    CAPTION,
    FACTS,
    FACTS_HEADING,
    FACTS_LABEL,
    FACTS_TABLE,
    FOOTER,
    HEADING,
    HYPERLINK,
    LIST_BULLET,
    MASTHEAD_TABLE,
    NORMAL,
    REFERENCES,
    REFERENCES_HEADING,
    SPACER,
    SUBTITLE,
    TITLE,
    Geometry,
    style_fonts,
)

# The DOCX's own measures (page sizes, margins, type and colours come from the theme).
QR_MM = 24  # with its quiet zone, as .qr svg in handout.css
LOGO_MM = 14  # the logo's height, as .logo in handout.css
QR_COLUMN_MM = 28  # the QR code, centred, with room to breathe from the titles
FACTS_BOTTOM_PADDING_MM = 2  # as the padding of .facts


class Body:
    """Add styled paragraphs, tables, runs, links, fields and bookmarks to a document."""

    def __init__(self, document, styles: dict) -> None:
        self.document = document
        self.part = document.part
        self.styles = styles
        self.cs_fonts = style_fonts(document, styles, "cs")
        self.bookmarks = 0  # bookmark ids given so far

    def paragraph(self, style: str, text: str = "", container=None, bold: bool = False):
        """Add a paragraph in a named style (to the body, or to a table cell) and return it."""
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
        """Append a link to an external URL, its text in the Hyperlink character style."""
        link = OxmlElement("w:hyperlink")
        link.set(qn("r:id"), self.part.relate_to(url, RT.HYPERLINK, is_external=True))
        link.set(qn("w:history"), "1")
        paragraph._p.append(link)
        self.runs(link, text, style, rstyle=HYPERLINK)

    def table(self, widths: list[int], style: str, container=None, rows: int = 1):
        """Add a table with fixed column widths in twips, its cells still empty."""
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

    def field(self, paragraph, instruction: str, placeholder: str) -> None:
        """Append a field (PAGE, NUMPAGES) showing a placeholder until it is computed."""
        # Word and LibreOffice both recompute page fields when they lay the document out.
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), f" {instruction} ")
        paragraph._p.append(field)
        self.runs(field, placeholder, FOOTER)

    def mark(self, paragraph, path: str | None) -> None:
        """Wrap a paragraph's runs in a bookmark named after its source field (for import)."""
        if path:
            self.bookmark(paragraph, bookmark_name(path), around=True)

    def bookmark(self, paragraph, name: str, around: bool = False) -> None:
        """Add a bookmark at the start of a paragraph: empty, or around all its runs."""
        self.bookmarks += 1
        start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
        start.set(qn("w:id"), str(self.bookmarks))
        start.set(qn("w:name"), name)
        end.set(qn("w:id"), str(self.bookmarks))
        p = paragraph._p
        properties = p.find(qn("w:pPr"))
        if properties is not None:
            properties.addnext(start)
        else:
            p.insert(0, start)
        if around:
            p.append(end)
        else:
            start.addnext(end)


class HandoutWriter(Body):
    """Lay a handout out on a document built on the reference."""

    def write(self, doc: Document, geometry: Geometry) -> None:
        """Lay the handout out in the body, then lock the text that is not the author's."""
        self.masthead(doc, geometry)
        self.facts(doc, geometry)
        for section in doc.sections:
            # References in small print under a small heading, as in the PDF.
            heading = REFERENCES_HEADING if section.key == "references" else HEADING
            self.paragraph(heading, section.heading)
            for block in section.blocks:
                self.block(block)
        self.contact(doc)
        self.footer(doc, geometry)
        lock_derived_text(self.document)

    def masthead(self, doc: Document, geometry: Geometry) -> None:
        """Add the masthead: logo, title and subtitle beside the QR code and its caption."""
        width = geometry.text_width.twips
        qr = Mm(QR_COLUMN_MM).twips if doc.qr_url else 0
        table = self.table([width - qr, qr] if qr else [width], MASTHEAD_TABLE)
        titles = table.rows[0].cells[0]
        titles.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        if doc.logo and doc.logo.kind == "png":  # Word draws no SVG without a PNG stand-in
            logo = self.paragraph(CAPTION, container=titles)
            logo.alignment = WD_ALIGN_PARAGRAPH.LEFT
            logo.add_run().add_picture(str(doc.logo.path), height=Mm(LOGO_MM))
            logo._p.find(".//" + qn("wp:docPr")).set("descr", doc.organisation)
        title = self.paragraph(TITLE, doc.title, titles)
        # Which handout this is, for import: a bookmark survives Word and LibreOffice.
        self.bookmark(title, id_marker(doc.id))
        # And which version of its source's text, so that import notices a newer source.
        self.bookmark(title, version_marker(doc))
        self.mark(title, "title")
        if doc.title_other:
            self.mark(self.paragraph(SUBTITLE, doc.title_other, titles), "title_other")
        if doc.qr_url:
            cell = table.rows[0].cells[1]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            picture = self.paragraph(CAPTION, container=cell)
            self.qr_code(picture, doc.qr_url)
            self.paragraph(CAPTION, doc.qr_caption, cell)

    def qr_code(self, paragraph, url: str) -> None:
        """Add the QR code of a URL as a picture that opens the URL when clicked."""
        png = io.BytesIO()
        segno.make(url, error="m").save(png, kind="png", scale=10, border=QR_QUIET_ZONE,
                                        dark=load_theme().colours["ink"])
        png.seek(0)
        paragraph.add_run().add_picture(png, width=Mm(QR_MM))
        properties = paragraph._p.find(".//" + qn("wp:docPr"))
        properties.set("descr", f"QR code: {url}")
        # Clicking the code in Word or LibreOffice opens the page it leads to.
        click = etree.SubElement(properties, qn("a:hlinkClick"), nsmap={"a": DRAWINGML})
        click.set(qn("r:id"), self.part.relate_to(url, RT.HYPERLINK, is_external=True))

    def facts(self, doc: Document, geometry: Geometry) -> None:
        """Add the quick-facts box: its heading across the top, then one fact per row.

        One row per fact, label beside value, as in the PDF: the page breaks at the same
        place, and a reader that goes by position keeps each label with its value.
        """
        # Two tables in a row would become one in Word: a spacer paragraph keeps the
        # masthead and the box apart, and gives the gap the PDF has between them.
        self.paragraph(SPACER)
        total = geometry.text_width.twips
        label = Mm(geometry.page.fact_label_width).twips
        table = self.table([label, total - label], FACTS_TABLE, rows=1 + len(doc.facts))
        heading, spanned = table.rows[0].cells
        heading._tc.getparent().remove(spanned._tc)
        heading._tc.grid_span = 2
        heading.width = Twips(total)
        self.paragraph(FACTS_HEADING, doc.facts_heading, heading)
        for row, fact in zip(table.rows[1:], doc.facts, strict=True):
            self.paragraph(FACTS_LABEL, fact.label, row.cells[0])
            # A fact typed by the author (education, outlook, ...) is read back by import.
            self.mark(self.paragraph(FACTS, fact.value, row.cells[1]), fact.path)
        for cell in table.rows[-1].cells:
            _cell_bottom_margin(cell, Mm(FACTS_BOTTOM_PADDING_MM).twips)

    def block(self, block) -> None:
        """Add one block of a section: paragraphs, terms, bullets or citations."""
        if isinstance(block, Paragraphs):
            for text, path in _with_paths(block.paragraphs, block.paths):
                self.mark(self.paragraph(NORMAL, text), path)
        elif isinstance(block, Terms):
            self.mark(self.paragraph(NORMAL, block.lead), block.lead_path)
            for item, path in _with_paths(block.items, block.paths):
                paragraph = self.paragraph(LIST_BULLET, item.term, bold=True)
                self.runs(paragraph._p, block.separator + item.explanation, LIST_BULLET)
                self.mark(paragraph, path)
        elif isinstance(block, Bullets):
            for text, path in _with_paths(block.items, block.paths):
                self.mark(self.paragraph(LIST_BULLET, text), path)
        elif isinstance(block, Citations):
            for citation in block.items:
                paragraph = self.paragraph(REFERENCES, f"{citation.text} ")
                self.hyperlink(paragraph, citation.url, citation.url, REFERENCES)
        else:
            raise TypeError(f"no DOCX layout for {type(block).__name__}")

    def contact(self, doc: Document) -> None:
        """Close the handout with the office's name and contact lines, as the PDF does."""
        if not doc.contact:
            return
        self.paragraph(SPACER)
        self.paragraph(FOOTER, doc.organisation, bold=True)
        for line in doc.contact:
            self.paragraph(FOOTER, line)

    def footer(self, doc: Document, geometry: Geometry) -> None:
        """Set the footer: the organisation, then the page number and count on the right."""
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


_LOCKED_CONTENT = frozenset(qn(tag) for tag in ("w:r", "w:hyperlink", "w:fldSimple"))


def lock_derived_text(document) -> None:
    """Put the text of each body paragraph that is not author text in a locked content control.

    Headings, quick facts, references and the QR code come from other fields, the labels
    and the figures; import never reads them back. Word refuses to edit a locked
    control's content; LibreOffice keeps the text but drops the lock (and import then stops
    at an edit there, naming the paragraph). Inline controls only: LibreOffice garbles
    block-level ones.
    """
    for paragraph in document.element.body.iter(qn("w:p")):
        if any(field_path(start.get(qn("w:name")) or "")
               for start in paragraph.iter(qn("w:bookmarkStart"))):
            continue
        content = [child for child in paragraph if child.tag in _LOCKED_CONTENT]
        if not content:
            continue
        sdt = OxmlElement("w:sdt")
        properties = OxmlElement("w:sdtPr")
        lock = OxmlElement("w:lock")
        lock.set(qn("w:val"), "sdtContentLocked")
        properties.append(lock)
        sdt.append(properties)
        holder = OxmlElement("w:sdtContent")
        sdt.append(holder)
        content[0].addprevious(sdt)
        for child in content:
            holder.append(child)


def _with_paths(texts, paths):
    """Pair each text with its source field path (None when the block carries no paths)."""
    return zip(texts, paths or (None,) * len(texts), strict=True)


def _cell_bottom_margin(cell, twips: int) -> None:
    """Pad the bottom of one cell (the box's last row) without padding every row."""
    margins = get_or_add(cell._tc.get_or_add_tcPr(), "w:tcMar", TCPR_AFTER_TCMAR)
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:w"), str(twips))
    bottom.set(qn("w:type"), "dxa")
    margins.append(bottom)


def _drop_headers_and_footers(document) -> None:
    """Remove headers and footers a restyled reference may carry; the handout sets its own."""
    section = document.sections[0]
    sect_pr = section._sectPr
    for tag in ("w:headerReference", "w:footerReference"):
        for reference in sect_pr.findall(qn(tag)):
            sect_pr.remove(reference)
            document.part.drop_rel(reference.get(qn("r:id")))
