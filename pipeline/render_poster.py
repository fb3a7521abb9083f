"""Lay out a fair's table poster: its name and dates, then a grid of QR codes to its careers.

Visitors scan their way to the careers they care about, so each card carries the career's
Khmer and English titles, its salary range and a QR code at least 20 mm wide (quiet zone
included) to its online page. The grid takes as many columns as there are careers, up to
the sheet's maximum; more careers than one sheet holds run onto more sheets, each with the
fair's heading.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from .config import ALL_PAGE_SIZES, SHEET_SIZES_MM, Settings
from .errors import BuildError
from .fair import Arranged
from .khmer import ZWSP
from .model import Document
from .render_pdf import RenderedPdf, render_document, write_document
from .theme import load_theme, theme_for

TEMPLATE = "poster.html.j2"
GAP_MM = 3  # between cards


@dataclass(frozen=True)
class Grid:
    """How a sheet size holds the cards: columns, rows, the QR code's width with its quiet
    zone, and the sheet's margin."""

    columns: int
    rows: int
    qr_mm: float
    margin_mm: float

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


# At most 12 careers on an A4 or Letter sheet, 20 on A3, 4 on A5 (tested).
GRIDS = {
    "A4": Grid(3, 4, 27, 12),
    "Letter": Grid(3, 4, 26, 10),
    "A3": Grid(4, 5, 38, 15),
    "A5": Grid(2, 2, 26, 9),
}
TEXT = {"scan": "ស្កេនដើម្បីអានបន្ថែម", "scan_en": "Scan a code to read about the career",
        "sheet": "ទំព័រ"}


@dataclass(frozen=True)
class Card:
    title: str
    title_other: str | None
    other_language: str
    salary: str
    url: str | None


def career_url(doc: Document, settings: Settings) -> str | None:
    """Return the address a career's code points to: the office's page, else the handout's."""
    if settings.online_url:
        return settings.online_url.replace("{id}", doc.id)
    return doc.qr_url


def _card(doc: Document, settings: Settings) -> Card:
    return Card(doc.title, doc.title_other, doc.other_language, doc.pay.range,
                career_url(doc, settings))


def poster_html(arranged: Arranged, settings: Settings) -> str:
    """Return the poster's HTML: one sheet per `Grid.per_sheet` careers."""
    from .render_html import _environment, qr_svg

    grid = GRIDS[settings.page_size]
    cards = [_card(doc, settings) for doc in arranged.documents]
    sheets = [cards[i:i + grid.per_sheet] for i in range(0, len(cards), grid.per_sheet)]
    fair = arranged.fair
    digits = "khmer" if all(d.digits == "khmer" for d in arranged.documents) else "latin"
    sheet = SHEET_SIZES_MM.get(settings.page_size)  # A3; the handouts' sizes are the theme's
    width = (sheet[0] if sheet else load_theme().page(settings.page_size).width) \
        - 2 * grid.margin_mm
    card_width = (width - (grid.columns - 1) * GAP_MM) / grid.columns
    page = {"name": settings.page_size,
            "size": ALL_PAGE_SIZES[settings.page_size],
            "margin": f"{grid.margin_mm}mm", "columns": min(grid.columns, len(cards)),
            # Cards keep the size of a full grid's, centred when there are fewer of them.
            "card": f"{card_width:.1f}mm",
            "qr": f"{grid.qr_mm}mm", "gap": f"{GAP_MM}mm",
            "counter_style": "khmer" if digits == "khmer" else "decimal",
            "theme": Markup(theme_for(settings).css_variables(settings.page_size))}
    template = _environment().get_template(TEMPLATE)
    return template.render(fair=fair, sheets=sheets, page=page, text=TEXT,
                           dates_km=fair.dates_km(), dates_en=fair.dates_en(),
                           qr_svg=qr_svg, plain=lambda t: t.replace(ZWSP, ""))


def render_poster(arranged: Arranged, settings: Settings) -> RenderedPdf:
    """Return the poster of a fair as a PDF (tagged like the handouts)."""
    document = render_document(poster_html(arranged, settings))
    grid = GRIDS[settings.page_size]
    sheets = -(-len(arranged.documents) // grid.per_sheet)
    if len(document.pages) != sheets:
        # A card spilled onto a sheet of its own, without the fair's heading.
        raise BuildError(f"the poster of fair '{arranged.fair.id}' does not fit "
                         f"{grid.per_sheet} careers on a {settings.page_size} sheet; shorten "
                         "the longest titles")
    return RenderedPdf(write_document(document, settings), len(document.pages))
