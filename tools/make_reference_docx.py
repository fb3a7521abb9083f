"""Build templates/reference.docx: the named styles every DOCX handout is made of.

Usage: python tools/make_reference_docx.py [--check]

Sizes, line heights, colours and fonts come from templates/theme.yaml (its A4 page), as the
PDF's do; spacing follows templates/handout.css. Every
paragraph style names the Latin font in w:ascii/w:hAnsi and the Khmer font in the
complex-script slot w:cs, with w:szCs equal to w:sz and w:bCs beside w:b, because Word and
LibreOffice size and embolden Khmer from the cs properties alone. Theme font attributes are
removed: a w:cstheme overrides the w:cs font. The same input always gives the same bytes.

A person may also restyle templates/reference.docx in Word: the renderer reads every style
from that file and needs only the style names below. `--check` fails when the file differs
from what this script would write.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from fontTools.ttLib import TTFont
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import DEFAULT_ORGANISATION, TEMPLATES_DIR  # noqa: E402
from pipeline.khmer import script_runs  # noqa: E402
from pipeline.render_docx import (  # noqa: E402
    clear_body,
    line_spacing,
    page_setup,
    part_xml,
    regular_face,
    remove_dates,
    stable_zip,
    strip_theme_fonts,
)
from pipeline.theme import load_theme  # noqa: E402

OUTPUT = TEMPLATES_DIR / "reference.docx"

THEME = load_theme()
PAGE = THEME.page("A4")
LATIN = THEME.fonts["latin"]
KHMER = THEME.fonts["text"]
KHMER_DISPLAY = THEME.fonts["display"]
INK, ACCENT, ACCENT_SOFT, MUTED = (THEME.colours[name][1:].upper()
                                   for name in ("ink", "accent", "accent_soft", "muted"))

TWIPS_PER_MM = 1440 / 25.4


def _twips(mm: float) -> int:
    return round(mm * TWIPS_PER_MM)


@dataclass(frozen=True)
class ParagraphStyle:
    """A paragraph style: its type role in the theme, spacing as in handout.css (mm)."""

    name: str  # as Word stores it (built-in styles are lower case: "heading 1")
    style_id: str
    role: str | None  # the theme's type role; None: a fixed 1 pt spacer
    cs_font: str = KHMER
    bold: bool = False
    before_mm: float = 0
    after_mm: float = 0
    based_on: str | None = "Normal"
    next_id: str | None = None
    custom: bool = False
    keep_next: bool = False
    outline: int | None = None
    num_id: int | None = None
    indent_mm: float = 0
    hanging_mm: float = 0
    centre: bool = False
    at_least: bool = False  # holds a picture: lines grow to fit it, never multiply it
    tab_right_mm: float | None = None
    priority: int = 99

    @property
    def size(self) -> float:
        return PAGE.type[self.role].size if self.role else 1

    @property
    def line(self) -> float:
        return PAGE.type[self.role].line if self.role else 1.0

    @property
    def color(self) -> str:
        return THEME.colour(self.role) if self.role else INK

    def xml(self) -> str:
        ppr = []
        if self.keep_next:
            ppr += ["<w:keepNext/>", "<w:keepLines/>"]
        if self.num_id is not None:
            ppr.append(f'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="{self.num_id}"/></w:numPr>')
        if self.tab_right_mm is not None:
            ppr.append(f'<w:tabs><w:tab w:val="right" w:pos="{_twips(self.tab_right_mm)}"/>'
                       "</w:tabs>")
        ppr.append(f'<w:spacing w:before="{_twips(self.before_mm)}" '
                   f'w:after="{_twips(self.after_mm)}" {self._line()}/>')
        if self.indent_mm or self.hanging_mm:
            ppr.append(f'<w:ind w:left="{_twips(self.indent_mm)}" '
                       f'w:hanging="{_twips(self.hanging_mm)}"/>')
        if self.centre:
            ppr.append('<w:jc w:val="center"/>')
        if self.outline is not None:
            ppr.append(f'<w:outlineLvl w:val="{self.outline}"/>')
        half_points = round(self.size * 2)
        rpr = [f'<w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{LATIN}" '
               f'w:cs="{self.cs_font}"/>']
        if self.bold:
            rpr += ["<w:b/>", "<w:bCs/>"]
        rpr += [f'<w:color w:val="{self.color}"/>', f'<w:sz w:val="{half_points}"/>',
                f'<w:szCs w:val="{half_points}"/>', _LANG]
        head = [f'<w:name w:val="{self.name}"/>']
        if self.based_on:
            head.append(f'<w:basedOn w:val="{self.based_on}"/>')
        if self.next_id:
            head.append(f'<w:next w:val="{self.next_id}"/>')
        head += [f'<w:uiPriority w:val="{self.priority}"/>', "<w:qFormat/>"]
        default = ' w:default="1"' if self.style_id == "Normal" else ""
        custom = ' w:customStyle="1"' if self.custom else ""
        return (f'<w:style {nsdecls("w")} w:type="paragraph"{default}{custom} '
                f'w:styleId="{self.style_id}">{"".join(head)}<w:pPr>{"".join(ppr)}</w:pPr>'
                f'<w:rPr>{"".join(rpr)}</w:rPr></w:style>')

    def _line(self) -> str:
        line, rule = line_spacing(self.size, self.line, self.cs_font, self.at_least)
        return f'w:line="{line}" w:lineRule="{rule}"'


_LANG = '<w:lang w:val="en-US" w:eastAsia="en-US" w:bidi="km-KH"/>'

PARAGRAPH_STYLES = (
    ParagraphStyle("Normal", "Normal", "body", after_mm=1.5, based_on=None, priority=0),
    ParagraphStyle("Title", "Title", "title", cs_font=KHMER_DISPLAY, bold=True,
                   next_id="Subtitle", priority=10),
    ParagraphStyle("Subtitle", "Subtitle", "subtitle", after_mm=1, next_id="Normal",
                   priority=11),
    ParagraphStyle("heading 1", "Heading1", "heading", bold=True, before_mm=3.5,
                   after_mm=0.5, next_id="Normal", keep_next=True, outline=0, priority=9),
    ParagraphStyle("heading 2", "Heading2", "minor_heading", bold=True, before_mm=2.5,
                   after_mm=0.5, next_id="Normal", keep_next=True, outline=1, priority=9),
    ParagraphStyle("References Heading", "ReferencesHeading", "minor_heading", bold=True,
                   before_mm=3.5, after_mm=0.5, based_on="Heading1", next_id="ReferenceList",
                   custom=True, keep_next=True, outline=0),
    # Between the masthead and the quick-facts box: two tables in a row would merge.
    ParagraphStyle("Spacer", "Spacer", None, before_mm=3.5, custom=True),
    ParagraphStyle("List Bullet", "ListBullet", "body", after_mm=1, num_id=1, indent_mm=5,
                   hanging_mm=5),
    ParagraphStyle("Quick Facts Heading", "QuickFactsHeading", "facts_heading", bold=True,
                   before_mm=1.5, after_mm=0.5, next_id="QuickFactsLabel",
                   custom=True, keep_next=True),
    # Set 0.6 mm lower, so that its baseline meets the larger value's in the next cell.
    ParagraphStyle("Quick Facts Label", "QuickFactsLabel", "fact_label", before_mm=0.6,
                   next_id="QuickFacts", custom=True),
    ParagraphStyle("Quick Facts", "QuickFacts", "fact_value", bold=True,
                   next_id="QuickFactsLabel", custom=True),
    ParagraphStyle("Reference List", "ReferenceList", "citation", after_mm=0.5,
                   num_id=2, indent_mm=5, hanging_mm=5, custom=True),
    ParagraphStyle("caption", "Caption", "caption", centre=True, at_least=True,
                   before_mm=0.8, priority=35),
    ParagraphStyle("footer", "Footer", "footer", tab_right_mm=PAGE.text_width),
)

OTHER_STYLES = (
    f'<w:style {nsdecls("w")} w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
    '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
    "<w:unhideWhenUsed/></w:style>",
    f'<w:style {nsdecls("w")} w:type="table" w:default="1" w:styleId="TableNormal">'
    '<w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/>'
    '<w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar>'
    '<w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
    '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar>'
    "</w:tblPr></w:style>",
    f'<w:style {nsdecls("w")} w:type="numbering" w:default="1" w:styleId="NoList">'
    '<w:name w:val="No List"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>'
    "</w:style>",
    # Links are accent-coloured and not underlined, as in the PDF.
    f'<w:style {nsdecls("w")} w:type="character" w:styleId="Hyperlink">'
    '<w:name w:val="Hyperlink"/><w:basedOn w:val="DefaultParagraphFont"/>'
    f'<w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:rPr><w:color w:val="{ACCENT}"/>'
    '<w:u w:val="none"/></w:rPr></w:style>',
    # The masthead: titles and QR code side by side over a 2.5 pt accent rule.
    f'<w:style {nsdecls("w")} w:type="table" w:customStyle="1" w:styleId="MastheadTable">'
    '<w:name w:val="Masthead Table"/><w:basedOn w:val="TableNormal"/>'
    '<w:uiPriority w:val="99"/><w:tblPr><w:tblBorders>'
    f'<w:bottom w:val="single" w:sz="20" w:space="0" w:color="{ACCENT}"/></w:tblBorders>'
    '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="0" w:type="dxa"/>'
    f'<w:bottom w:w="{_twips(2)}" w:type="dxa"/><w:right w:w="0" w:type="dxa"/>'
    "</w:tblCellMar></w:tblPr></w:style>",
    # The quick-facts box: soft accent background, 3 pt accent rule on the left.
    f'<w:style {nsdecls("w")} w:type="table" w:customStyle="1" w:styleId="QuickFactsTable">'
    '<w:name w:val="Quick Facts Table"/><w:basedOn w:val="TableNormal"/>'
    '<w:uiPriority w:val="99"/><w:tblPr><w:tblBorders>'
    f'<w:left w:val="single" w:sz="24" w:space="0" w:color="{ACCENT}"/></w:tblBorders>'
    '<w:tblCellMar><w:top w:w="0" w:type="dxa"/>'
    f'<w:left w:w="{_twips(4)}" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/>'
    f'<w:right w:w="{_twips(2)}" w:type="dxa"/></w:tblCellMar></w:tblPr>'
    f'<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{ACCENT_SOFT}"/></w:tcPr>'
    "</w:style>",
)

DOC_DEFAULTS = (
    f"<w:docDefaults {nsdecls('w')}><w:rPrDefault><w:rPr>"
    f'<w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{LATIN}" w:cs="{KHMER}"/>'
    f'<w:sz w:val="{round(PAGE.type["body"].size * 2)}"/>'
    f'<w:szCs w:val="{round(PAGE.type["body"].size * 2)}"/>{_LANG}</w:rPr></w:rPrDefault>'
    "<w:pPrDefault><w:pPr>"
    '<w:spacing w:after="0" w:line="{}" w:lineRule="{}"/>'.format(
        *line_spacing(PAGE.type["body"].size, PAGE.type["body"].line, KHMER))
    + "</w:pPr></w:pPrDefault></w:docDefaults>"
)


def _level(fmt: str, text: str, style_id: str) -> str:
    return (f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
            f'<w:pStyle w:val="{style_id}"/><w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{_twips(5)}" w:hanging="{_twips(5)}"/></w:pPr>'
            f'<w:rPr><w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:cs="{LATIN}"/>'
            f'<w:color w:val="{ACCENT}"/></w:rPr></w:lvl>')


# Bullets in the accent colour (as ul li::marker); references numbered 1., 2., ... (as ol).
NUMBERING = (
    f"<w:numbering {nsdecls('w')}>"
    '<w:abstractNum w:abstractNumId="0"><w:nsid w:val="4B480001"/>'
    f'<w:multiLevelType w:val="singleLevel"/>{_level("bullet", "•", "ListBullet")}'
    "</w:abstractNum>"
    '<w:abstractNum w:abstractNumId="1"><w:nsid w:val="4B480002"/>'
    f'<w:multiLevelType w:val="singleLevel"/>{_level("decimal", "%1.", "ReferenceList")}'
    "</w:abstractNum>"
    '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
    '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
    "</w:numbering>"
)

# One sample paragraph per style, so a person restyling this file in Word sees each one.
SAMPLES = (
    ("Title", "អ្នកគ្រប់គ្រងគណនី"),
    ("Subtitle", "Account Manager"),
    ("Quick Facts Heading", "ព័ត៌មានសង្ខេប"),
    ("Quick Facts Label", "ប្រាក់ខែគោល"),
    ("Quick Facts", "$43,000 – $95,000 ក្នុងមួយឆ្នាំ"),
    ("Heading 1", "ការណែនាំអំពីអាជីព"),
    ("Normal", "អ្នកគ្រប់គ្រងគណនីគឺជាអ្នកជំនាញ (Normal)"),
    ("Heading 2", "គន្លឹះដើម្បីជោគជ័យ (Heading 2)"),
    ("References Heading", "ឯកសារយោង (References Heading)"),
    ("List Bullet", "ជំនាញទំនាក់ទំនងខ្លាំង (List Bullet)"),
    ("Reference List", "Glassdoor. Account Manager. (n.d.). https://www.glassdoor.com/"),
    ("Caption", "ស្កេនដើម្បីអានបន្ថែម (Caption)"),
)


def _replace_styles(document) -> None:
    root = document.styles.element
    for child in list(root):
        if child.tag != qn("w:latentStyles"):
            root.remove(child)
    root.insert(0, parse_xml(DOC_DEFAULTS))
    for style in PARAGRAPH_STYLES:
        root.append(parse_xml(style.xml()))
    for xml in OTHER_STYLES:
        root.append(parse_xml(xml))
    strip_theme_fonts(root)


def _replace_numbering(document) -> None:
    root = document.part.numbering_part.element
    for child in list(root):
        root.remove(child)
    for child in parse_xml(NUMBERING):
        root.append(child)


def _drop_extras(document) -> None:
    """Drop parts a reference does not need: a stale thumbnail, styles copies, custom XML."""
    part = document.part
    for r_id, rel in list(part.rels.items()):
        if rel.reltype in (RT.CUSTOM_XML, "http://schemas.microsoft.com/office/2007/"
                           "relationships/stylesWithEffects"):
            del part.rels[r_id]
    package_rels = part.package.rels
    for r_id, rel in list(package_rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package_rels[r_id]


def _settings(document) -> None:
    root = document.settings.element
    for tag in ("w:rsids", "w:savePreviewPicture"):
        for child in root.findall(qn(tag)):
            root.remove(child)
    for child in root.iter(qn("w:themeFontLang")):
        child.set(qn("w:bidi"), "km-KH")
    for child in root.iter(qn("w:compatSetting")):
        if child.get(qn("w:name")) == "compatibilityMode":
            child.set(qn("w:val"), "15")  # Word 2013+ layout; LibreOffice follows it too


def _font_table(document) -> None:
    part = document.part.part_related_by(RT.FONT_TABLE)
    root = etree.fromstring(part.blob)
    for child in list(root):
        root.remove(child)
    for name in (LATIN, KHMER, KHMER_DISPLAY):
        with TTFont(regular_face(name), lazy=True) as font:
            panose = font["OS/2"].panose
            digits = "".join(f"{getattr(panose, field):02X}" for field in (
                "bFamilyType", "bSerifStyle", "bWeight", "bProportion", "bContrast",
                "bStrokeVariation", "bArmStyle", "bLetterForm", "bMidline", "bXHeight"))
        entry = etree.SubElement(root, qn("w:font"))
        entry.set(qn("w:name"), name)
        etree.SubElement(entry, qn("w:panose1")).set(qn("w:val"), digits)
        etree.SubElement(entry, qn("w:charset")).set(qn("w:val"), "00")
        family = "roman" if "Serif" in name else "swiss"
        etree.SubElement(entry, qn("w:family")).set(qn("w:val"), family)
        etree.SubElement(entry, qn("w:pitch")).set(qn("w:val"), "variable")
    part._blob = part_xml(root)


def _theme(document) -> None:
    """Point the theme's fonts at ours too, for text a person sets in a theme font."""
    part = document.part.part_related_by(RT.THEME)
    root = etree.fromstring(part.blob)
    a = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    for scheme, khmer in (("majorFont", KHMER_DISPLAY), ("minorFont", KHMER)):
        fonts = root.find(f".//{a}fontScheme/{a}{scheme}")
        fonts.find(f"{a}latin").set("typeface", LATIN)
        for font in fonts.findall(f"{a}font"):
            if font.get("script") == "Khmr":
                font.set("typeface", khmer)
    part._blob = part_xml(root)


