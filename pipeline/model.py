"""Typed objects passed between the pipeline's stages.

A source file is loaded into a `Handout` (what the author wrote), which `prepare` turns into a
`Document` (what the reader sees: labels filled in, figures formatted, Khmer word breaks
inserted). The HTML/PDF and DOCX renderers both read only the `Document`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from . import schema
from .branding import Logo

# Longest piece of a source that a message quotes: a diagnostic stays one readable line even
# when the value is a pasted page (one line once reached 20,000 characters).
MAX_EXCERPT = 80


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """Return text as a message quotes it: on one line, cut to limit characters with "…"."""
    text = " ".join(text.splitlines()) if "\n" in text or "\r" in text else text
    return text if len(text) <= limit else text[:limit - 1] + "…"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a source, printed compiler-style."""

    path: str
    line: int | None
    column: int | None
    severity: Severity
    message: str
    rule: str | None = None

    def sort_key(self) -> tuple:
        return (self.path, self.line or 0, self.column or 0, self.message)

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        suffix = f" [{self.rule}]" if self.rule else ""
        return f"{where}: {self.severity.value}: {self.message}{suffix}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


# --- what the author wrote -------------------------------------------------------------------


class _SalaryFigures:
    """What a salary can say about itself (a base of the Salary dataclass)."""

    def figures(self) -> dict[str, float]:
        """Return the named figures that a narrative may refer to (those given)."""
        return {name: getattr(self, name) for name in schema.FIGURES
                if getattr(self, name) is not None}


# Made from the declarations in schema.py, the one place the source format is stated: a
# field declared there is a field here, with its type and default.
AUTHOR_CLASSES = schema.dataclasses_for(schema.HANDOUT, bases={"Salary": _SalaryFigures},
                                 extra={"Handout": [("source", Path)]})
Term = AUTHOR_CLASSES["Term"]  # term, explanation
TermList = AUTHOR_CLASSES["TermList"]  # lead, items
Salary = AUTHOR_CLASSES["Salary"]  # currency, period, country, base_min, base_max, average, ...
Reference = AUTHOR_CLASSES["Reference"]  # publisher, title, date, url
Handout = AUTHOR_CLASSES["Handout"]  # one career handout as written in its source file


# --- what the reader sees --------------------------------------------------------------------


# Each editable block also carries the source field each of its texts came from
# (`introduction[0]`, `values.items[2]`, `tips[3]`): `import` reads a DOCX edit back by it.
# Renderers that only draw ignore these paths.


@dataclass(frozen=True)
class Paragraphs:
    paragraphs: tuple[str, ...]
    paths: tuple[str, ...] = ()  # one source field per paragraph

    def texts(self):
        yield from self.paragraphs


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    paths: tuple[str, ...] = ()  # one source field per item

    def texts(self):
        yield from self.items


@dataclass(frozen=True)
class Terms:
    lead: str
    items: tuple[Term, ...]
    separator: str
    lead_path: str = ""
    paths: tuple[str, ...] = ()  # one source item per term: its `term` and `explanation`

    def texts(self):
        yield self.lead
        for item in self.items:
            yield item.term + self.separator + item.explanation


@dataclass(frozen=True)
class Citation:
    text: str  # publisher, title and date, already punctuated
    url: str


@dataclass(frozen=True)
class Citations:
    items: tuple[Citation, ...]

    def texts(self):
        for item in self.items:
            yield f"{item.text} {item.url}"


Block = Paragraphs | Bullets | Terms | Citations


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    path: str = ""  # the source field of an editable fact's value ("education")


@dataclass(frozen=True)
class Pay:
    """The salary as numbers, for what compares careers (a chart), beside its printed text."""

    currency: str
    period: str  # year, month or hour
    country: str
    base_min: float
    average: float
    base_max: float
    top: float | None
    range: str  # as the quick facts print it: "$43,000 – $85,000 per year"


@dataclass(frozen=True)
class Document:
    """A handout ready to render: every string is final text."""

    id: str
    language: str
    title: str
    title_other: str | None
    other_language: str
    facts_heading: str
    facts: tuple[Fact, ...]
    sections: tuple[Section, ...]
    organisation: str
    page_label: str
    qr_url: str | None
    qr_caption: str
    page_budget: int
    digits: str  # "latin" or "khmer", for page numbers
    subject: str
    keywords: tuple[str, ...]
    # ISO 8601 in UTC: its source's last commit (or SOURCE_DATE_EPOCH); None: write no date.
    created: str | None
    updated: str | None = None  # when the content was last reviewed (2026-11 or 2026-11-30)
    contact: tuple[str, ...] = ()  # the office's address, phone, e-mail, web (handouts.yaml)
    logo: Logo | None = None  # the office's logo, checked (pipeline/branding.py)
    pay: Pay | None = None  # the salary figures as numbers

    def texts(self):
        """Yield every string the reader sees, in reading order."""
        yield self.title
        if self.title_other:
            yield self.title_other
        yield self.facts_heading
        for fact in self.facts:
            yield fact.label
            yield fact.value
        for section in self.sections:
            yield section.heading
            for block in section.blocks:
                yield from block.texts()
        yield self.qr_caption
        yield self.organisation
        yield from self.contact
        yield self.page_label
