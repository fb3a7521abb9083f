"""Turn a validated Handout into the Document both renderers draw.

Everything language-dependent happens once, here: labels are looked up, salary figures are
formatted and put into their sentences, and Khmer word breaks are inserted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from . import schema
from .config import Labels, Settings, build_timestamp, load_labels
from .khmer import (
    bind_marks,
    has_khmer,
    insert_word_breaks,
    keep_last_words_together,
    to_khmer_digits,
)
from .model import (
    Bullets,
    Citation,
    Citations,
    Document,
    Fact,
    Handout,
    Paragraphs,
    Pay,
    Section,
    Term,
    Terms,
)

# Symbol and whether it goes before the figure; other currencies are written with their code.
_CURRENCY_SYMBOLS = {
    # (THB is written as a code: the bundled fonts have no ฿.)
    "USD": ("$", True), "EUR": ("€", True), "GBP": ("£", True),
    "KHR": ("៛", False), "JPY": ("¥", True), "VND": ("₫", False),
}

_LINE_BREAKS = re.compile(r"[ \t]*\n[ \t]*")

# A Khmer full stop, Latin full stop, question or exclamation mark that ends a sentence.
_SENTENCE_END = re.compile(r"(?<=[។.!?])\s")


def format_figure(value: float, currency: str, digits: str = "latin") -> str:
    """Return a salary figure as readers write it: 43000 USD → $43,000, 2000000 KHR → 2,000,000៛."""
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    symbol, before = _CURRENCY_SYMBOLS.get(currency, (currency, False))
    if symbol == currency:
        text = f"{number} {currency}"
    else:
        text = f"{symbol}{number}" if before else f"{number}{symbol}"
    return to_khmer_digits(text) if digits == "khmer" else text


def fill_figures(sentence: str, handout: Handout) -> str:
    """Return a salary sentence with {base_min}, {base_max}, {average} and {top} filled in."""
    figures = {name: format_figure(value, handout.salary.currency, handout.digits)
               for name, value in handout.salary.figures().items()}
    return sentence.format_map(figures)


def _citation(publisher: str, title: str, date: str) -> str:
    title_end = "" if title.endswith((".", "?", "!")) else "."
    return f"{publisher}. {title}{title_end} ({date})."


def _facts(handout: Handout, labels: Labels, wrap) -> tuple[Fact, ...]:
    """Return the quick facts: the salary's, then each field declared a fact, when given."""
    salary = handout.salary

    def money(value: float) -> str:
        return format_figure(value, salary.currency, handout.digits)

    def digits(text: str) -> str:  # years, in the handout's digits
        return to_khmer_digits(text) if handout.digits == "khmer" else text

    period = labels[f"per_{salary.period}"]
    facts = [
        (labels["salary_range"], f"{money(salary.base_min)} – {money(salary.base_max)} {period}",
         ""),
        (labels["average"], f"{money(salary.average)} {period}", ""),
    ]
    if salary.top is not None:
        facts.append((labels["top_earners"], f"{money(salary.top)}+ {period}", ""))
    facts.append((labels["country"], labels.countries.get(salary.country, salary.country), ""))
    if salary.source:
        year = f", {digits(str(salary.year))}" if salary.year else ""
        facts.append((labels["salary_source"], salary.source + year, ""))
    for name, field in schema.with_role(schema.HANDOUT, "fact"):
        value = getattr(handout, name)
        if not value:
            continue
        if isinstance(field.spec, schema.Date):  # a date is printed as its month and year
            facts.append((labels[name], digits(month_and_year(value, labels)), ""))
        else:
            facts.append((labels[name], value, name if field.editable else ""))
    # Word breaks here too: on A5 and in Word these short lines wrap as well.
    return tuple(Fact(wrap(label), wrap(value), path) for label, value, path in facts)


def month_and_year(date: str, labels: Labels) -> str:
    """Return an ISO year-month (or date) as printed: 'June 2026', 'ខែមិថុនា ឆ្នាំ2026'."""
    year, month = date.split("-")[:2]
    name = labels.months[int(month) - 1]
    return f"ខែ{name} ឆ្នាំ{year}" if has_khmer(name) else f"{name} {year}"


def _paths(field: str, items) -> tuple[str, ...]:
    """Return the source field of each item of a list: field[0], field[1], ..."""
    return tuple(f"{field}[{index}]" for index in range(len(items)))


