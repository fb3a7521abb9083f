"""Make the text a reader copies, searches or hears from our PDFs equal the source text.

WeasyPrint 70 maps each glyph to one Unicode string (ToUnicode), taken from the first place the
glyph is drawn. Khmer clusters are reordered and share glyphs (a coeng RO, a vowel drawn before
its base), so text extracted from the PDF came back wrong: គណនី as គ្រណនី (WeasyPrint issue
#2841). Two remedies, together:

- One code per (glyph, text). Each line's characters are spread over its glyphs in drawing
  order, at least one to each glyph, so that reading the glyphs' mappings left to right gives
  the characters in logical order (pypdf, pdf.js). A glyph already mapped to other text is drawn
  with a new code, a CID above the font's own glyphs, which the CIDFont's CIDToGIDMap sends back
  to the same glyph with the same width: the page looks the same and the font file is untouched
  (unlike WeasyPrint PR #2869, which adds glyphs to the font).
- /ActualText. Each line that is not one glyph per character on the baseline is wrapped in a
  marked-content span holding its text, for readers that place characters by position and honour
  /ActualText (poppler's pdftotext, pdfium, Acrobat): they would otherwise sort Khmer marks,
  which are drawn raised or shifted, out of order.

The seam is two wrapped WeasyPrint functions, never a copy of their code:

- ``weasyprint.draw.text.draw_first_line`` draws one line. While it runs, the stream's
  ``show_text`` is shadowed: each glyph code of its TJ strings is checked against the line's
  Pango glyphs and replaced by the code for (glyph, text), and the span is opened and closed.
- ``weasyprint.pdf.fonts._build_vector_font_dictionary`` writes a font's PDF dictionaries. The
  wrapper gives the new CIDs their widths before it runs and adds the CIDToGIDMap after.

Right-to-left runs only get each cluster's text on its first glyph, and no span; a font that
cannot take a CIDToGIDMap (CFF, bitmap) keeps WeasyPrint's mapping. Our handouts have neither.

A WeasyPrint that no longer fits fails the render: ``install`` checks the signatures and
callers, the rewriter checks every glyph code it replaces, and tests/test_pdf_text.py pins the
source of what is relied on. ``exact_text(False)`` turns the remedy off, for comparisons.
"""

from __future__ import annotations

import inspect
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from .errors import BuildError, SetupError

# The two WeasyPrint functions wrapped here, with the parameters the wrappers pass on.
DRAW_FIRST_LINE = ("weasyprint.draw.text", "draw_first_line",
                   ("stream", "textbox", "text_overflow", "block_ellipsis", "matrix"))
BUILD_FONT_DICTIONARY = ("weasyprint.pdf.fonts", "_build_vector_font_dictionary",
                         ("font_dictionary", "pdf", "font", "widths", "compress", "reference",
                          "pdf_version"))
# The functions that must call the wrapped ones through their module globals.
CALLERS = (("weasyprint.draw.text", "draw_text", "draw_first_line"),
           ("weasyprint.pdf.fonts", "build_fonts_dictionary", "_build_vector_font_dictionary"))

# WeasyPrint numbers its stand-ins for missing glyphs from the font's glyph count up: leave
# them this many codes before the first one used here.
MISSING_GLYPH_ROOM = 256
MAX_CODE = 0xFFFF  # two-byte codes (Identity-H)

_ENABLED: ContextVar[bool] = ContextVar("exact_pdf_text", default=True)
_PANGO: dict[str, int] = {}  # glyph flags, read from WeasyPrint's Pango bindings at install
_HEX_STRING = re.compile(r"<([0-9a-fA-F]*)>")


class InternalsChanged(SetupError):
    """WeasyPrint no longer works as this module expects: review pdf_text.py against it."""


@dataclass
class _FontCodes:
    """The codes given to one WeasyPrint Font: which text each glyph and alias stands for."""

    glyph_text: dict[int, str] = field(default_factory=dict)  # glyph id → its first text
    aliases: dict[tuple[int, str], int] = field(default_factory=dict)  # (glyph, text) → CID
    glyph_of: dict[int, int] = field(default_factory=dict)  # alias CID → glyph id


# Keyed by WeasyPrint Font objects, which live as long as one write_pdf.
_CODES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ORIGINALS: dict[str, object] = {}


