"""Render a Document to DOCX bytes, styled by templates/reference.docx.

Every paragraph takes a named style from the reference document, so restyling that file in
Word restyles every handout. Khmer needs more than a font name: Word and LibreOffice draw
Khmer with the complex-script (cs) font slot, so the styles name the Khmer font there, with a
cs size and cs bold, and each Khmer run is flagged complex-script; Latin text (URLs, English
titles, figures) sits in runs of its own. The Khmer fonts travel inside the file, obfuscated
as ECMA-376 prescribes, so a machine without them still prints the handout right.

Identical input gives identical bytes: no clock is read, font keys are derived from the font
files, and the zip is written with fixed timestamps and member order.

The package, from the bottom up: `ooxml` (namespaces, schema child order), `fonts`
(embedding), `package` (properties, the zip), `styles` (the reference document, the theme
applied to its styles, the page setup) and `writer` (the body). This module is its public
face: `render_docx` and `warm` for the build, and the helpers tools/make_reference_docx.py
shares with the renderer.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..model import Document
from ..theme import theme_for
from .fonts import embed_fonts, embedded_font_data, keep_subsets_in, latin_subset, regular_face
from .ooxml import clear_body, part_xml
from .package import (
    core_properties,
    deflate,
    extended_properties,
    members_of,
    remove_dates,
    stable_zip,
)
from .styles import (
    PARAGRAPH_STYLES,
    REFERENCE_DOCX,
    REQUIRED_STYLES,
    apply_theme,
    embedded_families,
    line_spacing,
    open_reference,
    page_setup,
    strip_theme_fonts,
)
from .writer import HandoutWriter

__all__ = ["PARAGRAPH_STYLES", "REFERENCE_DOCX", "REQUIRED_STYLES", "clear_body", "latin_subset",
           "line_spacing", "page_setup", "part_xml", "regular_face", "remove_dates",
           "render_docx", "stable_zip", "strip_theme_fonts", "warm"]


def render_docx(doc: Document, settings: Settings) -> bytes:
    """Return the handout as an editable DOCX file."""
    document, styles = open_reference()
    theme = theme_for(settings)
    page = theme.page(settings.page_size)
    apply_theme(document, styles, theme, page)
    geometry = page_setup(document, page)
    clear_body(document)
    HandoutWriter(document, styles).write(doc, geometry)
    core_properties(document, doc)
    extended_properties(document, doc)
    embed_fonts(document, embedded_families(document, styles), REFERENCE_DOCX.name)
    return stable_zip(members_of(document))


def warm(cache_dir: Path | None = None) -> None:
    """Read the reference document and make the embedded fonts once, before the first handout."""
    if cache_dir is not None:
        keep_subsets_in(cache_dir)
    document, styles = open_reference()
    for data in embedded_font_data(embedded_families(document, styles)):
        deflate(data)
