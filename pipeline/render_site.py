"""Render the static web site: a page per handout, an index, and the files they share.

The pages read the same prepared Documents as the PDF and DOCX (built without inserted word
breaks, so that text copied from a page equals the source). Everything a page needs is in
the site folder and linked relatively, so the site works from any static web server and
from file:// alike; a Content-Security-Policy allows nothing else. The bundled fonts go in
as WOFF2 subsets (all of Khmer, Latin-1 and whatever else the text uses), so that Khmer
renders on a phone without a Khmer font, within the page weight budget.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2
import yaml

from .config import FONTS_DIR, TEMPLATES_DIR, Settings
from .fonts import KHMER_BOLD, KHMER_DISPLAY, KHMER_REGULAR, LATIN_BOLD, LATIN_REGULAR
from .khmer import has_khmer
from .model import Bullets, Citations, Document, Paragraphs, Terms
from .theme import theme_for

SITE_TEMPLATES = "site"
ASSETS = "assets"
# A handout page with its fonts, CSS and script must stay under this, for a cheap phone on
# a weak connection (issue 11).
PAGE_BUDGET_BYTES = 200 * 1024
# Only the site's own files: no inline script or style, no frames, no forms sent anywhere.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                           "font-src 'self'; img-src 'self'; connect-src 'self'; "
                           "base-uri 'none'; form-action 'none'")

# (family, file, weight, unicode-range): the browser fetches a face only for the characters
# of its range that a page shows, so a page without Latin bold never loads it.
_KHMER_RANGE = "U+1780-17FF, U+19E0-19FF, U+200B-200D, U+25CC"
_LATIN_RANGE = "U+0000-024F, U+2000-206F, U+20A0-20CF, U+2100-215F, U+2190-21FF, U+2212"
FACES = (
    ("Site Khmer", KHMER_REGULAR, 400, _KHMER_RANGE),
    ("Site Khmer", KHMER_BOLD, 700, _KHMER_RANGE),
    ("Site Khmer Display", KHMER_DISPLAY, 700, _KHMER_RANGE),
    ("Site Latin", LATIN_REGULAR, 400, _LATIN_RANGE),
    ("Site Latin", LATIN_BOLD, 700, _LATIN_RANGE),
)
# Characters every subset keeps whatever the text: all of Khmer, ASCII, Latin-1, common
# punctuation and currency signs. The subsets then rarely change with an edit, so a rebuild
# finds them in the cache (cutting a font takes about 0.4 s) and a browser keeps them; the
# whole Khmer block costs only 15-22 KB a face. Characters beyond these are added as used.
_ALWAYS = frozenset({*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x1780, 0x17FA),
                     *range(0x19E0, 0x1A00), *range(0x2010, 0x2027), 0x2030, 0x2039, 0x203A,
                     0x200B, 0x200C, 0x200D, 0x2060, 0x20AB, 0x20AC, 0x2122, 0x2212, 0x25CC})


@dataclass(frozen=True)
class Offer:
    """A file to offer beside a handout page, as the writer that made it describes it."""

    name: str  # file name, relative to the page
    data: bytes
    media_type: str


@dataclass(frozen=True)
class Download:
    """A file offered for download beside a handout page, as the page shows it."""

    name: str  # file name, relative to the page
    kind: str  # "PDF" or "DOCX"
    what: str  # label key: what it is for
    type: str  # media type
    size: str  # shown to the reader


@dataclass(frozen=True)
class Group:
    """A heading of the index and the careers under it (one untitled group without a fair)."""

    title: str | None
    ids: tuple[str, ...]


@dataclass
class Site:
    """The site's files, relative to the site folder, and each page's weight in bytes."""

    files: dict[str, bytes] = field(default_factory=dict)
    weights: dict[str, int] = field(default_factory=dict)


# --- collation ----------------------------------------------------------------------------------


def khmer_sort_key(text: str) -> bytes:
    """Return a key that sorts text in Khmer dictionary order: the fairs' (ICU's km)."""
    from .fair import khmer_sort_key as fair_key

    return fair_key(text)


def khmer_title(doc: Document) -> str:
    """Return the handout's Khmer title, the key by which the index is sorted."""
    if doc.language != "km" and doc.title_other and has_khmer(doc.title_other):
        return doc.title_other
    return doc.title


# --- fonts --------------------------------------------------------------------------------------


