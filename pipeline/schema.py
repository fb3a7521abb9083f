"""The source format, declared once as data.

The validator walks sources against these declarations, and `make schema` turns the same
declarations into the JSON Schema that editors use; a test keeps the two in step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SCHEMA_PATH = Path(__file__).parent / "schema" / "handout.schema.json"
SCHEMA_ID = "https://khmer-handouts.invalid/schema/handout.schema.json"

LANGUAGES = ("km", "en")
PERIODS = ("year", "month", "hour")
DIGIT_STYLES = ("latin", "khmer")

# Headings and phrases a source may override; the defaults live in templates/labels/<lang>.yaml.
LABEL_KEYS = (
    "introduction", "values", "career_path", "salary", "tips", "references",
    "facts", "salary_range", "average", "top_earners", "country",
    "per_year", "per_month", "per_hour", "term_separator", "page", "more_info",
)


@dataclass(frozen=True)
class Text:
    description: str
    pattern: str | None = None  # a regular expression the whole text must match
    pattern_hint: str = ""
    max_length: int | None = None
    keep_spaces: bool = False  # taken as written (a separator such as ": "), not stripped


@dataclass(frozen=True)
class Date(Text):
    """A year, year-month or ISO date that must exist in the calendar, or n.d."""


@dataclass(frozen=True)
class Url:
    description: str
    max_length: int = 2000  # what every browser and server takes
    too_long_hint: str = "use a shorter address"


@dataclass(frozen=True)
class Number:
    description: str


@dataclass(frozen=True)
class Integer:
    description: str
    minimum: int
    maximum: int


@dataclass(frozen=True)
class Choice:
    description: str
    choices: tuple[str, ...]


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


@dataclass(frozen=True)
class Field:
    spec: Spec
    required: bool = True


Spec = Text | Date | Url | Number | Integer | Choice | ListOf | Object

# The QR code is printed 24 mm wide, quiet zone included; up to this many characters its
# modules stay large enough (about 0.4 mm) for a phone camera at arm's length.
QR_URL_MAX_LENGTH = 200

PARAGRAPHS = ListOf("Paragraphs, one list item each.", Text("A paragraph."))

TERM = Object("A term and its explanation.", {
    "term": Field(Text("The term, shown in bold.")),
    "explanation": Field(Text("What the term means for this career.")),
}, name="values item")

SALARY = Object("Salary figures, written once as numbers, and the sentences about them.", {
    "currency": Field(Text("ISO 4217 currency code, e.g. USD or KHR.", pattern=r"[A-Z]{3}",
                           pattern_hint="three capital letters such as USD")),
    "period": Field(Choice("What one figure is paid for.", PERIODS)),
    "country": Field(Text("ISO 3166 country code the figures are from, e.g. US or KH.",
                          pattern=r"[A-Z]{2}", pattern_hint="two capital letters such as KH")),
    "base_min": Field(Number("Lowest base salary.")),
    "base_max": Field(Number("Highest base salary.")),
    "average": Field(Number("Average salary.")),
    "top": Field(Number("What top earners make (at least the maximum)."), required=False),
    "narrative": Field(ListOf(
        "Paragraphs about the salary; {base_min}, {base_max}, {average} and {top} are "
        "replaced by the formatted figures.", Text("A paragraph."))),
}, name="salary")

REFERENCE = Object("A cited source.", {
    "publisher": Field(Text("Who published it, e.g. Glassdoor.")),
    "title": Field(Text("Title of the page or article.")),
    "date": Field(Date("Year, ISO date, or n.d. when undated.",
                       pattern=r"n\.d\.|\d{4}(-\d{2}(-\d{2})?)?",
                       pattern_hint="a year, an ISO date (2024-05-01) or n.d.")),
    "url": Field(Url("Where to read it (http or https).")),
}, name="reference")

HANDOUT = Object("One career handout.", {
    "id": Field(Text("Short name of the handout; the file must be named <id>.yaml.",
                     pattern=r"[a-z0-9]+(-[a-z0-9]+)*",
                     pattern_hint="lower-case letters, digits and single hyphens",
                     max_length=64)),
    "language": Field(Choice("Language of the handout's text.", LANGUAGES)),
    "title": Field(Text("The career's name in the handout's language.")),
    "title_other": Field(Text("The career's name in the other language."), required=False),
    "page_budget": Field(Integer("Pages the handout may use (2 = one duplex sheet).", 1, 12),
                         required=False),
    "digits": Field(Choice("Digits used for salary figures.", DIGIT_STYLES), required=False),
    "more_info_url": Field(Url("Web page the QR code points to.",
                               max_length=QR_URL_MAX_LENGTH,
                               too_long_hint="a longer one makes a QR code too fine to scan "
                                             "at 24 mm; use a shorter address"),
                           required=False),
    "labels": Field(Object("Headings that replace the language's defaults.", {
        key: Field(Text(f"Replaces the '{key}' label.", keep_spaces=key == "term_separator"),
                   required=False) for key in LABEL_KEYS
    }, name="labels"), required=False),
    "introduction": Field(PARAGRAPHS),
    "values": Field(Object("Values, traits and skills.", {
        "lead": Field(Text("The sentence that introduces the list.")),
        "items": Field(ListOf("Term and explanation pairs.", TERM)),
    }, name="values")),
    "career_path": Field(PARAGRAPHS),
    "salary": Field(SALARY),
    "tips": Field(ListOf("Tips for success, one per item.", Text("A tip."))),
    "references": Field(ListOf("Cited sources.", REFERENCE)),
}, name="handout")


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
            return {
                "type": "object",
                "description": spec.description,
                "properties": {name: _json(f.spec) for name, f in spec.fields.items()},
                "required": [name for name, f in spec.fields.items() if f.required],
                "additionalProperties": False,
            }
    raise TypeError(spec)


def json_schema() -> dict:
    """Return the JSON Schema of a handout source."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
              "title": "Khmer career handout"}
    schema.update(_json(HANDOUT))
    return schema


def json_schema_text() -> str:
    """Return the JSON Schema as the exact text committed in pipeline/schema/."""
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
