"""Render handout HTML to PDF bytes with WeasyPrint, in-process and sandboxed.

The renderer sees only our fonts and templates: a fetcher refuses every other URL (and stops
the render, instead of WeasyPrint's default of logging and going on), and fontconfig is
pointed at fonts/ alone, so no system font can slip in and the output is the same on every
machine. Text extracted from the PDF is the source text, Khmer included: see pdf_text.py
(``pdf_text.exact_text(False)`` around a render turns that off, for comparisons).
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from . import pdf_text
from .branding import BRANDING_DIR
from .config import FONTS_DIR, PRINT_BLEED_MM, TEMPLATES_DIR, Settings
from .errors import BuildError
from .model import Document
from .theme import load_theme

LOGGER = logging.getLogger(__name__)

# Everything the renderer may read: fonts, templates, and the office's logo.
ALLOWED_DIRS = (FONTS_DIR.resolve(), TEMPLATES_DIR.resolve(), BRANDING_DIR.resolve())


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int


@lru_cache(maxsize=1)
def _isolate_fontconfig() -> None:
    """Make fontconfig know our fonts/ folder and nothing else, for this process."""
    folder = Path(tempfile.mkdtemp(prefix="khmer-handouts-fontconfig-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{escape(str(FONTS_DIR.resolve()))}</dir>\n"
        f"  <cachedir>{escape(str(folder / 'cache'))}</cachedir>\n"
        "</fontconfig>\n", encoding="utf-8")
    os.environ["FONTCONFIG_FILE"] = str(config)


@lru_cache(maxsize=1)
def _weasyprint():
    """Import WeasyPrint once, after fontconfig is isolated (import costs about 0.4 s)."""
    import ctypes.util

    _isolate_fontconfig()
    # cffi asks ctypes.util.find_library about every name WeasyPrint tries for a library
    # (seven per library, for Windows and macOS too), and each question runs ldconfig, gcc
    # and ld: about 200 processes and half a second. The names that work on Linux are
    # sonames, which cffi opens directly; a missing library still fails, with its name.
    find_library = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration
    finally:
        ctypes.util.find_library = find_library

    pdf_text.install()  # WeasyPrint alone maps Khmer glyphs to the wrong text
    return weasyprint, FontConfiguration()


def warm() -> None:
    """Import WeasyPrint, load the fonts and compile the template once, before the first
    handout."""
    from .render_html import warm as warm_html

    _weasyprint()
    _sandboxed_fetcher_class()
    warm_html()


# Bounds that no layout of ours can beat, for `minimum_pages`: the smallest line (8 pt type
# at line height 1.5 is 4.2 mm; the theme's sizes stay above 6 pt at 1.5) and more code
# points to a millimetre of line than any text of ours holds (Khmer stacks several code
# points into one glyph; 8 pt Latin fits about 1.6).
_SMALLEST_LINE_MM = 4.2
_MOST_CODE_POINTS_PER_MM = 2.5


def minimum_pages(doc: Document, page_size: str) -> int:
    """Return fewer pages than the handout can possibly take: a bound, not an estimate.

    Every paragraph, list item and fact takes at least one line, and a line holds at most
    so many characters; a handout whose bound is over its budget fails without a layout.
    """
    page = load_theme().page(page_size)
    per_line = page.text_width * _MOST_CODE_POINTS_PER_MM
    per_page = page.text_height / _SMALLEST_LINE_MM
    lines = sum(-(-len(text) // per_line) or 1 for text in doc.texts())
    return max(1, -(-int(lines) // int(per_page)))


def _sandboxed_fetcher_class():
    weasyprint, _ = _weasyprint()
    from weasyprint.urls import FatalURLFetchingError

    class SandboxedFetcher(weasyprint.URLFetcher):
        """Fetch files under fonts/ and templates/; refuse everything else, loudly."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"file"}, allow_redirects=False)

        def fetch(self, url, headers=None):
            path = _local_path(url)
            if path is None or not any(path.is_relative_to(d) for d in ALLOWED_DIRS):
                raise FatalURLFetchingError(f"blocked fetch of {url[:200]}")
            return super().fetch(url, headers)

    return SandboxedFetcher


