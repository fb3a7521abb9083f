"""The source format, declared once as data.

Each field is declared here once, with its type, whether it is required and its default,
the script its text is in, its help text, and its roles: a quick fact, a section of the
handout (and how its block is laid out), editable in Word, printed by the handouts that
suggest it, a salary figure. Everything else follows from that: the validator walks sources
against these declarations and fills in the defaults; the dataclasses the stages pass
(model.Handout and its parts) are made from them; the Khmer text checks take each field's
script from them; `prepare` makes the quick facts and the sections from the roles, the DOCX
marks and `import` reads back the editable fields, the plan rebuilds a handout when a field
it prints of another one changes; and `make schema` turns them into the JSON Schema (with
defaults and descriptions) that editors use. Adding a field is one declaration here, plus
its label in templates/labels/*.yaml when it is printed under a label of its own.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).parent / "schema" / "handout.schema.json"
SCHEMA_ID = "https://khmer-handouts.invalid/schema/handout.schema.json"

LANGUAGES = ("km", "en")
PERIODS = ("year", "month", "hour")
DIGIT_STYLES = ("latin", "khmer")

# Phrases a source may override besides the labels of its sections and quick facts (which
# are named after their fields: LABEL_KEYS); the defaults live in templates/labels/<lang>.yaml.
PHRASE_LABELS = (
    "facts", "salary_range", "average", "top_earners", "country",
    "per_year", "per_month", "per_hour", "term_separator", "page", "more_info",
    "salary_source",
)


# The script a text field is written in, for the Khmer checks:
LANGUAGE = "language"  # the handout's language (Khmer in a Khmer handout)
OTHER = "other"  # the other language (the English title of a Khmer handout)
LATIN = "latin"  # Latin whatever the handout's language (citations, web addresses)
CODE = "code"  # a code or a date: checked by its pattern, not as prose


@dataclass(frozen=True)
class Text:
    description: str
    pattern: str | None = None  # a regular expression the whole text must match
    pattern_hint: str = ""
    max_length: int | None = None
    keep_spaces: bool = False  # taken as written (a separator such as ": "), not stripped
    script: str = LANGUAGE
    placeholders: bool = False  # may hold {base_min} and the like, filled in by the build
    example: str | None = None  # a valid value `make new` writes for a code (USD, KH)


@dataclass(frozen=True)
class Date(Text):
    """A year, year-month or ISO date that must exist in the calendar, or n.d."""

    script: str = CODE


@dataclass(frozen=True)
class Url:
    description: str
    max_length: int = 2000  # what every browser and server takes
    too_long_hint: str = "use a shorter address"
    script: str = LATIN


@dataclass(frozen=True)
class Number:
    description: str


@dataclass(frozen=True)
class Figure(Number):
    """A salary figure: a sentence refers to it as {name}; figures rise in `rank` order."""

    rank: int = 0


@dataclass(frozen=True)
class Integer:
    description: str
    minimum: int
    maximum: int
    example: int | None = None  # what `make new` writes, commented out


@dataclass(frozen=True)
class Choice:
    description: str
    choices: tuple[str, ...]
    script: str = CODE


@dataclass(frozen=True)
class ListOf:
    description: str
    item: Spec
    min_items: int = 1


@dataclass(frozen=True)
class Object:
    description: str
    fields: dict[str, Field]
    name: str  # how messages call it: "handout", "salary", ...
    model: str | None = None  # the dataclass made from it (model.py); None: a plain dict


# How a section's block is laid out (Field.section), in every format:
PARAGRAPHS_BLOCK = "paragraphs"  # a list of paragraphs
BULLETS_BLOCK = "bullets"  # a list of bulleted items
TERMS_BLOCK = "terms"  # a lead sentence, then bold terms with their explanations
NARRATIVE_BLOCK = "narrative"  # the salary's sentences, with its figures filled in
CITATIONS_BLOCK = "citations"  # cited sources with their addresses
TITLES_BLOCK = "titles"  # other handouts, by id, printed with their titles ("see also")


@dataclass(frozen=True)
class Field:
    spec: Spec
    required: bool = True
    default: Any = None  # the value of an optional field a source leaves out
    # Roles (each optional): what the rest of the pipeline does with the field.
    # Printed in the quick facts when given, under the label named after the field.
    fact: bool = False
    # A section of the handout, in declaration order, under the label named after the
    # field; the value says how its block is laid out (the *_BLOCK names above).
    section: str | None = None
    # Editable in Word: its DOCX paragraph(s) carry a marker and `import` reads them back.
    editable: bool = False
    # Printed by the handouts that suggest this one ("see also"): a change rebuilds them.
    in_related: bool = False


Spec = Text | Date | Url | Number | Integer | Choice | ListOf | Object

# What `make new` writes where the author's text goes, by the script of the field: visibly
# unfinished, reported by `make check` while it is there, refused by a fair's outputs.
TEMPLATE_TEXT = {"km": "… សរសេរនៅទីនេះ …", "en": "… write here …"}
TEMPLATE_URL = "https://example.invalid/write-the-address-here"


def is_template_text(text: str) -> bool:
    """Return whether a value still holds what `make new` wrote in place of the author's."""
    return TEMPLATE_URL in text or any(mark in text for mark in TEMPLATE_TEXT.values())