def _first_sentence(paragraph: str) -> str:
    return _SENTENCE_END.split(paragraph, maxsplit=1)[0]


def prepare(handout: Handout, settings: Settings, date: datetime | None = None,
            breaks: bool = True, related: Mapping[str, str] | None = None) -> Document:
    """Return the Document for one handout: final text, ready for any renderer.

    `date` is the handout's date (its source's last commit); without it, SOURCE_DATE_EPOCH.
    `related` gives the title of each career the handout suggests, by id (the build reads
    them from their sources); an id without one is shown as the id.
    With `breaks` False no line-breaking aids are inserted (no U+200B, no no-break spaces):
    for a web page, where the browser breaks Khmer lines itself and copied text must equal
    the source.
    """
    labels = load_labels(handout.language, handout.labels)

    def wrap(text: str) -> str:
        # A line break inside a YAML block (|) is a space, in the DOCX as in the HTML.
        text = _LINE_BREAKS.sub(" ", text)
        return insert_word_breaks(bind_marks(text)) if breaks else text

    def body(text: str) -> str:
        """Wrap running text, keeping its last two words on one line."""
        return keep_last_words_together(wrap(text)) if breaks else wrap(text)

    def paragraphs(texts, field: str) -> Paragraphs:
        texts = tuple(texts)
        return Paragraphs(tuple(body(t) for t in texts), _paths(field, texts))

    def block(kind: str, name: str):
        """Return the block of one section field, laid out as its declaration says."""
        value = getattr(handout, name)
        if kind == schema.PARAGRAPHS_BLOCK:
            return paragraphs(value, name)
        if kind == schema.BULLETS_BLOCK:
            return Bullets(tuple(body(t) for t in value), _paths(name, value))
        if kind == schema.TERMS_BLOCK:
            return Terms(body(value.lead),
                         tuple(Term(wrap(i.term), body(i.explanation)) for i in value.items),
                         labels["term_separator"], f"{name}.lead",
                         _paths(f"{name}.items", value.items))
        if kind == schema.NARRATIVE_BLOCK:
            return paragraphs((fill_figures(t, handout) for t in value.narrative),
                              f"{name}.narrative")
        if kind == schema.CITATIONS_BLOCK:
            return Citations(tuple(Citation(wrap(_citation(r.publisher, r.title, r.date)),
                                            r.url) for r in value))
        if kind == schema.TITLES_BLOCK:  # derived text, not the author's: no paths
            titles = related or {}
            return Bullets(tuple(wrap(titles.get(other, other)) for other in value))
        raise ValueError(f"no layout for a '{kind}' section")

    # Each section field the source gives, in the declared order, under its label.
    sections = tuple(Section(name, wrap(labels[name]), (block(field.section, name),))
                     for name, field in schema.HANDOUT.fields.items()
                     if field.section and getattr(handout, name))
    # The office's own page for the handout (`make site`, published at online_url) comes
    # first: it is in Khmer and made for phones; the source's own address is the fallback.
    qr_url = settings.online_url.replace("{id}", handout.id) if settings.online_url \
        else handout.more_info_url
    created = date or build_timestamp()
    keywords = [handout.title, *([handout.title_other] if handout.title_other else []),
                *(item.term for item in handout.values.items)]
    salary = handout.salary
    facts = _facts(handout, labels, wrap)
    return Document(
        id=handout.id,
        language=handout.language,
        title=wrap(handout.title),
        title_other=wrap(handout.title_other) if handout.title_other else None,
        other_language="en" if handout.language == "km" else "km",
        facts_heading=wrap(labels["facts"]),
        facts=facts,
        sections=sections,
        organisation=settings.organisation,
        contact=tuple(wrap(line) for line in settings.contact),
        logo=settings.logo,
        page_label=labels["page"],
        qr_url=qr_url,
        qr_caption=wrap(labels["more_info"]),
        page_budget=handout.page_budget,
        digits=handout.digits,
        subject=_first_sentence(handout.introduction[0]),
        keywords=tuple(keywords),
        created=created.strftime("%Y-%m-%dT%H:%M:%SZ") if created else None,
        updated=handout.updated,
        pay=Pay(salary.currency, salary.period, salary.country, salary.base_min,
                salary.average, salary.base_max, salary.top, facts[0].value),
    )
