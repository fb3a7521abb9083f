"""The office's branding from handouts.yaml: contact lines, a logo and an accent colour.

Each is checked here, once, before any handout is built: contact lines are short plain text,
the logo is a PNG or an SVG inside branding/ (a size, dimensions and, for an SVG, nothing it
could fetch or run), and the accent colour keeps text readable on white (WCAG contrast of at
least 4.5:1, as headings and links are set in it).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

from .errors import SetupError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BRANDING_DIR = PROJECT_ROOT / "branding"
MAX_CONTACT_LINES = 4
MAX_CONTACT_LENGTH = 80
MAX_LOGO_BYTES = 512 * 1024
LOGO_PIXELS = (32, 4000)  # smallest and largest side of a PNG logo
MIN_CONTRAST = 4.5  # WCAG AA for body-size text
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_XLINK = "{http://www.w3.org/1999/xlink}href"
_URL = re.compile(r"url\(([^)]*)\)")


@dataclass(frozen=True)
class Logo:
    path: Path
    kind: str  # "png" or "svg"
    width: float  # px (PNG) or user units (SVG): only the ratio matters
    height: float


def _fail(file_name: str, message: str):
    raise SetupError(f"{file_name}: {message}")


def check_contact(file_name: str, value) -> tuple[str, ...]:
    """Return the contact lines (address, phone, e-mail, web), each checked."""
    if value in (None, "", []):
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
        _fail(file_name, "'contact' must be a list of lines of text (address, phone, e-mail, "
                         "web)")
    lines = tuple(line.strip() for line in value if line.strip())
    if len(lines) > MAX_CONTACT_LINES:
        _fail(file_name, f"'contact' has {len(lines)} lines; at most {MAX_CONTACT_LINES} fit")
    for line in lines:
        if len(line) > MAX_CONTACT_LENGTH or any(ord(c) < 32 for c in line):
            _fail(file_name, f"a 'contact' line must be one line of at most "
                             f"{MAX_CONTACT_LENGTH} characters: '{line[:40]}…'")
    return lines


def relative_luminance(colour: str) -> float:
    """Return a #rrggbb colour's relative luminance (WCAG 2.x)."""
    channels = []
    for index in (1, 3, 5):
        value = int(colour[index:index + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_on_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


def check_accent(file_name: str, value) -> str:
    """Return the accent colour as #rrggbb, or "" for the theme's."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not _COLOUR.fullmatch(value.strip()):
        _fail(file_name, f"'accent' must be a colour written #rrggbb, not '{value}'")
    colour = value.strip().lower()
    ratio = contrast_on_white(colour)
    if ratio < MIN_CONTRAST:
        _fail(file_name, f"'accent' {colour} has a contrast of {ratio:.1f}:1 on white; "
                         f"headings and links set in it need at least {MIN_CONTRAST}:1 "
                         "(choose a darker colour)")
    return colour


def check_logo(file_name: str, value) -> Logo | None:
    """Return the logo, checked: a PNG or SVG inside branding/ that draws only itself."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        _fail(file_name, "'logo' must be a file name in branding/, such as branding/logo.png")
    path = (PROJECT_ROOT / value).resolve()
    if not path.is_relative_to(BRANDING_DIR.resolve()):
        _fail(file_name, f"'logo' must be a file in {BRANDING_DIR.name}/, not '{value}'")
    if not path.is_file():
        _fail(file_name, f"'logo' {value} does not exist")
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("png", "svg"):
        _fail(file_name, f"'logo' must be a .png or .svg file, not '{path.name}'")
    size = path.stat().st_size
    if size > MAX_LOGO_BYTES:
        _fail(file_name, f"'logo' {path.name} is {size // 1024} KB; at most "
                         f"{MAX_LOGO_BYTES // 1024} KB")
    data = path.read_bytes()
    width, height = _png_size(file_name, data) if kind == "png" else _svg_size(file_name, data)
    return Logo(path, kind, width, height)


def _png_size(file_name: str, data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        _fail(file_name, "'logo' is not a PNG image (its content is not what .png says)")
    width, height = struct.unpack(">II", data[16:24])
    smallest, largest = LOGO_PIXELS
    if not (smallest <= width <= largest and smallest <= height <= largest):
        _fail(file_name, f"'logo' is {width}×{height} pixels; each side must be between "
                         f"{smallest} and {largest}")
    return width, height


def _svg_size(file_name: str, data: bytes) -> tuple[float, float]:
    from lxml import etree

    # No entities, no DTD, no network: an SVG is parsed as plain data.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        _fail(file_name, "'logo' SVG declares a DOCTYPE or entities; remove them")
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        _fail(file_name, f"'logo' is not a readable SVG: {exc}")
    if etree.QName(root).localname != "svg":
        _fail(file_name, "'logo' is not an SVG image (its root is not <svg>)")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in ("script", "foreignObject"):
            _fail(file_name, f"'logo' SVG holds a <{name}>; a logo must be drawing only")
        for attribute in ("href", _XLINK):
            target = element.get(attribute)
            if target and not target.startswith("#"):
                _fail(file_name, f"'logo' SVG refers to '{target[:60]}'; a logo must not "
                                 "load anything (embed it, or refer to #ids inside the file)")
        style = (element.get("style") or "") + (element.text or "" if name == "style" else "")
        for target in _URL.findall(style):
            if not target.strip("'\" ").startswith("#"):
                _fail(file_name, "'logo' SVG styles load something by url(); a logo must not")
    box = (root.get("viewBox") or "").replace(",", " ").split()
    try:
        width, height = (float(v) for v in box[2:4]) if len(box) == 4 else (
            float(re.sub(r"[a-z%]+$", "", root.get("width", ""))),
            float(re.sub(r"[a-z%]+$", "", root.get("height", ""))))
    except ValueError:
        _fail(file_name, "'logo' SVG needs a viewBox (or a width and a height)")
    if width <= 0 or height <= 0:
        _fail(file_name, "'logo' SVG has an empty viewBox")
    return width, height
