"""The DOCX writer: the handout as an editable Word document."""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..model import Document
from . import Rendered, Writer, register


@register
class DocxWriter(Writer):
    name = "docx"
    help = "editable DOCX documents in docx/, Khmer fonts embedded"
    order = 30
    settings = ("page_size",)
    libraries = ("python-docx", "lxml", "segno", "fonttools")
    folders = ("docx",)
    # The PDF's layout is the one page-budget verdict: a DOCX that Word would lay out on a
    # third page is refused with the same message.
    needs_layout = True
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    def files(self, handout_id: str) -> tuple[str, ...]:
        return (f"docx/{handout_id}.docx",)

    def offered(self, handout_id: str) -> str:
        return self.files(handout_id)[0]

    def warm(self, cache_dir: Path) -> None:
        from ..render_docx import warm

        warm(cache_dir)

    def render(self, doc: Document, settings: Settings, layout=None) -> Rendered:
        from ..render_docx import render_docx

        return Rendered({self.files(doc.id)[0]: render_docx(doc, settings)})
