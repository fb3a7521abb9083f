"""Lay out a fair's booklet: a cover, the contents, then every handout as in its own PDF.

Each handout is laid out from its own HTML (handout.html.j2 and handout.css, as for its
single PDF) with only the running footer changed, so its text, line breaks and page breaks
are those of its own PDF. The parts are laid out one by one and their pages written as one
PDF (WeasyPrint keeps each page's boxes, tags and bookmarks): each handout starts on a
right-hand (odd) page, after a blank left page where needed; the press version is padded
with blank pages to a multiple of 4 for saddle stitching.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from .config import PAGE_SIZES, PRINT_MARKS_MM, Settings
from .errors import BuildError
from .fair import Arranged
from .khmer import ZWSP, to_khmer_digits
from .model import Document
from .render_pdf import RenderedPdf, render_document, write_document
from .theme import load_theme, theme_for

FRONT_TEMPLATE = "booklet.html.j2"
SHEETS_OF = 4  # pages per folded sheet: a saddle-stitched booklet has a multiple of 4

# The cover's and contents' words (the booklet is Khmer, as the fair's name).
TEXT = {
    "contents": "មាតិកា",
    "dates": "កាលបរិច្ឆេទ",
    "venue": "ទីកន្លែង",
    "organiser": "អ្នករៀបចំ",
    "count": "ឯកសារណែនាំអាជីព {count}",
    "description": "ឯកសារណែនាំអាជីពទាំងអស់នៃពិព័រណ៍",
}


@dataclass(frozen=True)
class Entry:
    """One line of the contents."""

    title: str
    title_other: str | None
    other_language: str
    page: str


def number(value: int, digits: str) -> str:
    """Return a page number as printed: Latin or Khmer digits."""
    return to_khmer_digits(str(value)) if digits == "khmer" else str(value)


def _page(settings: Settings, digits: str) -> dict:
    return {
        "name": settings.page_size,
        "size": PAGE_SIZES[settings.page_size],
        "margins": " ".join(f"{mm:g}mm" for mm in load_theme().page(settings.page_size).margins),
        "theme": Markup(theme_for(settings).css_variables(settings.page_size)),
        "for_print": settings.for_print,
        "counter_style": "khmer" if digits == "khmer" else "decimal",
        "marks_margin": f"{PRINT_MARKS_MM}mm",
    }


def _front_html(arranged: Arranged, settings: Settings, digits: str,
                starts: dict[str, int] | None, created: str | None) -> str:
    """Return the cover and contents; without `starts`, with wide stand-in page numbers."""
    from .render_html import _environment

    fair = arranged.fair
    groups = [(heading, [Entry(doc.title, doc.title_other, doc.other_language,
                               number(starts[doc.id], digits) if starts else
                               number(888, digits))
                         for doc in docs])
              for heading, docs in arranged.groups]
    count = len(arranged.documents)
    # A Khmer date reads in Khmer digits, whatever the handouts use for figures.
    text = dict(TEXT, dates_km=fair.dates_km(), dates_en=fair.dates_en(),
                count=TEXT["count"].format(count=number(count, digits)))
    template = _environment().get_template(FRONT_TEMPLATE)
    return template.render(fair=fair, groups=groups, text=text, created=created,
                           page=_page(settings, digits))


def _blank_html(settings: Settings, count: int) -> str:
    page = _page(settings, "latin")
    marks = f"bleed: {page['marks_margin']}; marks: crop cross;" if settings.for_print else ""
    breaks = "".join('<div style="break-before: page"></div>' for _ in range(count))
    return (f'<!DOCTYPE html><html lang="km"><head><meta charset="utf-8"><title>-</title>'
            f"<style>@page {{ size: {page['size']}; margin: {page['margins']}; {marks} }}"
            f"</style></head><body>{breaks}</body></html>")


def _page_labels(labels: list[tuple[int, str]]):
    """Return a finisher that writes /PageLabels: each page's printed number.

    PDF page labels have Latin digits (/D) but no Khmer ones, so a Khmer page's label is
    its number as a prefix (/P) alone.
    """
    def finisher(document, pdf) -> None:
        import pydyf

        nums: list = []
        previous: tuple[int, str] | None = None
        for index, (value, digits) in enumerate(labels):
            continues = previous == (value - 1, "latin") and digits == "latin"
            previous = (value, digits)
            if continues:
                continue
            style = ({"S": "/D", "St": value} if digits == "latin"
                     else {"P": pydyf.String(number(value, digits))})
            nums += [index, pydyf.Dictionary(style)]
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": pydyf.Array(nums)})

    return finisher


def _title_bookmark(pages, doc: Document) -> None:
    """Name the handout's bookmark with both titles (its own PDF names only the first)."""
    label = doc.title.replace(ZWSP, "")
    if doc.title_other:
        label += " – " + doc.title_other.replace(ZWSP, "")
    for page in pages:
        for index, (level, _, position, state) in enumerate(page.bookmarks):
            if level == 1:
                page.bookmarks[index] = (level, label, position, state)
                return


def render_booklet(arranged: Arranged, settings: Settings) -> RenderedPdf:
    """Return the booklet of a fair: cover, contents and every handout, as one PDF."""
    from .render_html import Footer, render_html

    documents = arranged.documents
    if not documents:
        raise BuildError(f"fair '{arranged.fair.id}' has no handouts to print")
    front_digits = "khmer" if all(d.digits == "khmer" for d in documents) else "latin"
    # The booklet is as new as its newest handout (ISO 8601 texts sort by time).
    created = max((d.created for d in documents if d.created), default=None)
    # The contents need the handouts' first pages, and those follow the contents: lay the
    # front out once with stand-in numbers for its length, and again at the end.
    front_length = len(render_document(
        _front_html(arranged, settings, front_digits, None, created)).pages)

    # (source of the page, index in it), with the page's printed number and digits
    sequence: list[tuple[str, int]] = [("front", i) for i in range(front_length)]
    labels: list[tuple[int, str]] = [(i + 1, front_digits) for i in range(front_length)]
    blanks = 0
    parts: dict[str, object] = {}
    starts: dict[str, int] = {}
    for doc in documents:
        if len(sequence) % 2:  # the next page would be a left-hand one
            sequence.append(("blank", blanks))
            labels.append((len(labels) + 1, labels[-1][1]))
            blanks += 1
        starts[doc.id] = len(sequence) + 1
        html = render_html(doc, settings, Footer(arranged.fair.name, starts[doc.id]))
        part = render_document(html)
        _title_bookmark(part.pages, doc)
        parts[doc.id] = part
        for index in range(len(part.pages)):
            sequence.append((doc.id, index))
            labels.append((len(labels) + 1, doc.digits))
    if settings.for_print:
        while len(sequence) % SHEETS_OF:
            sequence.append(("blank", blanks))
            labels.append((len(labels) + 1, labels[-1][1]))
            blanks += 1

    front = render_document(_front_html(arranged, settings, front_digits, starts, created))
    if len(front.pages) != front_length:
        raise BuildError(f"the contents of fair '{arranged.fair.id}' changed length when its "
                         "page numbers were filled in; report this")
    parts["front"] = front
    if blanks:
        blank = render_document(_blank_html(settings, blanks))
        if len(blank.pages) != blanks:
            raise BuildError(f"laid out {len(blank.pages)} blank pages, not {blanks}")
        parts["blank"] = blank
    pages = [parts[name].pages[index] for name, index in sequence]
    # The front's metadata (the fair's name as title, Khmer as language) is the booklet's.
    data = write_document(front.copy(pages), settings, [_page_labels(labels)])
    return RenderedPdf(data, len(pages))
