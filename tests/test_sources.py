"""The shipped sources: valid, and no word of the original seed text lost on the way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipeline.load import load_source
from pipeline.model import Handout
from pipeline.prepare import format_figure
from pipeline.validate import validate_source, validate_sources

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "sources").glob("*.yaml"))
SHIPPED = ROOT / "sources" / "account-manager.yaml"
SEED = ROOT / "tests" / "fixtures" / "seed-account-manager.txt"
LABELS = ROOT / "templates" / "labels"

SECTIONS = ("introduction", "values", "career_path", "salary", "tips", "references")
HEADING_END = "៖"  # the seed ends its headings with a Khmer colon; the labels do not


def normal(text: str) -> str:
    """Return text with whitespace runs collapsed, so only whitespace may differ."""
    return " ".join(text.split())


def unspaced(text: str) -> str:
    """Return text without whitespace: `make fix` added the space the seed lacks after ។
    ("សហការី។ជំនាញ"); whitespace aside, the text is the seed's."""
    return "".join(text.split())


def words(text: str) -> list[str]:
    """Return the alphanumeric tokens of a text, in order."""
    return re.findall(r"\w+", text)


def read_handout(path: Path) -> Handout:
    """Load and validate a source; fail with its diagnostics if it has any."""
    handout, diagnostics = validate_source(load_source(path, path.name))
    assert [str(d) for d in diagnostics] == []
    return handout


def labels_of(handout: Handout) -> dict[str, str]:
    """Return the handout's labels: the language's defaults with its own overrides."""
    defaults = yaml.safe_load((LABELS / f"{handout.language}.yaml").read_text(encoding="utf-8"))
    return {**defaults, **handout.labels}


def lost_lines(seed: str, handout: Handout, labels: dict[str, str]) -> list[str]:
    """Return the seed lines that the handout's text does not contain."""
    salary = handout.salary
    figures = {name: format_figure(value, salary.currency, handout.digits)
               for name, value in salary.figures().items()}
    separator = labels["term_separator"]
    texts = {normal(text) for text in (
        *(labels[key] for key in SECTIONS),
        *handout.introduction,
        handout.values.lead,
        *(f"{item.term}{separator}{item.explanation}" for item in handout.values.items),
        *handout.career_path,
        *(paragraph.format_map(figures) for paragraph in salary.narrative),
        *handout.tips,
    )}
    citations = [words(f"{r.publisher} {r.title} {r.date} {r.url}") for r in handout.references]
    headings = {normal(labels[key]): key for key in SECTIONS}

    lost = []
    section = None
    for raw in seed.splitlines():
        line = normal(raw)
        if not line:
            continue
        if line.endswith(HEADING_END) and line[:-1] in headings:
            section = headings[line[:-1]]
            continue
        body = line[2:] if line.startswith("- ") else line
        if section == "references" and line.startswith("- "):
            found = words(body) in citations
        else:
            found = unspaced(body) in {unspaced(text) for text in texts}
        if not found:
            lost.append(raw)
    return lost


def test_check_passes_every_shipped_source():
    """Give no diagnostic and one handout per file for sources/."""
    handouts, diagnostics = validate_sources(load_source(path) for path in SOURCES)
    assert [str(d) for d in diagnostics] == []
    assert len(handouts) == len(SOURCES) > 0


def test_no_word_of_the_seed_is_lost():
    """Find every line of the original seed text in the shipped source."""
    handout = read_handout(SHIPPED)
    seed = SEED.read_text(encoding="utf-8")
    assert len(seed.splitlines()) == 24
    assert lost_lines(seed, handout, labels_of(handout)) == []


# Edits to a copy of the source that lose words, and a fragment of the seed line then lost.
LOSSES = [
    ("ខណៈពេលដែលកំពុងធ្វើការដើម្បីបំពេញគោលដៅ ", "", "ខណៈពេលដែល"),  # introduction
    ("និងការគិតវិភាគ។", "", "ជំនាញវិភាគ និងដោះស្រាយបញ្ហា៖"),  # a values explanation
    ("ជាមួយនឹងអ្នកធ្វើការកំពូលៗរកបានជាង {top} ជារៀងរាល់ឆ្នាំ។", "", "$100,000"),  # salary
    ("title: Account Manager Salary", "title: Account Salary", "PayScale."),  # a reference
    ("  - រក្សាភាពបត់បែន", "  - ", "រក្សាភាពបត់បែន"),  # the start of a tip
]


@pytest.mark.parametrize(("old", "new", "fragment"), LOSSES)
def test_a_deleted_word_is_reported_lost(tmp_path, old, new, fragment):
    """Report the one seed line whose words were deleted from the source."""
    text = SHIPPED.read_text(encoding="utf-8")
    assert text.count(old) == 1
    copy = tmp_path / SHIPPED.name
    copy.write_text(text.replace(old, new), encoding="utf-8")
    handout = read_handout(copy)
    lost = lost_lines(SEED.read_text(encoding="utf-8"), handout, labels_of(handout))
    assert len(lost) == 1
    assert fragment in lost[0]


def test_a_changed_heading_label_is_reported_lost():
    """Report a seed heading whose label no longer matches."""
    handout = read_handout(SHIPPED)
    labels = {**labels_of(handout), "tips": "គន្លឹះ"}
    assert lost_lines(SEED.read_text(encoding="utf-8"), handout, labels) == ["គន្លឹះដើម្បីជោគជ័យ៖"]
