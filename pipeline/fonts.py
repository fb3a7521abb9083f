"""The fonts in fonts/ and what they can draw.

Both renderers use these files and no others. `glyph_problems` shapes text the way the
renderers will (Khmer runs with the Khmer face, the rest with the Latin one) and reports
characters no bundled font can draw and Khmer clusters the shaper had to repair with a dotted
circle: either would print wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import uharfbuzz as hb
from fontTools.ttLib import TTFont

from .config import FONTS_DIR
from .khmer import WORD_JOINER, ZWSP, script_runs

KHMER_REGULAR = "NotoSansKhmer-Regular.ttf"
KHMER_BOLD = "NotoSansKhmer-Bold.ttf"
KHMER_DISPLAY = "NotoSerifKhmer-Bold.ttf"
LATIN_REGULAR = "NotoSans-Regular.ttf"
LATIN_BOLD = "NotoSans-Bold.ttf"
ALL_FONTS = (KHMER_REGULAR, KHMER_BOLD, KHMER_DISPLAY, LATIN_REGULAR, LATIN_BOLD)

DOTTED_CIRCLE = 0x25CC


@dataclass(frozen=True)
class GlyphProblem:
    kind: str  # "missing" (no font draws it) or "dotted-circle" (broken Khmer cluster)
    text: str  # the character or cluster at fault
    font: str
    start: int  # where it is in the checked text

    def describe(self) -> str:
        text = self.text.replace(ZWSP, "")
        # A broken "cluster" can be a run of thousands of marks: spell out the first ones.
        points = " ".join(f"U+{ord(c):04X}" for c in text[:_MAX_SPELLED])
        if len(text) > _MAX_SPELLED:
            points += " …"
        shown = repr(self.text if len(text) <= 2 * _MAX_SPELLED else
                     text[:2 * _MAX_SPELLED - 1] + "…")
        if self.kind == "missing":
            return f"character {shown} ({points}) is not in {full_name(self.font)}"
        return f"broken Khmer cluster {shown} ({points}) would print with a dotted circle"


_MAX_SPELLED = 12


def font_path(name: str) -> Path:
    return FONTS_DIR / name


@cache
def _cmap(name: str) -> frozenset[int]:
    with TTFont(font_path(name), lazy=True) as font:
        return frozenset(font.getBestCmap())


@cache
def _hb_font(name: str) -> hb.Font:
    blob = hb.Blob.from_file_path(str(font_path(name)))
    return hb.Font(hb.Face(blob))


@cache
def full_name(name: str) -> str:
    """Return a font file's full name (name ID 4), as PDF and DOCX readers show it."""
    with TTFont(font_path(name), lazy=True) as font:
        return font["name"].getDebugName(4)


def _shaped_glyphs(text: str, name: str) -> list[tuple[int, int]]:
    """Return (glyph id, cluster index) pairs for text shaped with a font."""
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(_hb_font(name), buffer, {})
    return [(info.codepoint, info.cluster) for info in buffer.glyph_infos]


def glyph_problems(text: str, khmer_font: str = KHMER_REGULAR,
                   latin_font: str = LATIN_REGULAR) -> list[GlyphProblem]:
    """Return what the fonts cannot draw in text, each problem once, in order."""
    problems: list[GlyphProblem] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, piece: str, font: str, start: int) -> None:
        if (kind, piece) not in seen:
            seen.add((kind, piece))
            problems.append(GlyphProblem(kind, piece, font, start))

    offset = 0
    for run, khmer in script_runs(text):
        primary, fallback = (khmer_font, latin_font) if khmer else (latin_font, khmer_font)
        for index, char in enumerate(run):
            code = ord(char)
            if char.isspace() or char in (ZWSP, WORD_JOINER):
                continue
            if code not in _cmap(primary) and code not in _cmap(fallback):
                add("missing", char, primary, offset + index)
        if khmer and DOTTED_CIRCLE not in map(ord, run):
            circle = _hb_font(khmer_font).get_nominal_glyph(DOTTED_CIRCLE)
            shaped = _shaped_glyphs(run, khmer_font)
            starts = sorted({cluster for _, cluster in shaped}) + [len(run)]
            for glyph, cluster in shaped:
                if glyph == circle:
                    # Cluster values are code point indexes into the run.
                    end = starts[starts.index(cluster) + 1]
                    piece = run[cluster:end]
                    lead = len(piece) - len(piece.lstrip())
                    add("dotted-circle", piece.strip(), khmer_font, offset + cluster + lead)
        offset += len(run)
    return problems
