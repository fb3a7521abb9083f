"""Font embedding for the DOCX: the faces in fonts/ and their line heights, the licence check,
the Latin subset (kept on disk between runs), the font keys and ECMA-376 obfuscation, and the
fontTable and settings entries that carry the fonts inside the file, so that a machine without
them still prints the handout right.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import uuid
from functools import cache
from pathlib import Path

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import qn
from fontTools.ttLib import TTFont
from lxml import etree

from ..config import FONTS_DIR
from ..errors import SetupError
from .ooxml import SETTINGS_AFTER_EMBED_FONTS, get_or_add, part_xml

OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
# Font keys are uuid5 names in this namespace, so the same font file always gets the same key.
FONT_KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "khmer-handouts:embedded-font")
_FACES = {"Regular": "embedRegular", "Bold": "embedBold", "Italic": "embedItalic",
          "Bold Italic": "embedBoldItalic"}
# OS/2 fsType bits: restricted licence, preview & print only, editable, bitmap only.
_FS_RESTRICTED, _FS_PREVIEW, _FS_EDITABLE, _FS_BITMAP_ONLY = 0x2, 0x4, 0x8, 0x200

# Where the Latin subsets are kept between runs (the build sets it inside output/): making
# one takes about a second a face.
CACHE_DIR: Path | None = None


def keep_subsets_in(folder: Path) -> None:
    """Keep the Latin subsets in a folder between runs."""
    global CACHE_DIR
    CACHE_DIR = folder


@cache
def font_faces(folder: Path) -> dict[str, dict[str, Path]]:
    """Return {family: {face: file}} for the fonts in a folder, from their name tables."""
    faces: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.glob("*.ttf")):
        with TTFont(path, lazy=True) as font:
            names = font["name"]
            family = names.getDebugName(16) or names.getDebugName(1)
            face = names.getDebugName(17) or names.getDebugName(2)
        faces.setdefault(family, {})[face] = path
    return faces


def regular_face(family: str) -> Path:
    """Return the file of a family's regular face (else its first); fail if fonts/ lacks it."""
    faces = font_faces(FONTS_DIR).get(family)
    if not faces:
        raise SetupError(f"the theme names the font '{family}', which is not in "
                         f"{FONTS_DIR.name}/")
    return faces.get("Regular") or next(iter(faces.values()))


@cache
def font_line_height(family: str) -> float:
    """Return a family's own line height in em: what Word and LibreOffice call single."""
    with TTFont(regular_face(family), lazy=True) as font:
        os2, units = font["OS/2"], font["head"].unitsPerEm
        return (os2.usWinAscent + os2.usWinDescent) / units


def _check_embeddable(path: Path, data: bytes) -> None:
    """Fail when the font's licence bits forbid embedding it in an editable document."""
    with TTFont(io.BytesIO(data), lazy=True) as font:
        fs_type = font["OS/2"].fsType
    licence = fs_type & 0xF
    if fs_type & _FS_BITMAP_ONLY or (licence and not licence & _FS_EDITABLE):
        raise SetupError(f"{path.name}: the font's licence bits (OS/2 fsType {fs_type:#06x}) "
                         "forbid embedding it in an editable document; use a font with "
                         "fsType 0 (installable) or the editable bit")


# Basic Latin, Latin-1, Latin Extended-A/B, spacing modifiers, general punctuation, currency
# signs, letterlike symbols, arrows: what English text, names, figures and URLs use.
LATIN_SUBSET = (*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x2B0, 0x300),
                *range(0x2000, 0x2070), *range(0x20A0, 0x20C1), *range(0x2100, 0x2150),
                *range(0x2190, 0x2200), 0x25CC, 0xFFFD)


@cache
def latin_subset(path: Path) -> bytes:
    """Return a font cut down to LATIN_SUBSET, names, licence bits and features kept."""
    import fontTools

    key = hashlib.sha256(path.read_bytes() + f"{fontTools.version} {LATIN_SUBSET}".encode())
    cached = CACHE_DIR / f"latin-{key.hexdigest()[:24]}.ttf" if CACHE_DIR else None
    if cached is not None and cached.exists():
        return cached.read_bytes()
    data = _make_latin_subset(path)
    if cached is not None:
        from ..outputs import write_atomically

        with contextlib.suppress(OSError):  # only a cache: the next run makes it again
            write_atomically(cached, data, sync=False)
    return data


