"""The PDF writers: the handout as printed at the fair, and its press version."""

from __future__ import annotations

import dataclasses

from ..config import Settings
from ..errors import BuildError
from ..model import Document
from . import Rendered, Writer, register

# The page count of the last few handouts laid out in this process, by Document and page
# size: the DOCX takes the PDF's verdict on the page budget instead of laying out again.
_PAGES: dict[tuple[Document, str], int] = {}


def _render(doc: Document, settings: Settings):
    from ..render_html import render_html
    from ..render_pdf import minimum_pages, render_pdf

    # A text that cannot fit whatever the layout does is refused before the layout, which
    # would take minutes for a source of thousands of items.
    least = minimum_pages(doc, settings.page_size)
    if least > doc.page_budget:
        raise BuildError(f"renders to about {least} pages, budget is {doc.page_budget}")
    html = render_html(doc, settings)
    pdf = render_pdf(html, settings)
    if len(_PAGES) > 16:
        _PAGES.clear()
    _PAGES[doc, settings.page_size] = pdf.pages
    if pdf.pages > doc.page_budget:
        raise BuildError(f"renders to {pdf.pages} pages, budget is {doc.page_budget}")
    return html, pdf


def check_page_budget(doc: Document, settings: Settings) -> None:
    """Fail as the PDF fails when the handout is over its page budget.

    The PDF's layout is the one verdict for every format: a DOCX that Word would lay out on
    a third page is refused with the same message, and its previous file is kept.
    """
    pages = _PAGES.get((doc, settings.page_size))
    if pages is None:
        _render(doc, dataclasses.replace(settings, for_print=False, pdf_variant="none"))
    elif pages > doc.page_budget:
        raise BuildError(f"renders to {pages} pages, budget is {doc.page_budget}")


@register
class PdfWriter(Writer):
    name = "pdf"
    help = "print-ready PDFs in pdf/, with the HTML they are drawn from in html/"
    settings = ("page_size", "pdf_variant")
    folders = ("pdf", "html")

    def files(self, handout_id: str) -> tuple[str, ...]:
        return (f"html/{handout_id}.html", f"pdf/{handout_id}.pdf")

    def render(self, doc: Document, settings: Settings) -> Rendered:
        html, pdf = _render(doc, dataclasses.replace(settings, for_print=False))
        html_file, pdf_file = self.files(doc.id)
        return Rendered({html_file: html.encode("utf-8"), pdf_file: pdf.data}, pdf.pages)


@register
class PressWriter(Writer):
    name = "print"
    help = "press PDFs in print/: 3 mm bleed, crop marks outside it"
    settings = PdfWriter.settings
    folders = ("print",)

    def files(self, handout_id: str) -> tuple[str, ...]:
        return (f"print/{handout_id}.pdf",)

    def render(self, doc: Document, settings: Settings) -> Rendered:
        _, pdf = _render(doc, dataclasses.replace(settings, for_print=True))
        return Rendered({self.files(doc.id)[0]: pdf.data}, pdf.pages)