@contextmanager
def exact_text(enabled: bool = True) -> Iterator[None]:
    """Turn the remedy on or off for PDFs written inside this block (it is on by default)."""
    token = _ENABLED.set(enabled)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def install() -> None:
    """Wrap WeasyPrint's two functions, once; raise InternalsChanged if they no longer fit.

    render_pdf calls it right after importing WeasyPrint, which must come after fontconfig
    is isolated.
    """
    if _ORIGINALS:
        return
    import importlib

    for module_name, name, parameters in (DRAW_FIRST_LINE, BUILD_FONT_DICTIONARY):
        function = getattr(importlib.import_module(module_name), name, None)
        found = tuple(inspect.signature(function).parameters) if callable(function) else None
        if found != parameters:
            raise InternalsChanged(
                f"exact PDF text: {module_name}.{name} is {found}, expected {parameters}")
    for module_name, caller, callee in CALLERS:
        function = getattr(importlib.import_module(module_name), caller, None)
        if callee not in getattr(getattr(function, "__code__", None), "co_names", ()):
            raise InternalsChanged(
                f"exact PDF text: {module_name}.{caller} no longer calls {callee}")

    from weasyprint.text.ffi import pango

    _PANGO.update(empty=pango.PANGO_GLYPH_EMPTY, unknown=pango.PANGO_GLYPH_UNKNOWN_FLAG)
    draw = importlib.import_module(DRAW_FIRST_LINE[0])
    fonts = importlib.import_module(BUILD_FONT_DICTIONARY[0])
    _ORIGINALS["draw_first_line"] = draw.draw_first_line
    _ORIGINALS["build_font_dictionary"] = fonts._build_vector_font_dictionary
    draw.draw_first_line = _draw_first_line
    fonts._build_vector_font_dictionary = _build_vector_font_dictionary


def _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    """Draw a line as WeasyPrint does, with one code per (glyph, text) and its /ActualText."""
    original = _ORIGINALS["draw_first_line"]
    if not _ENABLED.get():
        return original(stream, textbox, text_overflow, block_ellipsis, matrix)
    rewriter = _LineRewriter(stream, textbox)
    stream.show_text = rewriter.show_text  # an instance attribute shadows the method
    try:
        result = original(stream, textbox, text_overflow, block_ellipsis, matrix)
    finally:
        del stream.show_text
    rewriter.finish()
    return result


@dataclass
class _Glyph:
    """One glyph WeasyPrint writes to the stream, and the text it should stand for."""

    font: object  # weasyprint.pdf.fonts.Font
    glyph: int  # Pango glyph id, with PANGO_GLYPH_UNKNOWN_FLAG for a missing character
    spacing: bool  # advances the pen and is drawn where the pen is
    text: str | None = None  # None: leave WeasyPrint's own code and mapping
    actual_text: str | None = None  # open an /ActualText span before this glyph
    closes: bool = False  # close the span after this glyph


@dataclass
class _Cluster:
    """Glyphs drawn for one run of characters, and those characters."""

    text: str
    glyphs: list[_Glyph]
    mode: str  # "ltr"; "rtl": its text on its first glyph; "keep": WeasyPrint's mapping

    @property
    def simple(self) -> bool:
        """Tell whether the cluster is one character drawn as one glyph where the pen is."""
        return len(self.text) == 1 and len(self.glyphs) == 1 and self.glyphs[0].spacing


class _LineRewriter:
    """Replace the glyph codes of one line's TJ strings, in drawing order."""

    def __init__(self, stream, textbox) -> None:
        self.stream = stream
        self.textbox = textbox
        self.show = stream.show_text
        self.glyphs: list[_Glyph] | None = None
        self.next = 0
        self.pending: list[str] = []  # TJ operands not shown yet
        self.in_span = False

    def show_text(self, string) -> None:
        # The plan is made at the first TJ, when WeasyPrint has settled the line's text
        # (an ellipsis may have changed it) and has the first line's glyphs.
        if self.glyphs is None:
            self.glyphs = _line_glyphs(self.stream, self.textbox)
        if isinstance(string, bytes):
            string = string.decode("ascii")
        position = 0
        for match in _HEX_STRING.finditer(string):
            self._operand(string[position:match.start()])
            self._glyph_codes(match.group(1))
            position = match.end()
        self._operand(string[position:])
        self._flush()

    def _operand(self, text: str) -> None:
        text = text.strip()
        if text:
            # Two numbers that were kept apart by an empty <> must not run together.
            if self.pending and not self.pending[-1].endswith(">"):
                text = " " + text
            self.pending.append(text)

    def _flush(self) -> None:
        # Never an empty TJ: some readers choke on it (WeasyPrint issue #2841).
        if self.pending:
            self.show("".join(self.pending))
            self.pending = []

    def _glyph_codes(self, digits: str) -> None:
        while digits:
            if self.next >= len(self.glyphs):
                raise InternalsChanged("exact PDF text: more glyphs drawn than Pango shaped")
            glyph = self.glyphs[self.next]
            self.next += 1
            drawn = _drawn_code(glyph)
            width = 2 if glyph.font.bitmap else 4
            expected = f"{drawn:0{width}x}"
            if not digits.lower().startswith(expected):
                raise InternalsChanged(
                    f"exact PDF text: WeasyPrint drew <{digits[:len(expected)]}> where Pango "
                    f"shaped glyph {expected}")
            digits = digits[len(expected):]
            code = drawn if glyph.text is None else _code_for(glyph.font, drawn, glyph.text)
            if glyph.actual_text is not None:
                self._flush()
                self.stream.begin_marked_content(
                    "Span", _property_list(glyph.actual_text))
                self.in_span = True
            self.pending.append(f"<{code:0{width}x}>")
            if glyph.closes:
                self._flush()
                self.stream.end_marked_content()
                self.in_span = False

    def finish(self) -> None:
        if self.glyphs is not None and self.next != len(self.glyphs):
            raise InternalsChanged(
                f"exact PDF text: {len(self.glyphs)} glyphs shaped, {self.next} drawn")
        if self.in_span:
            raise InternalsChanged("exact PDF text: an /ActualText span was left open")


