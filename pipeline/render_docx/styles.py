"""The reference document and its named styles: the style names the renderer needs, reading
templates/reference.docx, each style's fonts, the theme's type, colours and line heights
applied to the styles for a page size, and the page setup (size, margins, header and footer
room) that the renderer and tools/make_reference_docx.py share.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.shared import Mm, Twips

from ..config import TEMPLATES_DIR
from ..errors import SetupError
from ..theme import Page, Theme
from .fonts import font_line_height
from .ooxml import PPR_AFTER_SPACING, RPR_AFTER_COLOR, RPR_AFTER_SZ, RPR_AFTER_SZCS, set_child

REFERENCE_DOCX = TEMPLATES_DIR / "reference.docx"

# The style names the renderer uses; templates/reference.docx must define each of them.
TITLE = "Title"
SUBTITLE = "Subtitle"
HEADING = "Heading 1"
REFERENCES_HEADING = "References Heading"
SPACER = "Spacer"
NORMAL = "Normal"
LIST_BULLET = "List Bullet"
FACTS_HEADING = "Quick Facts Heading"
FACTS_LABEL = "Quick Facts Label"
FACTS = "Quick Facts"
REFERENCES = "Reference List"
CAPTION = "Caption"
FOOTER = "Footer"
HYPERLINK = "Hyperlink"
MASTHEAD_TABLE = "Masthead Table"
FACTS_TABLE = "Quick Facts Table"
PARAGRAPH_STYLES = (NORMAL, TITLE, SUBTITLE, HEADING, REFERENCES_HEADING, LIST_BULLET, SPACER,
                    FACTS_HEADING, FACTS_LABEL, FACTS, REFERENCES, CAPTION, FOOTER)
REQUIRED_STYLES = (*PARAGRAPH_STYLES, HYPERLINK, MASTHEAD_TABLE, FACTS_TABLE)

# Page sizes, margins, type and colours come from the theme (templates/theme.yaml), as for
# the PDF; these are the DOCX's own.
FOOTER_DISTANCE_MM = 7
HEADER_DISTANCE_MM = 7

# Each style's type role in the theme (the same roles handout.css uses).
STYLE_ROLES = {NORMAL: "body", TITLE: "title", SUBTITLE: "subtitle", HEADING: "heading",
               REFERENCES_HEADING: "minor_heading", LIST_BULLET: "body",
               FACTS_HEADING: "facts_heading", FACTS_LABEL: "fact_label", FACTS: "fact_value",
               REFERENCES: "citation", CAPTION: "caption", FOOTER: "footer"}
DISPLAY_STYLES = (TITLE,)  # Khmer in the display face

_THEME_FONT_ATTRIBUTES = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")


def open_reference(path: Path | None = None) -> tuple:
    """Return the reference document and its styles by name; fail naming every one missing."""
    path = path or REFERENCE_DOCX
    try:
        document = docx.Document(str(path))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, PackageNotFoundError) as exc:
        raise SetupError(f"cannot read the DOCX reference document {path}: {exc}") from exc
    # By the name Word shows; python-docx's styles[name] misses "Heading 1" as LibreOffice
    # writes it (python-docx expects Word's lower-case "heading 1").
    styles = {}
    for style in document.styles:
        styles.setdefault(style.name, style)
    missing = [name for name in REQUIRED_STYLES if name not in styles]
    if missing:
        raise SetupError(f"{path.name} lacks the style(s) {', '.join(missing)}; "
                         "rebuild it with tools/make_reference_docx.py")
    strip_theme_fonts(document.styles.element)
    return document, styles


def strip_theme_fonts(element) -> None:
    """Remove theme font attributes: a w:cstheme overrides the Khmer font named in w:cs."""
    for fonts in element.iter(qn("w:rFonts")):
        for name in _THEME_FONT_ATTRIBUTES:
            fonts.attrib.pop(qn(f"w:{name}"), None)


def _style_font(style, slot: str) -> str | None:
    """Return the font a style names in a slot, else the one its basedOn chain names."""
    while style is not None:
        fonts = style.element.rPr.rFonts if style.element.rPr is not None else None
        if fonts is not None and fonts.get(qn(f"w:{slot}")):
            return fonts.get(qn(f"w:{slot}"))
        style = style.base_style
    return None


def style_fonts(document, styles: dict, slot: str = "cs") -> dict[str, str]:
    """Return each paragraph style's font in a slot ("cs": Khmer, "ascii": Latin), resolved."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    fallback = None
    if defaults is not None:
        fonts = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
        fallback = fonts.get(qn(f"w:{slot}")) if fonts is not None else None
    result = {}
    for name in PARAGRAPH_STYLES:
        font = _style_font(styles[name], slot) or fallback
        if not font:
            script = "complex-script (Khmer)" if slot == "cs" else "Latin"
            raise SetupError(f"{REFERENCE_DOCX.name}: style '{name}' names no {script} font; "
                             "its text would fall back to any font")
        result[name] = font
    return result