def subset_woff2(font_file: Path, characters: frozenset[int], cache_dir: Path | None) -> bytes:
    """Return the font cut down to the given characters (with every glyph their shaping
    needs) as WOFF2; reuse an earlier cut from cache_dir when font and characters match."""
    data = font_file.read_bytes()
    key = hashlib.sha256(data + ",".join(map(str, sorted(characters))).encode()).hexdigest()
    cached = cache_dir / f"{font_file.stem}-{key[:20]}.woff2" if cache_dir else None
    if cached is not None and cached.exists():
        return cached.read_bytes()
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    # Every OpenType feature: Khmer shaping needs its reordering, subscript and vowel
    # lookups, and closure over them keeps the glyphs they produce.
    options.layout_features = ["*"]
    options.hinting = False  # phones do not use TrueType hints; they are a third of the size
    options.desubroutinize = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and OFL licence
    # Identical input gives identical bytes: the font's modified date is not touched.
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=characters)
    subsetter.subset(font)
    font.flavor = "woff2"
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    result = out.getvalue()
    if cached is not None:
        from .outputs import write_atomically

        with contextlib.suppress(OSError):  # only a cache: the next build cuts the font again
            write_atomically(cached, result, sync=False)
    return result


def _font_css(files: Mapping[str, str]) -> str:
    rules = []
    for family, font_file, weight, unicode_range in FACES:
        rules.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
                     f"font-display: swap; src: url({files[font_file]}) format(\"woff2\"); "
                     f"unicode-range: {unicode_range}; }}")
    return "\n".join(rules) + "\n"


# --- pages --------------------------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.tests["paragraphs"] = lambda block: isinstance(block, Paragraphs)
    env.tests["terms"] = lambda block: isinstance(block, Terms)
    env.tests["bullets"] = lambda block: isinstance(block, Bullets)
    env.tests["citations"] = lambda block: isinstance(block, Citations)
    return env


@cache
def site_labels() -> dict[str, dict[str, str]]:
    """Return the site's own words, by language."""
    path = TEMPLATES_DIR / SITE_TEMPLATES / "labels.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _common(settings: Settings, root: str) -> dict:
    logo = f"logo.{settings.logo.kind}" if settings.logo else None
    return {"csp": CONTENT_SECURITY_POLICY, "root": root, "ui": site_labels(),
            "organisation": settings.organisation, "contact": settings.contact, "logo": logo}


def render_page(doc: Document, settings: Settings, downloads: Sequence[Download] = ()) -> str:
    """Return the web page of one handout (it lives at <id>/index.html)."""
    template = _environment().get_template(f"{SITE_TEMPLATES}/page.html.j2")
    return template.render(doc=doc, lang=doc.language, downloads=downloads,
                           **_common(settings, "../"))


def render_index(documents: Sequence[Document], settings: Settings,
                 groups: Sequence[Group] = ()) -> str:
    """Return the index: every career with its titles and salary range, grouped and sorted."""
    by_id = {doc.id: doc for doc in documents}
    ordered = sorted(documents, key=lambda doc: (khmer_sort_key(khmer_title(doc)), doc.id))
    shown: list[dict] = []
    placed: set[str] = set()
    for group in groups:
        ids = [i for i in group.ids if i in by_id and i not in placed]
        placed.update(ids)
        if ids:
            shown.append({"title": group.title, "careers": [_career(by_id[i]) for i in ids]})
    rest = [doc for doc in ordered if doc.id not in placed]
    if rest:
        title = site_labels()["km"]["other_careers"] if shown else None
        shown.append({"title": title, "careers": [_career(doc) for doc in rest]})
    template = _environment().get_template(f"{SITE_TEMPLATES}/index.html.j2")
    return template.render(groups=shown, lang="km", **_common(settings, ""))


def _career(doc: Document) -> dict:
    return {"id": doc.id, "title": doc.title, "lang": doc.language,
            "title_other": doc.title_other, "other_lang": doc.other_language,
            "salary": doc.pay.range if doc.pay else ""}


def render_diagnostics(title: str, lines: Sequence[str], settings: Settings,
                       root: str = "../") -> str:
    """Return a page that shows a source's problems instead of its handout (for `serve`)."""
    template = _environment().get_template(f"{SITE_TEMPLATES}/diagnostics.html.j2")
    return template.render(title=title, lines=lines, lang="en", **_common(settings, root))


# --- the whole site -----------------------------------------------------------------------------


def _characters(texts: Sequence[str]) -> frozenset[int]:
    return frozenset(_ALWAYS | {ord(char) for text in texts for char in text})