def _local_path(url: str) -> Path | None:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    return Path(unquote(parts.path)).resolve()


def _press_bleed_box(document, pdf) -> None:
    """Set each page's BleedBox to the trim box plus PRINT_BLEED_MM.

    WeasyPrint makes the sheet (MediaBox) as large as the CSS bleed and puts the BleedBox
    10 pt outside the trim; the sheet is larger here only to hold the crop marks.
    """
    import pydyf

    bleed = PRINT_BLEED_MM / 25.4 * 72
    for number in pdf.pages["Kids"][::3]:  # pydyf keeps them flat: number, 0, "R", ...
        page = pdf.objects[number]
        left, top, right, bottom = page["TrimBox"]
        page["BleedBox"] = pydyf.Array([left - bleed, top - bleed, right + bleed, bottom + bleed])


class _LogCollector(logging.Handler):
    """Keep WeasyPrint's error lines: a blocked or failed fetch must fail the build."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def render_document(html: str):
    """Lay out HTML in the sandbox; return WeasyPrint's Document (its pages, not yet a PDF).

    A booklet lays out its parts one by one with this and writes their pages as one PDF.
    """
    weasyprint, font_config = _weasyprint()
    fetcher = _sandboxed_fetcher_class()()
    collector = _LogCollector()
    weasy_logger = logging.getLogger("weasyprint")
    weasy_logger.addHandler(collector)
    try:
        document = weasyprint.HTML(
            string=html, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=fetcher,
        ).render(font_config=font_config)
    except BaseException as exc:  # FatalURLFetchingError is a BaseException
        if type(exc).__name__ == "FatalURLFetchingError":
            raise BuildError(f"{exc}: the renderer may read only fonts/ and templates/") from exc
        raise
    finally:
        weasy_logger.removeHandler(collector)
    if collector.messages:
        raise BuildError("rendering failed: " + "; ".join(collector.messages[:3]))
    return document


def write_document(document, settings: Settings, finishers=()) -> bytes:
    """Return the PDF of a laid-out Document: tagged, variant and press boxes per settings.

    Each of `finishers` is called as WeasyPrint's finisher (document, pdf) after ours.
    """
    steps = ([_press_bleed_box] if settings.for_print else []) + list(finishers)

    def finish(document, pdf) -> None:
        for step in steps:
            step(document, pdf)

    variant = None if settings.pdf_variant == "none" else settings.pdf_variant
    return document.write_pdf(
        pdf_variant=variant, pdf_tags=True, custom_metadata=True, uncompressed_pdf=False,
        # An /ID from the file's own content: PDF 2.0 (pdf/ua-2) requires one, and a
        # content hash keeps identical input identical.
        pdf_identifier=True, finisher=finish if steps else None)


def render_pdf(html: str, settings: Settings) -> RenderedPdf:
    """Return the PDF of a handout's HTML and its page count."""
    document = render_document(html)
    return RenderedPdf(write_document(document, settings), len(document.pages))


@dataclass(frozen=True)
class Layout:
    """A handout laid out: its HTML and WeasyPrint's pages (not yet written as a PDF)."""

    html: str
    document: object  # weasyprint.Document
    pages: int


def lay_out(doc: Document, settings: Settings) -> Layout:
    """Lay a handout out; raise BuildError when it is over its page budget.

    The build lays each handout out once and every format takes this verdict: a DOCX that
    Word would set on a third page is refused with the PDF's message, and its previous
    file is kept. A text that cannot fit whatever the layout does is refused before the
    layout, which would take minutes for a source of thousands of items.
    """
    from .render_html import render_html

    least = minimum_pages(doc, settings.page_size)
    if least > doc.page_budget:
        raise BuildError(f"renders to about {least} pages, budget is {doc.page_budget}")
    html = render_html(doc, settings)
    document = render_document(html)
    if len(document.pages) > doc.page_budget:
        raise BuildError(f"renders to {len(document.pages)} pages, budget is "
                         f"{doc.page_budget}")
    return Layout(html, document, len(document.pages))