def _core_properties(document) -> None:
    properties = document.core_properties
    properties.title = "Khmer career handout: reference styles"
    properties.subject = "Restyle these styles to restyle every DOCX handout"
    properties.author = DEFAULT_ORGANISATION
    properties.last_modified_by = DEFAULT_ORGANISATION
    properties.comments = "Made by tools/make_reference_docx.py"
    properties.keywords = ""
    properties.language = "km-KH"
    properties.revision = 1
    remove_dates(properties)


def _samples(document) -> None:
    clear_body(document)
    for style, text in SAMPLES:
        paragraph = document.add_paragraph(style=document.styles[style])
        for piece, khmer in script_runs(text):
            run = paragraph.add_run(piece)
            if khmer:
                run.font.complex_script = True
    page_setup(document, PAGE)


def build() -> bytes:
    """Return the bytes of the reference document."""
    document = docx.Document()
    _drop_extras(document)
    _replace_styles(document)
    _replace_numbering(document)
    _settings(document)
    _font_table(document)
    _theme(document)
    _core_properties(document)
    _samples(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return stable_zip(buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if templates/reference.docx differs from a fresh build")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    data = build()
    if args.check:
        if not args.out.exists() or args.out.read_bytes() != data:
            print(f"{args.out} is out of date: run python tools/make_reference_docx.py",
                  file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