def embedded_families(document, styles: dict) -> list[tuple[str, bool]]:
    """Return the (family, subset) pairs to embed: the Khmer fonts whole, then the Latin ones."""
    khmer = set(style_fonts(document, styles, "cs").values())
    latin = set(style_fonts(document, styles, "ascii").values()) - khmer
    return ([(family, False) for family in sorted(khmer)]
            + [(family, True) for family in sorted(latin)])


def line_spacing(size: float, line: float, family: str, at_least: bool = False) -> tuple:
    """Return w:spacing's (line, lineRule) for a CSS line height in em."""
    if at_least:  # a paragraph that holds a picture grows to fit it
        return str(round(size * line * 20)), "atLeast"
    # Word's "multiple" spacing counts in the font's own line height, not in em; never below
    # single, where Khmer stacks would be clipped.
    return str(round(240 * max(1.0, line / font_line_height(family)))), "auto"


def apply_theme(document, styles: dict, theme: Theme, page: Page) -> None:
    """Give the styles the theme's type, line heights, colours, fonts and tabs for a page size.

    The reference document is made from the same theme; applying it here as well means a
    change to the theme reaches every DOCX at once, as it reaches every PDF.
    """
    for name, role in STYLE_ROLES.items():
        element = styles[name].element
        kind = page.type[role]
        khmer = theme.fonts["display" if name in DISPLAY_STYLES else "text"]
        latin = theme.fonts["latin"]
        rpr = element.get_or_add_rPr()
        fonts = rpr.get_or_add_rFonts()
        for slot in ("ascii", "hAnsi", "eastAsia"):
            fonts.set(qn(f"w:{slot}"), latin)
        fonts.set(qn("w:cs"), khmer)
        half_points = str(round(kind.size * 2))
        set_child(rpr, "w:color", RPR_AFTER_COLOR, val=theme.colour(role))
        set_child(rpr, "w:sz", RPR_AFTER_SZ, val=half_points)
        set_child(rpr, "w:szCs", RPR_AFTER_SZCS, val=half_points)
        ppr = element.get_or_add_pPr()
        spacing = ppr.find(qn("w:spacing"))
        at_least = spacing is not None and spacing.get(qn("w:lineRule")) == "atLeast"
        line, rule = line_spacing(kind.size, kind.line, khmer, at_least)
        set_child(ppr, "w:spacing", PPR_AFTER_SPACING, line=line, lineRule=rule)
    accent, soft = theme.colours["accent"][1:].upper(), theme.colours["accent_soft"][1:].upper()
    root = document.styles.element
    # Text a person types outside any style (or pastes) takes the body size too.
    body = str(round(page.type["body"].size * 2))
    for tag in ("w:sz", "w:szCs"):
        for size in root.xpath(f"./w:docDefaults//{tag}"):
            size.set(qn("w:val"), body)
    for border in root.xpath(".//w:style[@w:type='table']//w:tblBorders/*"):
        border.set(qn("w:color"), accent)
    for shading in root.xpath(".//w:style[@w:type='table']//w:shd"):
        shading.set(qn("w:fill"), soft)
    for colour in root.xpath(".//w:style[@w:styleId='Hyperlink']//w:color"):
        colour.set(qn("w:val"), accent)
    numbering = document.part.numbering_part.element
    for colour in numbering.xpath(".//w:lvl/w:rPr/w:color"):
        colour.set(qn("w:val"), accent)
    # The footer's right tab stop sits on the right margin of this page size.
    tabs = styles[FOOTER].paragraph_format.tab_stops
    tabs.clear_all()
    tabs.add_tab_stop(Geometry(page).text_width, WD_TAB_ALIGNMENT.RIGHT)


class Geometry:
    """A page size's measures as python-docx takes them."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.width, self.height = Mm(page.width), Mm(page.height)
        self.margins = dict(zip(("top", "right", "bottom", "left"), page.margins, strict=True))
        self.text_width = Twips(round(page.text_width / 25.4 * 1440))


def page_setup(document, page: Page) -> Geometry:
    """Give the document's section a page size, its margins and the header and footer room."""
    geometry = Geometry(page)
    section = document.sections[0]
    section.page_width, section.page_height = geometry.width, geometry.height
    for side, mm in geometry.margins.items():
        setattr(section, f"{side}_margin", Mm(mm))
    section.header_distance = Mm(HEADER_DISTANCE_MM)
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    section.gutter = Mm(0)
    return geometry