def render_site(documents: Sequence[Document], settings: Settings,
                downloads: Mapping[str, Sequence[Offer]] | None = None,
                groups: Sequence[Group] = (), cache_dir: Path | None = None) -> Site:
    """Return every file of the site and the weight of each page.

    `downloads` maps a handout id to the files to offer beside its page;
    `groups` orders the index like a fair; `cache_dir` keeps font subsets between builds.
    """
    downloads = downloads or {}
    site = Site()
    pages = {}
    for doc in documents:
        offered = []
        for offer in sorted(downloads.get(doc.id) or (), key=lambda offer: offer.name):
            kind = Path(offer.name).suffix.lstrip(".").lower()
            site.files[f"{doc.id}/{offer.name}"] = offer.data
            offered.append(Download(offer.name, kind.upper(), kind, offer.media_type,
                                    _size(len(offer.data))))
        pages[f"{doc.id}/index.html"] = render_page(doc, settings, offered)
    pages["index.html"] = render_index(documents, settings, groups)
    for path, html in pages.items():
        site.files[path] = html.encode("utf-8")

    texts = [_visible_text(html) for html in pages.values()]
    characters = _characters(texts)
    font_urls = {}
    for _, font_file, _, _ in FACES:
        name = f"{ASSETS}/{Path(font_file).stem}.woff2"
        site.files[name] = subset_woff2(FONTS_DIR / font_file, characters, cache_dir)
        font_urls[font_file] = Path(name).name  # relative to the stylesheet, also in assets/
    css = (TEMPLATES_DIR / SITE_TEMPLATES / "site.css").read_text(encoding="utf-8")
    # The colours of the theme and the office's accent, as in the PDF and the DOCX.
    colours = theme_for(settings).colours
    palette = ":root { " + " ".join(f"--{name.replace('_', '-')}: {value};"
                                    for name, value in colours.items()) + " }\n"
    site.files[f"{ASSETS}/site.css"] = (_font_css(font_urls) + palette + css).encode("utf-8")
    if settings.logo:
        site.files[f"{ASSETS}/logo.{settings.logo.kind}"] = settings.logo.path.read_bytes()
    for name in ("search.js", "icon.svg"):
        site.files[f"{ASSETS}/{name}"] = (TEMPLATES_DIR / SITE_TEMPLATES / name).read_bytes()
    licence = FONTS_DIR / "OFL.txt"
    if licence.exists():
        site.files[f"{ASSETS}/OFL.txt"] = licence.read_bytes()  # the fonts' licence travels
    site.weights = {path: page_weight(path, site.files) for path in pages}
    return site


_TAG = re.compile(r"<[^>]*>")
_REFERENCE = re.compile(r'(?:href|src)="([^"#?]+)"')
_CSS_URL = re.compile(r"url\(([^)\"']+)\)")


def _visible_text(html: str) -> str:
    import html as html_module

    # Attribute values too (the search box's messages): a cut too small costs a fallback font.
    return html_module.unescape(_TAG.sub(" ", html)) + html_module.unescape(
        " ".join(re.findall(r'="([^"]*)"', html)))


def page_weight(page: str, files: Mapping[str, bytes]) -> int:
    """Return the bytes a browser loads for a page: it, its stylesheet and script, and every
    font the stylesheet names (an upper bound: unicode-range may spare some)."""
    seen: set[str] = set()
    total = 0

    def add(path: str) -> None:
        nonlocal total
        if path in seen or path not in files:
            return
        seen.add(path)
        total += len(files[path])
        text = files[path]
        if path.endswith(".html"):
            for link in _REFERENCE.findall(text.decode("utf-8")):
                target = _join(path, link)
                if target.endswith((".css", ".js", ".svg")):
                    add(target)
        elif path.endswith(".css"):
            for link in _CSS_URL.findall(text.decode("utf-8")):
                add(_join(path, link))

    add(page)
    return total


def site_weights(site_dir: Path) -> dict[str, int]:
    """Return the weight of every page in a built site folder, index first."""
    files = {str(path.relative_to(site_dir)): path.read_bytes()
             for path in site_dir.rglob("*")
             if path.is_file() and path.suffix in (".html", ".css", ".js", ".svg", ".woff2")}
    pages = sorted((p for p in files if p.endswith(".html")), key=lambda p: (p != "index.html", p))
    return {page: page_weight(page, files) for page in pages}


def _join(base: str, link: str) -> str:
    parts = base.split("/")[:-1]
    for piece in link.split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _size(count: int) -> str:
    return f"{max(1, round(count / 1024))} KB"
