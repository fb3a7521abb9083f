"""The handout's design, read once from templates/theme.yaml, for every renderer.

Page geometry per size, margins, the type scale with its line heights, colours and font roles
live in that one file. The HTML template turns them into CSS custom properties; the DOCX
renderer and the reference-document tool turn them into Word styles. Nothing else states
them, so a change there reaches the PDF and the DOCX alike.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .errors import SetupError

THEME_FILE = Path(__file__).resolve().parent.parent / "templates" / "theme.yaml"

# The type roles every page size must have, and which colour each is drawn in.
ROLES = {
    "body": "ink", "title": "accent", "subtitle": "muted", "heading": "accent",
    "minor_heading": "accent", "facts_heading": "accent", "fact_label": "muted",
    "fact_value": "ink", "citation": "muted", "caption": "muted", "footer": "muted",
}
COLOURS = ("ink", "accent", "accent_soft", "muted")
FONT_ROLES = ("text", "display", "latin")


@dataclass(frozen=True)
class Type:
    size: float  # pt
    line: float  # line height, em


@dataclass(frozen=True)
class Page:
    name: str
    width: float  # mm
    height: float
    margins: tuple[float, float, float, float]  # top, right, bottom, left, mm
    fact_label_width: float  # mm
    type: dict[str, Type]

    @property
    def text_width(self) -> float:
        return self.width - self.margins[1] - self.margins[3]

    @property
    def text_height(self) -> float:
        return self.height - self.margins[0] - self.margins[2]


@dataclass(frozen=True)
class Theme:
    colours: dict[str, str]  # role → "#rrggbb"
    fonts: dict[str, str]  # role → family name
    pages: dict[str, Page]

    def page(self, name: str) -> Page:
        if name not in self.pages:
            raise SetupError(f"unknown page size '{name}'; use one of {', '.join(self.pages)}")
        return self.pages[name]

    def colour(self, role: str) -> str:
        """Return a type role's colour as 6 hex digits (DOCX writes no '#')."""
        return self.colours[ROLES[role]].lstrip("#").upper()

    def css_variables(self, page_name: str) -> str:
        """Return the theme as CSS custom properties for one page size.

        A sheet size the handouts do not use (the poster's A3) takes the first page's type.
        """
        page = self.pages.get(page_name) or next(iter(self.pages.values()))
        lines = [f"--{name.replace('_', '-')}: {value};" for name, value in self.colours.items()]
        lines += [f'--font-{role}: "{family}";' for role, family in self.fonts.items()]
        for role, kind in page.type.items():
            name = role.replace("_", "-")
            lines += [f"--{name}-size: {kind.size:g}pt;", f"--{name}-line: {kind.line:g};"]
        lines.append(f"--fact-label-width: {page.fact_label_width:g}mm;")
        return " ".join(lines)


def _fail(path: Path, message: str):
    raise SetupError(f"{path.name}: {message}")


def _type(path: Path, data, where: str) -> dict[str, Type]:
    if not isinstance(data, dict):
        _fail(path, f"{where} must map each type role to {{size, line}}")
    missing = [role for role in ROLES if role not in data]
    unknown = [role for role in data if role not in ROLES]
    if missing or unknown:
        _fail(path, f"{where}: missing roles {missing or 'none'}, unknown roles "
                    f"{unknown or 'none'}")
    result = {}
    for role, values in data.items():
        try:
            size, line = float(values["size"]), float(values["line"])
        except (TypeError, KeyError, ValueError):
            _fail(path, f"{where}.{role} needs a size (pt) and a line height (em)")
        if not (4 <= size <= 72 and 1 <= line <= 3):
            _fail(path, f"{where}.{role}: size {size} pt or line height {line} is out of range")
        result[role] = Type(size, line)
    return result


def theme_for(settings) -> Theme:
    """Return the theme with the office's branding applied (its accent colour, if set)."""
    theme = load_theme()
    accent = getattr(settings, "accent", "")
    if accent:
        # The quick-facts box's tint follows: the accent at 11 % on white.
        soft = "#" + "".join(f"{round(255 - (255 - int(accent[i:i + 2], 16)) * 0.11):02x}"
                             for i in (1, 3, 5))
        return dataclasses.replace(theme, colours={**theme.colours, "accent": accent,
                                                   "accent_soft": soft})
    return theme


def load_theme(path: Path | None = None) -> Theme:
    """Return the theme from path (default: templates/theme.yaml), read and checked once."""
    return _load(path or THEME_FILE)


@cache
def _load(path: Path) -> Theme:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SetupError(f"cannot read the theme {path}: {exc}") from exc
    if not isinstance(data, dict):
        _fail(path, "must be a mapping")
    colours = data.get("colours") or {}
    if sorted(colours) != sorted(COLOURS) or not all(
            isinstance(v, str) and len(v) == 7 and v.startswith("#") for v in colours.values()):
        _fail(path, f"colours must give {', '.join(COLOURS)}, each as #rrggbb")
    fonts = data.get("fonts") or {}
    if sorted(fonts) != sorted(FONT_ROLES):
        _fail(path, f"fonts must name a family for each of {', '.join(FONT_ROLES)}")
    base = _type(path, data.get("type"), "type")
    pages = {}
    for name, page in (data.get("pages") or {}).items():
        try:
            width, height = (float(v) for v in page["size"])
            margins = tuple(float(v) for v in page["margins"])
            label = float(page["fact_label_width"])
        except (TypeError, KeyError, ValueError):
            _fail(path, f"pages.{name} needs size [w, h], margins [t, r, b, l] and "
                        "fact_label_width, in mm")
        if len(margins) != 4:
            _fail(path, f"pages.{name}.margins needs four lengths: top, right, bottom, left")
        kinds = _type(path, page["type"], f"pages.{name}.type") if "type" in page else base
        pages[name] = Page(name, width, height, margins, label, kinds)
    if not pages:
        _fail(path, "pages must describe at least one page size")
    return Theme(dict(colours), dict(fonts), pages)
