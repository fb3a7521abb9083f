"""Read a career fair's description (fairs/<name>.yaml) and put its handouts in order.

A fair is loaded and checked like a source: the same loader (limits, YAML marks, duplicate
keys), the same declarative walk (unknown keys with "did you mean", wrong types, empty
text), the same `file:line:col: error: … [rule]` diagnostics. Its rules between fields and
against the sources (an unknown handout id, one listed twice) are here.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import schema
from .errors import SourceError
from .load import load_source
from .model import Diagnostic, Document, Severity
from .schema import Date, Field, ListOf, Object, Text

FAIRS_FOLDER = "fairs"  # beside the sources folder
SCHEMA_PATH = Path(__file__).parent / "schema" / "fair.schema.json"
SCHEMA_ID = "https://khmer-handouts.invalid/schema/fair.schema.json"

_HANDOUT_ID = Text("A handout's id: its source's file name without .yaml.",
                   pattern=r"[a-z0-9]+(-[a-z0-9]+)*",
                   pattern_hint="a handout id: lower-case letters, digits and single hyphens",
                   max_length=64)
_ISO_DATE = dict(pattern=r"\d{4}-\d{2}-\d{2}", pattern_hint="an ISO date such as 2027-02-20")
_HANDOUT_LIST = ListOf("Handout ids, in the order they are printed.", _HANDOUT_ID)

SECTION = Object("A named group of handouts, such as a sector.", {
    "heading": Field(Text("The group's heading in the contents, in Khmer.")),
    "handouts": Field(_HANDOUT_LIST),
}, name="sections item")

FAIR = Object("One career fair: its booklet of handouts and its table poster.", {
    "name": Field(Text("The fair's name in Khmer, as printed on the cover and every footer.")),
    "name_other": Field(Text("The fair's name in English."), required=False),
    "date": Field(Date("The fair's (first) day, as an ISO date.", **_ISO_DATE)),
    "end_date": Field(Date("The last day of a fair that runs several days.", **_ISO_DATE),
                      required=False),
    "venue": Field(Text("Where the fair is held.")),
    "organiser": Field(Text("Who runs the fair; default: the organisation in handouts.yaml."),
                       required=False),
    "handouts": Field(ListOf(
        "The handouts in the booklet, in order; default: every source, in Khmer dictionary "
        "order of title.", _HANDOUT_ID), required=False),
    "sections": Field(ListOf("Named groups of handouts, in order, instead of 'handouts'.",
                             SECTION), required=False),
}, name="the fair")


def _months(language: str) -> tuple[str, ...]:
    """Return the month names of templates/labels/<language>.yaml, as handouts print them."""
    from .config import load_labels

    return load_labels(language).months


@dataclass(frozen=True)
class FairSection:
    heading: str | None  # None: the fair lists its handouts without sections
    handouts: tuple[str, ...]


@dataclass(frozen=True)
class Fair:
    """One fair as described in its file; `sections` is empty when the order is the default."""

    id: str  # the file name without .yaml: the booklet and poster are named after it
    name: str
    name_other: str | None
    start: date
    end: date | None
    venue: str
    organiser: str
    sections: tuple[FairSection, ...]
    source: Path

    def dates_km(self, digits: str = "khmer") -> str:
        """Return the dates in Khmer, as printed on the cover."""
        def number(value: int) -> str:
            from .khmer import to_khmer_digits

            return to_khmer_digits(str(value)) if digits == "khmer" else str(value)

        def day(when: date, year: bool = True) -> str:
            text = f"ថ្ងៃទី{number(when.day)} ខែ{_months('km')[when.month - 1]}"
            return f"{text} ឆ្នាំ{number(when.year)}" if year else text

        end = self.end
        if not end or end == self.start:
            return day(self.start)
        if (end.year, end.month) == (self.start.year, self.start.month):
            return (f"ថ្ងៃទី{number(self.start.day)}–{number(end.day)} "
                    f"ខែ{_months('km')[end.month - 1]} ឆ្នាំ{number(end.year)}")
        return f"{day(self.start, end.year != self.start.year)} – {day(end)}"

    def dates_en(self) -> str:
        """Return the dates in English: 20 February 2027, 20–21 February 2027."""
        start, end = self.start, self.end
        if not end or end == start:
            return f"{start.day} {_months('en')[start.month - 1]} {start.year}"
        if (end.year, end.month) == (start.year, start.month):
            return f"{start.day}–{end.day} {_months('en')[end.month - 1]} {end.year}"
        first = f"{start.day} {_months('en')[start.month - 1]}"
        if end.year != start.year:
            first += f" {start.year}"
        return f"{first} – {end.day} {_months('en')[end.month - 1]} {end.year}"


@dataclass(frozen=True)
class Arranged:
    """A fair's handouts in print order, grouped under their section headings."""

    fair: Fair
    groups: tuple[tuple[str | None, tuple[Document, ...]], ...]

    @property
    def documents(self) -> tuple[Document, ...]:
        return tuple(doc for _, docs in self.groups for doc in docs)


