"""The DOCX writer: the handout as an editable Word document."""

from __future__ import annotations

from ..config import Settings
from ..model import Document
from . import Rendered, Writer, register


@register
class DocxWriter(Writer):
    name = "docx"
    help = "editable DOCX documents in docx/, Khmer fonts embedded"
    settings = ("page_size",)
    folders = ("docx",)

    def files(self, handout_id: str) -> tuple[str, ...]:
        return (f"docx/{handout_id}.docx",)

    def render(self, doc: Document, settings: Settings) -> Rendered:
        from ..render_docx import render_docx
        from .pdf import check_page_budget

        check_page_budget(doc, settings)
        return Rendered({self.files(doc.id)[0]: render_docx(doc, settings)})
