"""Project settings and label files: what every handout shares."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from .branding import Logo, check_accent, check_contact, check_logo
from .errors import SetupError
from .schema import LABEL_KEYS, QR_URL_MAX_LENGTH

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
FONTS_DIR = PROJECT_ROOT / "fonts"
SETTINGS_FILE = PROJECT_ROOT / "handouts.yaml"

DEFAULT_ORGANISATION = "Career Guidance Service"

# Page sizes selectable with PAGE_SIZE=…, as CSS `size` values.
PAGE_SIZES = {"A4": "A4", "A5": "A5", "Letter": "letter"}
# Their dimensions, margins and type are in templates/theme.yaml (pipeline/theme.py).
# Sizes that only some writers lay out (Writer.page_sizes): a table poster on A3. A handout
# has no margins or type scale for them.
SHEET_SIZES = {"A3": "A3"}
ALL_PAGE_SIZES = {**PAGE_SIZES, **SHEET_SIZES}
# Their dimensions in mm (width, height); a handout's sizes are in the theme.
SHEET_SIZES_MM = {"A3": (297, 420)}
# Modules of white around a QR code: the standard asks for 4; 2 is what phone readers need,
# and the page around the code is white anyway.
QR_QUIET_ZONE = 2
# Press versions: 3 mm of bleed (the PDF BleedBox) on a sheet 12 mm larger than the page on
# each side, so that the crop marks sit outside the bleed, where the guillotine never cuts.
PRINT_BLEED_MM = 3
PRINT_MARKS_MM = 12
# pdf/ua-1 is tagged and keeps the structure screen readers need; others for press or archive.
# WeasyPrint's PDF/X variants are left out: they need a CMYK output intent (an ICC profile we
# do not ship) and write a random xmpMM:DocumentID, so they would be neither valid nor
# reproducible.
# The QR code's address: the same limit as a source's more_info_url.
MAX_ONLINE_URL = QR_URL_MAX_LENGTH
PDF_VARIANTS = ("pdf/ua-1", "pdf/ua-2", "pdf/a-2b", "pdf/a-3b", "none")


@dataclass(frozen=True)
class Settings:
    """Settings from handouts.yaml and the command line."""

    organisation: str = DEFAULT_ORGANISATION
    online_url: str = ""  # "{id}" is replaced by the handout's id
    page_size: str = "A4"
    pdf_variant: str = "pdf/ua-1"
    for_print: bool = False  # add 3 mm bleed and crop marks
    # Report each coeng DA (្ដ) so that an editor checks coeng TA (្ត) is not meant. Off by
    # default: ្ដ is the standard spelling of many words (បណ្ដុះបណ្ដាល).
    check_coeng_da: bool = False
    # The office's branding (pipeline/branding.py checks each): contact lines for the
    # contact block, a logo in branding/, an accent colour in place of the theme's.
    contact: tuple[str, ...] = ()
    logo: Logo | None = None
    accent: str = ""


@dataclass(frozen=True)
class Labels:
    """Headings and phrases of one language, with a source's overrides applied."""

    text: dict[str, str]
    countries: dict[str, str]
    months: tuple[str, ...] = ()  # January to December, for dates as printed

    def __getitem__(self, key: str) -> str:
        return self.text[key]


def load_settings(path: Path = SETTINGS_FILE, **overrides) -> Settings:
    """Read handouts.yaml (missing file: defaults) and apply command-line overrides."""
    values: dict = {}
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise SetupError(f"{path.name}: cannot read settings: {exc}") from exc
        if not isinstance(loaded, dict):
            raise SetupError(f"{path.name}: settings must be a mapping of keys to values")
        unknown = set(loaded) - {"organisation", "online_url", "check_coeng_da", "contact",
                                 "logo", "accent"}
        if unknown:
            raise SetupError(f"{path.name}: unknown setting(s): {', '.join(sorted(unknown))}")
        switch = loaded.pop("check_coeng_da", False)
        if not isinstance(switch, bool):
            raise SetupError(f"{path.name}: 'check_coeng_da' must be true or false")
        branding = {"contact": check_contact(path.name, loaded.pop("contact", None)),
                    "logo": check_logo(path.name, loaded.pop("logo", None)),
                    "accent": check_accent(path.name, loaded.pop("accent", None))}
        values = {k: str(v or "").strip() for k, v in loaded.items()}
        values["check_coeng_da"] = switch
        values.update(branding)
        if not values.get("organisation"):
            values.pop("organisation", None)
    _check_online_url(path.name, values.get("online_url", ""))
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    if settings.page_size not in ALL_PAGE_SIZES:
        raise SetupError(f"unknown page size '{settings.page_size}'; "
                         f"use one of {', '.join(ALL_PAGE_SIZES)}")
    if settings.pdf_variant not in PDF_VARIANTS:
        raise SetupError(f"unknown PDF variant '{settings.pdf_variant}'; "
                         f"use one of {', '.join(PDF_VARIANTS)}")
    return settings


def _check_online_url(file_name: str, url: str) -> None:
    """Refuse an online_url the QR code and the PDF link cannot carry safely."""
    if not url:
        return
    # Imported here, and only for an address to check: a build with nothing to do never
    # loads the validator (a third of its start-up).
    from .model import excerpt
    from .validate import _has_credentials, _is_web_url

    problem = None
    if len(url) > MAX_ONLINE_URL:
        problem = (f"is {len(url)} characters long; at most {MAX_ONLINE_URL} are allowed (a "
                   "longer one makes a QR code too fine to scan)")
    elif not url.startswith("https://") or not _is_web_url(url.replace("{id}", "id")):
        problem = f"must be a full https:// address, not '{excerpt(url)}'"
    elif _has_credentials(url):
        problem = "must not hold a user name or password (the part before '@')"
    elif "{id}" not in url:
        problem = (f"must contain {{id}}, where each handout's id goes: '{excerpt(url)}' would "
                   "send every QR code to the same page")
    if problem:
        raise SetupError(f"{file_name}: 'online_url' {problem}; or leave it empty "
                         "(online_url: \"\") to print no QR code for handouts without "
                         "more_info_url")


def load_labels(language: str, overrides: dict[str, str] | None = None) -> Labels:
    """Read templates/labels/<language>.yaml and apply a source's overrides."""
    path = TEMPLATES_DIR / "labels" / f"{language}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SetupError(f"cannot read label file {path}: {exc}") from exc
    missing = [key for key in LABEL_KEYS if key not in data]
    if missing:
        raise SetupError(f"{path}: missing labels: {', '.join(missing)}")
    text = {key: str(data[key]) for key in LABEL_KEYS}
    text.update(overrides or {})
    months = tuple(str(m) for m in data.get("months") or ())
    if len(months) != 12:
        raise SetupError(f"{path}: 'months' must name the twelve months, January first")
    return Labels(text, dict(data.get("countries") or {}), months)


def build_timestamp() -> datetime | None:
    """Return SOURCE_DATE_EPOCH as a UTC time, or None when it is not set.

    Without it no date is written at all, so identical input still gives identical bytes.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    try:
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    except (ValueError, OverflowError) as exc:
        raise SetupError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, "
                         f"not '{epoch}'") from exc