def fair_files(sources: Sequence[Path]) -> tuple[Path, ...]:
    """Return the fair files beside the folders of the given sources (fairs/*.yaml)."""
    folders = dict.fromkeys(path.parent.parent / FAIRS_FOLDER for path in sources)
    return tuple(path for folder in folders if folder.is_dir()
                 for path in sorted(folder.glob("*.yaml")) if not path.name.startswith("."))


@lru_cache(maxsize=1)
def _collator():
    import icu

    return icu.Collator.createInstance(icu.Locale("km"))


def khmer_sort_key(text: str) -> bytes:
    """Return the key that sorts Khmer text in dictionary order (ICU's km collation)."""
    # Our inserted line-breaking aids are not part of the word.
    plain = text.replace("\u200b", "").replace("\u00a0", " ").replace("\u2060", "")
    return _collator().getSortKey(plain)


def load_fair(path: Path, display: str, known: Collection[str],
              invalid: Collection[str] = (), organisation: str = "") -> tuple[
                  Fair | None, list[Diagnostic]]:
    """Read and check one fair file against the handout ids known from the sources.

    `invalid` are the ids of sources that have errors: a fair that lists one cannot be
    printed. Return the Fair (None on any error) and every problem found.
    """
    from .validate import INVALID, _Checker  # the walk over declarations handouts use

    loaded = load_source(path, display)
    diagnostics = list(loaded.diagnostics)
    if not re.fullmatch(_HANDOUT_ID.pattern, path.stem):
        # The booklet and poster are named after the file: output/booklet/<name>.pdf.
        diagnostics.append(Diagnostic(
            display, None, None, Severity.ERROR, f"a fair's file name must be lower-case "
            f"letters, digits and single hyphens, ending in .yaml, not '{path.name}'",
            "fair.filename"))
    root = loaded.root
    if root is None or (isinstance(root, ScalarNode) and not root.value):
        if not diagnostics:
            diagnostics.append(Diagnostic(display, 1, 1, Severity.ERROR, "file is empty",
                                          "value.empty"))
        return None, diagnostics
    check = _Checker(display, diagnostics)
    values = check.check(root, FAIR, "the fair")
    if values is INVALID:
        return None, diagnostics
    _order_rules(check, root, values, known, invalid)
    _glyph_rules(check, root)
    start, end = values.get("date"), values.get("end_date")
    if start and end and end < start:
        check.error(_value_node(root, "end_date"),
                    f"'end_date' {end} is before 'date' {start}", "fair.date")
    if any(d.is_error for d in diagnostics):
        return None, diagnostics
    if "sections" in values:
        sections = tuple(FairSection(s["heading"], tuple(s["handouts"]))
                         for s in values["sections"])
    elif "handouts" in values:
        sections = (FairSection(None, tuple(values["handouts"])),)
    else:
        sections = ()
    return Fair(
        id=path.stem, name=values["name"], name_other=values.get("name_other"),
        start=date.fromisoformat(start), end=date.fromisoformat(end) if end else None,
        venue=values["venue"], organiser=values.get("organiser") or organisation,
        sections=sections, source=path), diagnostics


def _value_node(root: MappingNode, key: str) -> Node:
    return next(value for k, value in root.value if k.value == key)