def _property_list(text: str):
    import pydyf

    return pydyf.Dictionary({"ActualText": pydyf.String(text)})


def _drawn_code(glyph: _Glyph) -> int:
    """Return the code WeasyPrint writes for a glyph (a stand-in id for a missing one)."""
    if glyph.glyph & _PANGO["unknown"]:
        return glyph.font.missing[glyph.glyph - _PANGO["unknown"]]
    return glyph.glyph


def _line_glyphs(stream, textbox) -> list[_Glyph]:
    """Return the glyphs of the textbox's first line as WeasyPrint draws them, with their text."""
    clusters = list(_clusters(stream, textbox))
    run: list[_Cluster] = []
    for cluster in [*clusters, None]:
        if cluster is not None and cluster.mode == "ltr":
            run.append(cluster)
            continue
        for unit in _units(run):
            _give_text(unit)
        run = []
        if cluster is not None and cluster.mode == "rtl":
            for glyph in cluster.glyphs:
                glyph.text = ""
            cluster.glyphs[0].text = cluster.text
    glyphs = [glyph for cluster in clusters for glyph in cluster.glyphs]
    if any(not cluster.simple for cluster in clusters) and all(
            cluster.mode != "rtl" for cluster in clusters):
        # Readers that honour /ActualText (poppler, pdfium, Acrobat) take the line's text
        # from here rather than from glyphs they would otherwise sort by position.
        glyphs[0].actual_text = "".join(cluster.text for cluster in clusters)
        glyphs[-1].closes = True
    return glyphs


def _clusters(stream, textbox) -> Iterator[_Cluster]:
    """Yield the line's clusters in drawing order (characters drawn as no glyph are left out)."""
    from weasyprint.text.ffi import ffi

    first_line, _ = textbox.pango_layout.get_first_line()
    utf8 = textbox.pango_layout.text.encode()
    run = first_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        item, glyph_string = glyph_item.item, glyph_item.glyphs
        font, _ = stream.add_font(item.analysis.font)
        aliases = not font.bitmap and font.type == "ttf"  # CIDToGIDMap is for TrueType only
        rtl = item.analysis.level % 2
        count = glyph_string.num_glyphs
        starts = [glyph_string.log_clusters[i] for i in range(count)]
        bounds = sorted(set(starts))
        ends = dict(zip(bounds, [*bounds[1:], item.length], strict=True))
        cluster, start = None, None
        for i in range(count):
            info = glyph_string.glyphs[i]
            if info.glyph == _PANGO["empty"]:
                continue  # WeasyPrint writes no code for it
            if cluster is None or starts[i] != start:
                start = starts[i]
                text = utf8[item.offset + start:item.offset + ends[start]].decode()
                cluster = _Cluster(text, [], "rtl" if rtl else "ltr")
                yield cluster
            if not aliases or info.glyph & _PANGO["unknown"]:
                cluster.mode = "keep"
            geometry = info.geometry
            cluster.glyphs.append(_Glyph(font, info.glyph, (
                geometry.width > 0 and geometry.x_offset == 0 and geometry.y_offset == 0)))


