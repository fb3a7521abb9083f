"""Render a Document to HTML with the Jinja2 templates in templates/."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jinja2
import segno
from markupsafe import Markup

from .config import PAGE_SIZES, PRINT_MARKS_MM, QR_QUIET_ZONE, TEMPLATES_DIR, Settings
from .khmer import WORD_JOINER, ZWSP, insert_word_breaks
from .model import Bullets, Citations, Document, Paragraphs, Terms
from .theme import load_theme, theme_for

TEMPLATE_NAME = "handout.html.j2"


def _plain(text: str) -> str:
    """Drop the inserted word breaks, for metadata and accessible names."""
    return text.replace(ZWSP, "").replace(WORD_JOINER, "")


def _css_string(text: str) -> Markup:
    """Escape text for a CSS string inside <style>, where HTML escaping does not apply."""
    out = []
    for char in _plain(text):
        if char.isalnum() or char in " .,-_()/:":
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return Markup("".join(out))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["plain"] = _plain
    env.filters["css_string"] = _css_string
    # For text typed elsewhere than a source (a fair's name and venue), not yet prepared.
    env.filters["wrap"] = insert_word_breaks
    env.tests["paragraphs"] = lambda block: isinstance(block, Paragraphs)
    env.tests["terms"] = lambda block: isinstance(block, Terms)
    env.tests["bullets"] = lambda block: isinstance(block, Bullets)
    env.tests["citations"] = lambda block: isinstance(block, Citations)
    return env


def qr_svg(url: str) -> Markup:
    """Return an inline vector QR code for a URL, titled for screen readers (its /Alt)."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=1, border=QR_QUIET_ZONE, omitsize=True,
                                  dark=load_theme().colours["ink"], title=f"QR code: {url}"))


@dataclass(frozen=True)
class Footer:
    """A running footer other than the handout's own: a booklet's, with its page numbers."""

    left: str  # in place of the organisation: the fair's name
    first_page: int  # the number printed on the handout's first page


def render_html(doc: Document, settings: Settings, footer: Footer | None = None) -> str:
    """Return the handout as a complete HTML document (with another footer, for a booklet)."""
    theme = theme_for(settings)
    geometry = theme.page(settings.page_size)
    page = {
        "name": settings.page_size,
        "size": PAGE_SIZES[settings.page_size],
        "margins": " ".join(f"{mm:g}mm" for mm in geometry.margins),
        "theme": Markup(theme.css_variables(settings.page_size)),
        # Relative to templates/, as the stylesheet; the renderer may read branding/ too.
        "logo": f"../branding/{doc.logo.path.name}" if doc.logo else None,
        "for_print": settings.for_print,
        "counter_style": "khmer" if doc.digits == "khmer" else "decimal",
        "marks_margin": f"{PRINT_MARKS_MM}mm",
        "footer": footer,
    }
    template = _environment().get_template(TEMPLATE_NAME)
    return template.render(doc=doc, page=page, qr_svg=qr_svg(doc.qr_url) if doc.qr_url else None)


def warm() -> None:
    """Compile the template once, before the first handout."""
    _environment().get_template(TEMPLATE_NAME)
