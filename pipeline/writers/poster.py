"""The fair posters: a sign for the booth table with a QR code to every career."""

from __future__ import annotations

from ..config import Settings
from . import register
from .booklet import FairWriter


@register
class PosterWriter(FairWriter):
    name = "poster"
    order = 60
    help = "a table poster per fair in poster/: every career with its QR code (A3: PAGE_SIZE)"
    settings = ("page_size", "pdf_variant", "online_url")
    folders = ("poster",)
    folder = "poster"
    page_sizes = ("A4", "A3", "A5", "Letter")

    def make(self, arranged, settings: Settings) -> bytes:
        from ..render_poster import render_poster

        return render_poster(arranged, settings).data