# The QR code is printed 24 mm wide, quiet zone included; up to this many characters its
# modules stay large enough (about 0.4 mm) for a phone camera at arm's length.
QR_URL_MAX_LENGTH = 200

PARAGRAPHS = ListOf("Paragraphs, one list item each.", Text("A paragraph."))

TERM = Object("A term and its explanation.", {
    "term": Field(Text("The term, shown in bold.")),
    "explanation": Field(Text("What the term means for this career.")),
}, name="values item", model="Term")

_FIGURES = {
    "base_min": Field(Figure("Lowest base salary.", rank=1)),
    "base_max": Field(Figure("Highest base salary.", rank=3)),
    "average": Field(Figure("Average salary.", rank=2)),
    "top": Field(Figure("What top earners make (at least the maximum).", rank=4),
                 required=False),
}
# The salary figures, as declared (the order messages list them in), and in the order they
# must rise.
FIGURES = tuple(_FIGURES)
RISING_FIGURES = tuple(sorted(_FIGURES, key=lambda name: _FIGURES[name].spec.rank))


def placeholder_list(names=FIGURES, last: str = "and") -> str:
    """Return the figures as a sentence writes them: {base_min}, {base_max}, ... and {top}."""
    shown = ["{" + name + "}" for name in names]
    return ", ".join(shown[:-1]) + f" {last} " + shown[-1] if len(shown) > 1 else shown[0]


SALARY = Object("Salary figures, written once as numbers, and the sentences about them.", {
    "currency": Field(Text("ISO 4217 currency code, e.g. USD or KHR.", pattern=r"[A-Z]{3}",
                           pattern_hint="three capital letters such as USD", script=CODE,
                           example="KHR")),
    "period": Field(Choice("What one figure is paid for.", PERIODS)),
    "country": Field(Text("ISO 3166 country code the figures are from, e.g. US or KH.",
                          pattern=r"[A-Z]{2}", pattern_hint="two capital letters such as KH",
                          script=CODE, example="KH")),
    **_FIGURES,
    "source": Field(Text("Where the figures come from, as the quick facts name it, e.g. "
                         "Glassdoor or the National Employment Agency."), required=False),
    "year": Field(Integer("The year the figures are from.", 1990, 2100, example=2026),
                  required=False),
    "narrative": Field(ListOf(
        f"Paragraphs about the salary; {placeholder_list()} are replaced by the formatted "
        "figures.", Text("A paragraph.", placeholders=True)), editable=True),
}, name="salary", model="Salary")

REFERENCE = Object("A cited source.", {
    "publisher": Field(Text("Who published it, e.g. Glassdoor.", script=LATIN)),
    "title": Field(Text("Title of the page or article.", script=LATIN)),
    "date": Field(Date("Year, ISO date, or n.d. when undated.",
                       pattern=r"n\.d\.|\d{4}(-\d{2}(-\d{2})?)?",
                       pattern_hint="a year, an ISO date (2024-05-01) or n.d.")),
    "url": Field(Url("Where to read it (http or https).")),
}, name="reference", model="Reference")

DEFAULT_PAGE_BUDGET = 2