def _make_latin_subset(path: Path) -> bytes:
    """Cut a font down to LATIN_SUBSET with fontTools' subsetter."""
    from fontTools import subset

    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.layout_features = ["*"]
    options.notdef_outline = True
    # Identical input, identical bytes: saving a TTFont stamps head.modified with the clock
    # unless the font itself is told not to (the subsetter's option covers only loading).
    options.recalc_timestamp = False
    with TTFont(path, recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=LATIN_SUBSET)
        subsetter.subset(font)
        buffer = io.BytesIO()
        subset.save_font(font, buffer, options)
    return buffer.getvalue()


@cache
def embedded_font(path: Path, subset: bool) -> tuple[str, bytes]:
    """Return a font's embedding key and its obfuscated bytes (the same in every handout)."""
    data = path.read_bytes()
    _check_embeddable(path, data)
    if subset:
        data = latin_subset(path)
    key = font_key(path, data)
    return key, obfuscate_font(data, key)


def embedded_font_data(families: list[tuple[str, bool]]):
    """Yield the obfuscated bytes of every face of each (family, subset) that fonts/ holds."""
    available = font_faces(FONTS_DIR)
    for family, subset in families:
        for path in available.get(family, {}).values():
            yield embedded_font(path, subset)[1]


def font_key(path: Path, data: bytes) -> str:
    """Return the font's embedding key: a GUID derived from its file name and content."""
    name = f"{path.name}:{hashlib.sha256(data).hexdigest()}"
    return "{" + str(uuid.uuid5(FONT_KEY_NAMESPACE, name)).upper() + "}"


def obfuscate_font(data: bytes, key: str) -> bytes:
    """XOR the first 32 bytes with the key's 16 bytes in reverse order (ECMA-376 17.8.1).

    The same operation undoes it.
    """
    mask = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(byte ^ mask[i % 16] for i, byte in enumerate(data[:32]))
    return head + data[32:]


def embed_fonts(document, families: list[tuple[str, bool]], reference: str) -> None:
    """Embed every face of each (family, subset) the styles of `reference` name.

    Khmer fonts go in whole: staff edit these handouts and type words the original text
    lacks, and a subset would draw their new characters in a fallback font (or as boxes).
    They are small (about 110–150 KB each). The Latin companion is 500 KB a face, so it goes
    in as a subset of the Latin-script blocks, which still covers what staff type in English.
    """
    table_part = document.part.part_related_by(RT.FONT_TABLE)
    for r_id, rel in list(table_part.rels.items()):
        if rel.reltype == RT.FONT:
            del table_part.rels[r_id]
    root = etree.fromstring(table_part.blob)
    available = font_faces(FONTS_DIR)
    number = 0
    for family, subset in families:
        if family not in available:
            raise SetupError(f"{reference} sets Khmer text in '{family}', which is "
                             f"not in {FONTS_DIR.name}/; add the font or change the style")
        entry = _font_entry(root, family)
        for face, tag in _FACES.items():
            path = available[family].get(face)
            if path is None:
                continue
            key, obfuscated = embedded_font(path, subset)
            number += 1
            part = Part(PackURI(f"/word/fonts/font{number}.odttf"), OBFUSCATED_FONT,
                        obfuscated, document.part.package)
            embed = etree.SubElement(entry, qn(f"w:{tag}"))
            embed.set(qn("r:id"), table_part.relate_to(part, RT.FONT))
            embed.set(qn("w:fontKey"), key)
            if subset:
                embed.set(qn("w:subsetted"), "1")
    table_part._blob = part_xml(root)
    get_or_add(document.settings.element, "w:embedTrueTypeFonts", SETTINGS_AFTER_EMBED_FONTS)


def _font_entry(root, family: str):
    """Return the fontTable's w:font for a family, without old embeddings; add it if missing."""
    for entry in root.findall(qn("w:font")):
        if entry.get(qn("w:name")) == family:
            for tag in _FACES.values():
                for old in entry.findall(qn(f"w:{tag}")):
                    entry.remove(old)
            return entry
    entry = etree.SubElement(root, qn("w:font"))
    entry.set(qn("w:name"), family)
    for tag, value in (("w:charset", "00"), ("w:family", "auto"), ("w:pitch", "variable")):
        etree.SubElement(entry, qn(tag)).set(qn("w:val"), value)
    return entry
