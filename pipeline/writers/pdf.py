"""The PDF writers: the handout as printed at the fair, and its press version."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..config import Settings
from ..model import Document
from . import Rendered, Writer, register

# What every PDF's bytes depend on besides the pipeline's own code.
PDF_LIBRARIES = ("weasyprint", "pydyf", "jinja2", "segno", "fonttools")


@register
class PdfWriter(Writer):
    name = "pdf"
    help = "print-ready PDFs in pdf/, with the HTML they are drawn from in html/"
    order = 10
    settings = ("page_size", "pdf_variant")
    libraries = PDF_LIBRARIES
    folders = ("pdf", "html")
    needs_layout = True
    media_type = "application/pdf"

    def files(self, handout_id: str) -> tuple[str, ...]:
        return (f"html/{handout_id}.html", f"pdf/{handout_id}.pdf")

    def offered(self, handout_id: str) -> str:
        return f"pdf/{handout_id}.pdf"

    def render(self, doc: Document, settings: Settings, layout=None) -> Rendered:
        from ..render_pdf import write_document

        html_file, pdf_file = self.files(doc.id)
        data = write_document(layout.document, dataclasses.replace(settings, for_print=False))
        return Rendered({html_file: layout.html.encode("utf-8"), pdf_file: data},
                        layout.pages)


@register
class PressWriter(Writer):
    name = "print"
    help = "press PDFs in print/: 3 mm bleed, crop marks outside it"
    order = 20
    settings = PdfWriter.settings
    libraries = PDF_LIBRARIES
    folders = ("print",)

    def files(self, handout_id: str) -> tuple[str, ...]:
        return (f"print/{handout_id}.pdf",)

    def warm(self, cache_dir: Path) -> None:
        from ..render_pdf import warm

        warm()

    def render(self, doc: Document, settings: Settings, layout=None) -> Rendered:
        from ..render_pdf import lay_out, write_document

        # Laid out again: the bleed and the marks make a larger sheet (same text, same
        # pages, and the same page-budget verdict).
        press = dataclasses.replace(settings, for_print=True)
        laid_out = lay_out(doc, press)
        return Rendered({self.files(doc.id)[0]: write_document(laid_out.document, press)},
                        laid_out.pages)
