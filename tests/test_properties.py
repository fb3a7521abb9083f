"""Properties over random input: valid handouts always build, with the source text in the
DOCX; any bytes at all give diagnostics, never an exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from helpers_docx import body_paragraphs, text_of
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_line_breaks import PROSE_TEXT

from pipeline.build import build
from pipeline.config import load_settings
from pipeline.khmer import NBSP, WORD_JOINER, ZWSP
from pipeline.load import load_source
from pipeline.validate import validate_sources

# Latin text within the schema: lower-case words (no Limon look-alikes, no placeholders).
LATIN = st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10),
                 min_size=1, max_size=12).map(" ".join)
KHMER = PROSE_TEXT.map(lambda text: "ការងារ" + text.strip())
TEXT = st.one_of(KHMER, LATIN)
FIGURES = st.lists(st.integers(1, 10_000_000), min_size=4, max_size=4, unique=True).map(sorted)


@st.composite
def handouts(draw) -> dict:
    """Return a random valid handout as the mapping its YAML source holds."""
    low, average, high, top = draw(FIGURES)
    return {
        "id": "random",
        "language": draw(st.sampled_from(["km", "en"])),
        "digits": draw(st.sampled_from(["latin", "khmer"])),
        "title": draw(TEXT),
        "title_other": draw(LATIN),
        "page_budget": 12,
        "introduction": draw(st.lists(TEXT, min_size=1, max_size=2)),
        "values": {"lead": draw(TEXT),
                   "items": [{"term": draw(TEXT), "explanation": draw(TEXT)}]},
        "career_path": draw(st.lists(TEXT, min_size=1, max_size=2)),
        "salary": {"currency": draw(st.sampled_from(["USD", "KHR", "EUR", "THB"])),
                   "period": "month", "country": "KH", "base_min": low, "average": average,
                   "base_max": high, "top": top,
                   "narrative": [draw(TEXT) + " {base_min} – {base_max}"]},
        "tips": draw(st.lists(TEXT, min_size=1, max_size=3)),
        "references": [{"publisher": draw(LATIN), "title": draw(LATIN), "date": "2024",
                        "url": "https://example.org/" + draw(st.text("abcxyz", max_size=8))}],
    }


def _shown(text: str) -> str:
    """Return text as a reader sees it: without invisible breaks, no-break spaces as spaces."""
    return text.replace(ZWSP, "").replace(WORD_JOINER, "").replace(NBSP, " ")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(handouts())
def test_a_random_valid_handout_builds_pdf_and_docx_with_its_text(data):
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "random.yaml"
        source.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")
        for fmt in ("pdf", "docx"):
            report = build([source], fmt, load_settings(), Path(folder) / "out", debug=True)
            assert report.built == 1, [str(d) for d in report.diagnostics]
        texts = [_shown(text_of(p)) for p in
                 body_paragraphs(Path(folder) / "out" / "docx" / "random.docx")]
    for text in (data["title"], *data["introduction"], data["values"]["lead"],
                 *data["career_path"], *data["tips"]):
        # The build binds a mark to its word with one no-break space for however many
        # spaces were typed; the generator types one.
        assert " ".join(text.split()) in texts


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=600), st.text(max_size=600).map(str.encode)))
def test_any_bytes_give_diagnostics_never_an_exception(data):
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "junk.yaml"
        source.write_bytes(data)
        handouts, diagnostics = validate_sources([load_source(source, "junk.yaml")])
    assert handouts == []
    assert diagnostics
    assert all(str(d).startswith("junk.yaml") for d in diagnostics)