# What the source says about the handout itself, before its labels.
_HEAD = {
    "id": Field(Text("Short name of the handout; the file must be named <id>.yaml.",
                     pattern=r"[a-z0-9]+(-[a-z0-9]+)*",
                     pattern_hint="lower-case letters, digits and single hyphens",
                     max_length=64, script=CODE)),
    "language": Field(Choice("Language of the handout's text.", LANGUAGES), in_related=True),
    "title": Field(Text("The career's name in the handout's language."), editable=True,
                   in_related=True),
    "title_other": Field(Text("The career's name in the other language.", script=OTHER),
                         required=False, editable=True, in_related=True),
    "page_budget": Field(Integer("Pages the handout may use (2 = one duplex sheet).", 1, 12),
                         required=False, default=DEFAULT_PAGE_BUDGET),
    "digits": Field(Choice("Digits used for salary figures.", DIGIT_STYLES), required=False,
                    default="latin"),
    "more_info_url": Field(Url("Web page the QR code points to.",
                               max_length=QR_URL_MAX_LENGTH,
                               too_long_hint="a longer one makes a QR code too fine to scan "
                                             "at 24 mm; use a shorter address"),
                           required=False),
}
# The handout's content: its quick facts, then its sections, in the order they are printed.
_BODY = {
    # What a student also looks for (as in the quick facts of the US Occupational Outlook
    # Handbook): each shown in the quick facts when given.
    "education": Field(Text("Typical education to enter the career, as a short phrase."),
                       required=False, fact=True, editable=True),
    "experience": Field(Text("Work experience needed, as a short phrase."), required=False,
                        fact=True, editable=True),
    "training": Field(Text("On-the-job training, as a short phrase."), required=False,
                      fact=True, editable=True),
    "outlook": Field(Text("Job outlook, as a short phrase (growing, stable, ...)."),
                     required=False, fact=True, editable=True),
    "updated": Field(Date("When the content was last reviewed: a year-month or a date; "
                          "printed as the month and year, and written into the metadata.",
                          pattern=r"\d{4}-\d{2}(-\d{2})?",
                          pattern_hint="a year-month (2026-11) or a date (2026-11-30)",
                          example="2026-11"),
                     required=False, fact=True),
    "introduction": Field(PARAGRAPHS, section=PARAGRAPHS_BLOCK, editable=True),
    "values": Field(Object("Values, traits and skills.", {
        "lead": Field(Text("The sentence that introduces the list."), editable=True),
        "items": Field(ListOf("Term and explanation pairs.", TERM), editable=True),
    }, name="values", model="TermList"), section=TERMS_BLOCK),
    "career_path": Field(PARAGRAPHS, section=PARAGRAPHS_BLOCK, editable=True),
    "salary": Field(SALARY, section=NARRATIVE_BLOCK),
    "tips": Field(ListOf("Tips for success, one per item.", Text("A tip.")),
                  section=BULLETS_BLOCK, editable=True),
    # "See also" comes before the references' small print.
    "related": Field(ListOf(
        "Other careers to suggest, by id: printed under 'see also' with their titles; each "
        "needs its source beside this one.",
        Text("A handout's id.", pattern=r"[a-z0-9]+(-[a-z0-9]+)*",
             pattern_hint="a handout id: lower-case letters, digits and single hyphens",
             max_length=64, script=CODE, example="another-career")), required=False,
        default=(),
        section=TITLES_BLOCK),
    "references": Field(ListOf("Cited sources.", REFERENCE), section=CITATIONS_BLOCK),
}
# The labels a source may override: each section's and quick fact's, named after its
# field, and the phrases.
LABEL_KEYS = tuple(dict.fromkeys(
    [name for name, field in _BODY.items() if field.section] + list(PHRASE_LABELS)
    + [name for name, field in _BODY.items() if field.fact]))

HANDOUT = Object("One career handout.", {
    **_HEAD,
    "labels": Field(Object("Headings that replace the language's defaults.", {
        key: Field(Text(f"Replaces the '{key}' label.", keep_spaces=key == "term_separator"),
                   required=False) for key in LABEL_KEYS
    }, name="labels"), required=False, default={}),
    **_BODY,
}, name="handout", model="Handout")


def with_role(spec: Object, role: str, prefix: str = "") -> list[tuple[str, Field]]:
    """Return (dotted path, declaration) of every field with a role, in declaration order,
    looking into nested objects (values.lead, salary.narrative)."""
    found = []
    for name, field in spec.fields.items():
        path = prefix + name
        if getattr(field, role):
            found.append((path, field))
        if isinstance(field.spec, Object):
            found += with_role(field.spec, role, path + ".")
    return found


# The fields editable in Word: a list's items are paragraphs of their own (tips[3]); a
# single text is one paragraph (title, values.lead).
EDITABLE_LISTS = tuple(path for path, field in with_role(HANDOUT, "editable")
                       if isinstance(field.spec, ListOf))
EDITABLE_TEXTS = tuple(path for path, field in with_role(HANDOUT, "editable")
                       if not isinstance(field.spec, ListOf))
# The top-level fields a handout prints of each career it suggests.
IN_RELATED = tuple(path for path, _ in with_role(HANDOUT, "in_related"))