def _id_nodes(root: MappingNode, values: dict) -> list[ScalarNode]:
    """Return the nodes of every handout id the fair lists, in file order."""
    lists = []
    if "handouts" in values:
        lists.append(_value_node(root, "handouts"))
    if "sections" in values:
        for section in _value_node(root, "sections").value:
            if isinstance(section, MappingNode):
                lists += [v for k, v in section.value if k.value == "handouts"]
    return [node for listed in lists if isinstance(listed, SequenceNode)
            for node in listed.value if isinstance(node, ScalarNode)]


_PRINTED = ("name", "name_other", "venue", "organiser", "heading")


def _glyph_rules(check, node: Node, key: str = "") -> None:
    """Report printed text that the bundled fonts cannot draw, as for sources."""
    from .fonts import glyph_problems

    if isinstance(node, MappingNode):
        for key_node, value in node.value:
            _glyph_rules(check, value, getattr(key_node, "value", ""))
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _glyph_rules(check, item, key)
    elif key in _PRINTED and isinstance(node.value, str):
        for problem in glyph_problems(node.value):
            rule = "khmer.dotted-circle" if problem.kind == "dotted-circle" else "glyph.missing"
            check.error(node, f"'{key}': {problem.describe()}", rule)


def _order_rules(check, root: MappingNode, values: dict, known: Collection[str],
                 invalid: Collection[str]) -> None:
    if "handouts" in values and "sections" in values:
        check.error(_value_node(root, "sections"),
                    "give either 'handouts' or 'sections', not both", "fair.order")
    first_seen: dict[str, int] = {}
    for node in _id_nodes(root, values):
        handout_id = node.value
        if not re.fullmatch(_HANDOUT_ID.pattern, handout_id):
            continue  # reported by the walk already
        line = node.start_mark.line + 1
        if handout_id in first_seen:
            check.error(node, f"handout '{handout_id}' is listed twice (first on line "
                              f"{first_seen[handout_id]})", "fair.duplicate")
            continue
        first_seen[handout_id] = line
        if handout_id not in known:
            close = difflib.get_close_matches(handout_id, sorted(known), n=1, cutoff=0.6)
            hint = (f"did you mean '{close[0]}'?" if close else
                    "the sources are: " + ", ".join(sorted(known)[:10]) +
                    (", …" if len(known) > 10 else ""))
            check.error(node, f"unknown handout '{handout_id}'; {hint}", "fair.handout")
        elif handout_id in invalid:
            check.error(node, f"handout '{handout_id}' has errors (see its source) and "
                              "cannot be printed", "fair.handout")


def load_fairs(paths: Sequence[Path], documents: Sequence[Document], sources: Sequence[Path],
               organisation: str, display=str) -> list[Arranged]:
    """Load every fair and arrange its Documents; raise SourceError with all problems.

    Nothing is printed for any fair while one has an error: a booklet with a handout
    missing is worse than no booklet.
    """
    by_id = {doc.id: doc for doc in documents}
    known = {path.stem for path in sources}
    invalid = known - set(by_id)
    arranged, diagnostics = [], []
    for path in paths:
        fair, found = load_fair(path, display(path), known, invalid, organisation)
        diagnostics += found
        if fair is not None:
            arranged.append(arrange(fair, by_id))
    if any(d.is_error for d in diagnostics):
        raise SourceError(sorted(diagnostics, key=Diagnostic.sort_key))
    return arranged


def arrange(fair: Fair, documents: dict[str, Document]) -> Arranged:
    """Return the fair's Documents in print order: as listed, or sorted by Khmer title."""
    if not fair.sections:
        ordered = sorted(documents.values(), key=lambda doc: (khmer_sort_key(doc.title), doc.id))
        return Arranged(fair, ((None, tuple(ordered)),))
    return Arranged(fair, tuple((section.heading,
                                 tuple(documents[i] for i in section.handouts))
                                for section in fair.sections))


def json_schema() -> dict:
    """Return the JSON Schema of a fair file, for editors."""
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
           "title": "Khmer career fair"}
    out.update(schema._json(FAIR))
    return out


def json_schema_text() -> str:
    """Return the fair's JSON Schema as the exact text committed in pipeline/schema/."""
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