def _units(clusters: list[_Cluster]) -> Iterator[_Cluster]:
    """Group consecutive clusters so that each group has at least as many characters as glyphs.

    A cluster drawn with more glyphs than it has characters (ោ is drawn as េ and ា around its
    base) borrows from the cluster before it if that one has characters to spare, else from
    the clusters after it.
    """
    units: list[_Cluster] = []
    pending: _Cluster | None = None
    for cluster in clusters:
        unit = _Cluster(cluster.text, list(cluster.glyphs), "ltr")
        if pending is not None:
            pending.text += unit.text
            pending.glyphs += unit.glyphs
            if _spare(pending) >= 0:
                units.append(pending)
                pending = None
        elif _spare(unit) >= 0:
            units.append(unit)
        elif units and _spare(units[-1]) + _spare(unit) >= 0:
            units[-1].text += unit.text
            units[-1].glyphs += unit.glyphs
        else:
            pending = unit
    if pending is not None:
        units.append(pending)
    # A line that ends short borrows from further back.
    while len(units) > 1 and _spare(units[-1]) < 0:
        last = units.pop()
        units[-1].text += last.text
        units[-1].glyphs += last.glyphs
    return iter(units)


def _spare(unit: _Cluster) -> int:
    return len(unit.text) - len(unit.glyphs)


def _give_text(unit: _Cluster) -> None:
    """Spread a unit's characters over its glyphs in order: one each, the rest to the last.

    Readers that use only the glyphs' mappings (pypdf, pdf.js) then read the characters in
    logical order, whatever glyph each one is drawn in; a glyph mapped to nothing would make
    pdf.js and pdfium show its code as a stray character. Putting the rest last keeps combining
    marks off the narrow glyphs early in a cluster (a pre-base RO): pdf.js takes a glyph whose
    text holds a mark for zero-width and then sees a gap, a space, after it.
    """
    last = len(unit.glyphs) - 1
    for index, glyph in enumerate(unit.glyphs):
        glyph.text = unit.text[index:] if index == last else unit.text[index:index + 1]


def _code_for(font, glyph: int, text: str) -> int:
    """Return the code that draws glyph and maps to text, making an alias when needed."""
    codes = _CODES.setdefault(font, _FontCodes())
    if codes.glyph_text.setdefault(glyph, text) == text:
        # Overrides the text WeasyPrint took from its own slice of the line.
        font.to_unicode[glyph] = text
        return glyph
    alias = codes.aliases.get((glyph, text))
    if alias is None:
        alias = font.glyph_count + MISSING_GLYPH_ROOM + len(codes.aliases)
        if alias > MAX_CODE:
            raise BuildError(f"exact PDF text: too many glyph variants in font {font.family}")
        codes.aliases[glyph, text] = alias
        codes.glyph_of[alias] = glyph
        font.to_unicode[alias] = text  # its width is added with the font's dictionary
    return alias


def _build_vector_font_dictionary(font_dictionary, pdf, font, widths, compress, reference,
                                  pdf_version):
    """Write a font's dictionaries as WeasyPrint does, plus the CIDToGIDMap of its aliases."""
    original = _ORIGINALS["build_font_dictionary"]
    codes = _CODES.get(font)
    if not codes or not codes.glyph_of:
        return original(font_dictionary, pdf, font, widths, compress, reference, pdf_version)
    if len(font.missing) > MISSING_GLYPH_ROOM:  # their stand-ins would take the aliases' codes
        raise BuildError(f"exact PDF text: too many missing glyphs in font {font.family}")
    for alias, glyph in codes.glyph_of.items():
        # Without the font's own widths (full fonts, forms), W would give aliases the default.
        if glyph in widths:
            widths[alias] = widths[glyph]

    added = []
    add_object = pdf.add_object

    def add_and_keep(obj) -> None:
        added.append(obj)
        add_object(obj)

    pdf.add_object = add_and_keep  # to find the CIDFont dictionary among what it writes
    try:
        original(font_dictionary, pdf, font, widths, compress, reference, pdf_version)
    finally:
        del pdf.add_object
    cid_fonts = [obj for obj in added if isinstance(obj, dict) and "CIDToGIDMap" in obj]
    if len(cid_fonts) != 1 or cid_fonts[0]["CIDToGIDMap"] != "/Identity":
        raise InternalsChanged("exact PDF text: no CIDFont with an Identity CIDToGIDMap written")

    import pydyf

    # CID → glyph: the font's own glyphs keep their ids, aliases point at theirs, and the room
    # for WeasyPrint's missing-glyph stand-ins (mapped to CID 0 by its own CMap) stays at 0.
    # Unused CIDs map to glyph 0 too: long runs of zeros compress to almost nothing.
    glyph_ids = [0] * (max(codes.glyph_of) + 1)
    for cid in font.to_unicode:
        if cid < font.glyph_count:
            glyph_ids[cid] = cid
    for alias, glyph in codes.glyph_of.items():
        glyph_ids[alias] = glyph
    cid_to_gid = pydyf.Stream(
        [b"".join(gid.to_bytes(2, "big") for gid in glyph_ids)], compress=compress)
    pdf.add_object(cid_to_gid)
    cid_fonts[0]["CIDToGIDMap"] = cid_to_gid.reference