def _json(spec: Spec) -> dict:
    """Return the JSON Schema of one declaration."""
    match spec:
        case Date():
            # Unquoted, YAML 1.2 reads 2016 as a number (and 2024-05-01 as text): both are
            # accepted, as by the validator.
            return {"anyOf": [{"type": "string", "pattern": f"^(?:{spec.pattern})$"},
                              {"type": "integer", "minimum": 1000, "maximum": 9999}],
                    "description": spec.description}
        case Text():
            out: dict = {"type": "string", "minLength": 1, "description": spec.description}
            if spec.max_length:
                out["maxLength"] = spec.max_length
            # Blank text is as empty as no text: the validator strips it.
            if spec.pattern:
                out["pattern"] = f"^(?:{spec.pattern})$"
            elif not spec.keep_spaces:
                out["pattern"] = r"\S"
            return out
        case Url():
            return {"type": "string", "format": "uri", "pattern": "^https?://",
                    "maxLength": spec.max_length, "description": spec.description}
        case Number():
            return {"type": "number", "exclusiveMinimum": 0, "description": spec.description}
        case Integer():
            return {"type": "integer", "minimum": spec.minimum, "maximum": spec.maximum,
                    "description": spec.description}
        case Choice():
            return {"enum": list(spec.choices), "description": spec.description}
        case ListOf():
            return {"type": "array", "minItems": spec.min_items, "items": _json(spec.item),
                    "description": spec.description}
        case Object():
            properties = {}
            for name, field in spec.fields.items():
                properties[name] = _json(field.spec)
                if field.default is not None:  # editors show it on hover, and offer it
                    default = field.default
                    properties[name]["default"] = list(default) if isinstance(
                        default, tuple) else default
            return {
                "type": "object",
                "description": spec.description,
                "properties": properties,
                "required": [name for name, f in spec.fields.items() if f.required],
                "additionalProperties": False,
            }
    raise TypeError(spec)


# --- the dataclasses -------------------------------------------------------------------------


def _python_type(spec: Spec, classes: dict[str, type]) -> Any:
    match spec:
        case Number():
            return float
        case Integer():
            return int
        case ListOf():
            return tuple[_python_type(spec.item, classes), ...]
        case Object() if spec.model:
            return classes[spec.model]
        case Object():
            return dict[str, str]
    return str


def dataclasses_for(spec: Object, bases: dict[str, type] | None = None,
                    extra: dict[str, list[tuple[str, type]]] | None = None) -> dict[str, type]:
    """Make a frozen dataclass for spec and every object in it that names a model.

    Optional fields take their declared default. `bases` gives a class its methods (the
    salary's `figures`); `extra` adds fields a source does not hold (the handout's path).
    Return the classes by name.
    """
    classes: dict[str, type] = {}

    def make(object_spec: Object) -> None:
        for field in object_spec.fields.values():
            inner = field.spec.item if isinstance(field.spec, ListOf) else field.spec
            if isinstance(inner, Object) and inner.model and inner.model not in classes:
                make(inner)
        # Required fields first, in declared order (so Term(term, explanation) reads as
        # written), then the optional ones with their defaults, then the extras, by keyword.
        required, optional = [], []
        for name, field in object_spec.fields.items():
            kind = _python_type(field.spec, classes)
            if field.required:
                required.append((name, kind))
            elif isinstance(field.default, dict):
                optional.append((name, kind, dataclasses.field(default_factory=dict)))
            else:
                optional.append((name, kind | None if field.default is None else kind,
                                 dataclasses.field(default=field.default)))
        extras = [(name, kind, dataclasses.field(kw_only=True))
                  for name, kind in (extra or {}).get(object_spec.model, [])]
        base = (bases or {}).get(object_spec.model)
        made = dataclasses.make_dataclass(
            object_spec.model, required + optional + extras, bases=(base,) if base else (),
            frozen=True)
        made.__module__ = "pipeline.model"  # where it lives, for pickling to the workers
        made.__doc__ = object_spec.description
        classes[object_spec.model] = made

    make(spec)
    return classes


def instantiate(spec: Spec, value: Any, classes: dict[str, type], **extra: Any) -> Any:
    """Return a validated value as the dataclasses of `classes` (optional fields defaulted)."""
    match spec:
        case ListOf():
            return tuple(instantiate(spec.item, item, classes) for item in value)
        case Object() if spec.model:
            return classes[spec.model](**{
                name: instantiate(field.spec, value[name], classes)
                for name, field in spec.fields.items() if name in value}, **extra)
        case Object():
            return dict(value)
    return value


def json_schema() -> dict:
    """Return the JSON Schema of a handout source."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
              "title": "Khmer career handout"}
    schema.update(_json(HANDOUT))
    return schema


def json_schema_text() -> str:
    """Return the JSON Schema as the exact text committed in pipeline/schema/."""
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
