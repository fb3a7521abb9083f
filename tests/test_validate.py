"""The validator: every rule's exact diagnostic, driven by the files in tests/bad_sources/.

Each file there is a copy of bad_sources/minimal.yaml that breaks one rule (a folder is one case
made of several files); EXPECTED holds the complete, exact output for each case.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.load import load_source
from pipeline.model import Handout
from pipeline.validate import validate_source, validate_sources

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "bad_sources"

ORDER = "the figures must rise: base_min ≤ average ≤ base_max ≤ top"

EXPECTED: dict[str, list[str]] = {
    "minimal.yaml": [],
    "file-empty.yaml": [
        "file-empty.yaml:1:1: error: file is empty [value.empty]",
    ],
    "encoding-utf8.yaml": [
        "encoding-utf8.yaml:5:21: error: file is not UTF-8: byte 0xE9 cannot appear here; "
        "save the file as UTF-8 [encoding.utf8]",
    ],
    "text-control-char.yaml": [
        "text-control-char.yaml:5:15: error: control character U+0007 is not allowed; "
        "delete it [text.control-char]",
        "text-control-char.yaml:26:11: error: control character U+001B is not allowed; "
        "delete it [text.control-char]",
    ],
    "yaml-syntax.yaml": [
        "yaml-syntax.yaml:5:15: error: invalid YAML: mapping values are not allowed here; "
        "put text that contains ': ' or ends with ':' in quotes, or check this line's "
        "indentation [yaml.syntax]",
    ],
    "yaml-syntax-documents.yaml": [
        "yaml-syntax-documents.yaml:27:1: error: invalid YAML: a source holds one YAML "
        "document; remove the extra '---' [yaml.syntax]",
    ],
    "yaml-duplicate-key.yaml": [
        "yaml-duplicate-key.yaml:6:1: error: duplicate key 'title' (first defined on line 5) "
        "[yaml.duplicate-key]",
    ],
    "yaml-alias.yaml": [
        "yaml-alias.yaml:7:14: error: YAML aliases are not allowed in sources (found 72); "
        "write the text out in full [yaml.alias]",
    ],
    "yaml-depth.yaml": [
        "yaml-depth.yaml:27:19: error: nesting is deeper than 16 levels [yaml.depth]",
    ],
    "schema-unknown-key.yaml": [
        "schema-unknown-key.yaml:6:1: error: unknown key 'title_othr' in the handout; "
        "did you mean 'title_other'? [schema.unknown-key]",
        "schema-unknown-key.yaml:24:3: error: unknown key 'bonus' in 'salary'; expected one of: "
        "currency, period, country, base_min, base_max, average, top, source, year, narrative "
        "[schema.unknown-key]",
    ],
    "schema-required.yaml": [
        "schema-required.yaml:3:1: error: missing required key 'title' in the handout "
        "[schema.required]",
        "schema-required.yaml:27:5: error: missing required key 'url' in 'references' item 1 "
        "[schema.required]",
    ],
    "schema-type-yes-no.yaml": [
        "schema-type-yes-no.yaml:18:12: error: 'country' in 'salary' must be text, but YAML "
        "reads NO as a yes/no value; put it in quotes: \"NO\" [schema.type]",
        "schema-type-yes-no.yaml:27:5: error: 'tips' item 2 must be text, but YAML reads on "
        "as a yes/no value; put it in quotes: \"on\" [schema.type]",
    ],
    "schema-type-date.yaml": [
        "schema-type-date.yaml:29:12: error: 'title' in 'references' item 1 must be text, but "
        "YAML reads 2024-05-01 as a date; put it in quotes: \"2024-05-01\" [schema.type]",
    ],
    "schema-type-number.yaml": [
        "schema-type-number.yaml:19:13: error: 'base_min' in 'salary' must be a number, "
        "not '43,000'; write it as a plain number: 43000 [schema.type]",
        "schema-type-number.yaml:22:8: error: 'top' in 'salary' must be a number, "
        "not '100000'; write it without quotes: 100000 [schema.type]",
        "schema-type-number.yaml:29:12: error: 'title' in 'references' item 1 must be text, "
        "but YAML reads 2024 as a number; put it in quotes: \"2024\" [schema.type]",
    ],
    "schema-type-structure.yaml": [
        "schema-type-structure.yaml:6:15: error: 'introduction' must be a list (items starting "
        "with '- '), not text [schema.type]",
        "schema-type-structure.yaml:25:5: error: 'tips' item 1 must be text, not a mapping; "
        "put text that contains ': ' in quotes [schema.type]",
    ],
    "schema-type-tag.yaml": [
        "schema-type-tag.yaml:5:8: error: 'title' has the YAML tag '!!binary', which sources "
        "do not use; remove it [schema.type]",
    ],
    "schema-format.yaml": [
        "schema-format.yaml:16:13: error: 'currency' in 'salary' must be three capital letters "
        "such as USD, not 'usd' [schema.format]",
        "schema-format.yaml:18:12: error: 'country' in 'salary' must be two capital letters "
        "such as KH, not 'USA' [schema.format]",
        "schema-format.yaml:30:11: error: 'date' in 'references' item 1 must be a year, an ISO "
        "date (2024-05-01) or n.d., not 'May 2024' [schema.format]",
    ],
    "schema-choice.yaml": [
        "schema-choice.yaml:4:11: error: 'language' must be one of km, en, not 'kh' "
        "[schema.choice]",
        "schema-choice.yaml:17:11: error: 'period' in 'salary' must be one of year, month, "
        "hour, not 'years'; did you mean 'year'? [schema.choice]",
    ],
    "schema-range.yaml": [
        "schema-range.yaml:6:14: error: 'page_budget' must be between 1 and 12, not 20 "
        "[schema.range]",
    ],
    "value-empty.yaml": [
        "value-empty.yaml:5:8: error: 'title' is empty [value.empty]",
        "value-empty.yaml:8:4: error: 'introduction' item 2 is empty [value.empty]",
        "value-empty.yaml:10:9: error: 'lead' in 'values' is empty [value.empty]",
        "value-empty.yaml:13:19: error: 'explanation' in 'items' item 1 is empty [value.empty]",
    ],
    "salary-positive.yaml": [
        "salary-positive.yaml:19:13: error: 'base_min' in 'salary' must be above zero, not 0 "
        "[salary.positive]",
        "salary-positive.yaml:22:8: error: 'top' in 'salary' must be above zero, not -5 "
        "[salary.positive]",
    ],
    "salary-order.yaml": [
        "salary-order.yaml:21:13: error: 'base_max' in 'salary' (95000) is below 'average' "
        f"(99000); {ORDER} [salary.order]",
    ],
    "salary-currency.yaml": [
        "salary-currency.yaml:16:13: error: unknown currency code 'XYZ' in 'salary'; use an "
        "ISO 4217 code such as USD or KHR [salary.currency]",
    ],
    "salary-independent.yaml": [
        "salary-independent.yaml:16:13: error: unknown currency code 'XYZ' in 'salary'; use an "
        "ISO 4217 code such as USD or KHR [salary.currency]",
        "salary-independent.yaml:19:13: error: 'base_min' in 'salary' must be a number, "
        "not '$43,000'; write it as a plain number: 43000 [schema.type]",
        "salary-independent.yaml:22:8: error: 'top' in 'salary' (90000) is below 'base_max' "
        f"(95000); {ORDER} [salary.order]",
    ],
    "salary-placeholder.yaml": [
        "salary-placeholder.yaml:24:7: error: unknown placeholder '{base_minimum}' in "
        "'narrative' item 1; did you mean '{base_min}'? [salary.placeholder]",
        "salary-placeholder.yaml:25:7: error: unknown placeholder '{median}' in 'narrative' "
        "item 2; use one of {base_min}, {base_max}, {average}, {top} [salary.placeholder]",
        "salary-placeholder.yaml:26:7: error: placeholder '{average:,}' in 'narrative' item 3 "
        "must be just '{average}'; the figure is formatted for you [salary.placeholder]",
        "salary-placeholder.yaml:27:7: error: 'narrative' item 4 has a '{' or '}' without its "
        "pair; write '{{' or '}}' for a brace that is part of the text [salary.placeholder]",
    ],
    "salary-placeholder-missing.yaml": [
        "salary-placeholder-missing.yaml:23:7: error: 'narrative' item 1 uses '{top}' but "
        "'salary' has no 'top'; add the figure or remove the placeholder [salary.placeholder]",
    ],
    "url-invalid.yaml": [
        "url-invalid.yaml:6:16: error: 'more_info_url' must be a full http:// or https:// "
        "address, not 'www.glassdoor.com/Job-Description/Account-Manager.htm'; did you mean "
        "'https://www.glassdoor.com/Job-Description/Account-Manager.htm'? [url.invalid]",
        "url-invalid.yaml:32:10: error: 'url' in 'references' item 1 must be a full http:// or "
        "https:// address, not 'ftp://www.glassdoor.com/Account-Manager.htm' [url.invalid]",
        "url-invalid.yaml:36:10: error: 'url' in 'references' item 2 must be a full http:// or "
        "https:// address, not 'https://glass door.com/salaries' [url.invalid]",
    ],
    "id-filename.yaml": [
        "id-filename.yaml:3:5: error: id 'account-manager' does not match the file name "
        "'id-filename.yaml'; write id: id-filename (or name the file account-manager.yaml) "
        "[id.filename]",
    ],
    "id-duplicate": [
        "id-duplicate/first/id-duplicate.yaml:3:5: error: id 'id-duplicate' is also used by "
        "id-duplicate/second/id-duplicate.yaml [id.duplicate]",
        "id-duplicate/second/id-duplicate.yaml:3:5: error: id 'id-duplicate' is also used by "
        "id-duplicate/first/id-duplicate.yaml [id.duplicate]",
    ],
    "ID_filename_stem.yaml": [
        "ID_filename_stem.yaml:3:5: error: id 'id-filename-stem' does not match the file name "
        "'ID_filename_stem.yaml'; name the file id-filename-stem.yaml (an id is lower-case "
        "letters, digits and single hyphens) [id.filename]",
    ],
    "glyph-missing.yaml": [
        "glyph-missing.yaml:26:12: error: character '中' (U+4E2D) is not in Noto Sans Regular "
        "[glyph.missing]",
    ],
    "khmer-broken-cluster.yaml": [
        "khmer-broken-cluster.yaml:26:11: error: broken Khmer cluster 'ងារ្' (U+1784 U+17B6 "
        "U+179A U+17D2): coeng is not followed by a base; it would print wrongly "
        "[khmer.broken-cluster]",
    ],
    "khmer-cluster-order.yaml": [
        "khmer-cluster-order.yaml:26:5: warning: misordered Khmer cluster 'កេី' (U+1780 U+17C1 "
        "U+17B8); write 'កើ' (U+1780 U+17BE) [khmer.cluster-order]",
    ],
    "khmer-dotted-circle.yaml": [
        "khmer-dotted-circle.yaml:26:12: error: broken Khmer cluster '្ក' (U+17D2 U+1780) would "
        "print with a dotted circle [khmer.dotted-circle]",
    ],
    "khmer-legacy-font.yaml": [
        "khmer-legacy-font.yaml:26:12: error: 'tips' looks like legacy Limon-font text "
        "('GñkRKb;RKgKNnI'), not Unicode Khmer; retype it with a Unicode Khmer keyboard "
        "[khmer.legacy-font]",
    ],
    "khmer-mixed-digits.yaml": [
        "khmer-mixed-digits.yaml:26:13: warning: Khmer digit '២' (and 2 more numbers in this "
        "text) in a handout that uses Latin digits (digits: latin); use one kind of digit "
        "throughout [khmer.mixed-digits]",
    ],
    "khmer-space-after-stop.yaml": [
        "khmer-space-after-stop.yaml:26:11: warning: no space after '។' before the next sentence "
        "[khmer.space-after-stop]",
    ],
    "salary-country.yaml": [
        "salary-country.yaml:18:12: warning: country 'ZZ' has no name in "
        "templates/labels/en.yaml, so the quick facts show the code 'ZZ'; add it there "
        "[salary.country]",
    ],
    "salary-placeholder-outside.yaml": [
        "salary-placeholder-outside.yaml:26:13: warning: '{average}' is filled in only in the "
        "salary 'narrative'; here it prints as typed [salary.placeholder]",
    ],
    "salary-range.yaml": [
        "salary-range.yaml:19:13: error: 'base_min' in 'salary' is 43000.001; figures have at "
        "most two decimal places [salary.range]",
    ],
    "schema-choice-long.yaml": [
        "schema-choice-long.yaml:4:11: error: 'language' must be one of km, en, not "
        "'enenenenenenenenenenenenenenenenenenenenenenenenenenenenenenenenenenenenenenene…' "
        "[schema.choice]",
    ],
    "schema-range-huge.yaml": [
        "schema-range-huge.yaml:6:14: error: 'page_budget' must be between 1 and 12, not 1e5000 "
        "[schema.range]",
    ],
    "text-bidi-control.yaml": [
        "text-bidi-control.yaml:26:13: error: bidirectional control U+202E reorders the text "
        "around it when printed; delete it [text.bidi-control]",
    ],
    "text-control-escape.yaml": [
        "text-control-escape.yaml:26:5: error: 'tips' item 1 holds control character U+0000 "
        "(written as an escape); delete it [text.control-char]",
    ],
    "text-double-space.yaml": [
        "text-double-space.yaml:26:11: warning: double space [text.double-space]",
    ],
    "text-invisible.yaml": [
        "text-invisible.yaml:26:14: warning: invisible character U+200B ZERO WIDTH SPACE; the "
        "build adds word breaks itself [text.invisible]",
    ],
    "url-credentials.yaml": [
        "url-credentials.yaml:31:10: error: 'url' in 'references' item 1 must not hold a user "
        "name or password (the part before '@'); printed handouts are public [url.invalid]",
    ],
    "url-too-long.yaml": [
        "url-too-long.yaml:6:16: error: 'more_info_url' is 220 characters long; at most 200 are "
        "allowed: a longer one makes a QR code too fine to scan at 24 mm; use a shorter address "
        "[url.too-long]",
    ],
    "value-invisible.yaml": [
        "value-invisible.yaml:5:8: error: 'title' has no visible text, only invisible characters "
        "(U+200B, U+2060); write the text or remove the key [value.empty]",
    ],
    "yaml-comment.yaml": [
        "yaml-comment.yaml:6:33: warning: ' #' starts a comment in YAML, so 'title_other' is "
        "only 'Software Developer'; put the text in quotes [yaml.comment]",
    ],
    "yaml-continued-item.yaml": [
        "yaml-continued-item.yaml:26:3: warning: 'tips' item 1 continues on the next line as '- "
        "Ask questions.': YAML joins that line to the text; indent list items alike "
        "[yaml.continued-item]",
    ],
    "yaml-key-too-long.yaml": [
        "yaml-key-too-long.yaml:6:1: error: invalid YAML: the key on this line (the text before "
        "':') is 2159 characters long; YAML allows at most 1024: put text that contains ': ' in "
        "quotes, or shorten the key [yaml.syntax]",
    ],
}

CASES = sorted(p.name for p in BAD.iterdir() if p.suffix == ".yaml" or p.is_dir())


def case_files(case: str) -> list[Path]:
    """Return the source files of one case: the file, or every .yaml file in the folder."""
    path = BAD / case
    return sorted(path.rglob("*.yaml")) if path.is_dir() else [path]


def check(files: list[Path]) -> tuple[list[Handout], list[str]]:
    """Validate files as the CLI does, naming them relative to bad_sources/."""
    loaded = [load_source(f, f.relative_to(BAD).as_posix()) for f in files]
    handouts, diagnostics = validate_sources(loaded)
    return handouts, [str(d) for d in diagnostics]


def test_every_case_has_an_expectation():
    """Keep tests/bad_sources/ and EXPECTED in step, so no file goes unchecked."""
    assert sorted(EXPECTED) == CASES


@pytest.mark.parametrize("case", CASES)
def test_bad_source_gives_exact_diagnostics(case):
    """Report exactly the expected lines, in order, and no handout for a bad source."""
    handouts, lines = check(case_files(case))
    assert lines == EXPECTED[case]
    if any(": error: " in line for line in EXPECTED[case]):
        assert len(handouts) < len(case_files(case))
    else:  # warnings only: the handout builds, and STRICT=1 stops it (below)
        assert len(handouts) == len(case_files(case))


@pytest.mark.parametrize("case", [case for case in CASES if case != "minimal.yaml"])
def test_strict_check_fails_on_every_bad_source(case, capsys):
    """Fail `check --strict` on every case, warnings included, and pass the minimal source."""
    from pipeline.__main__ import main

    assert main(["check", "--strict", *map(str, case_files(case))]) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert main(["check", "--strict", str(BAD / "minimal.yaml")]) == 0


def test_all_bad_sources_in_one_run_report_everything_sorted():
    """Report every problem of every file in one run, sorted by file and position."""
    files = [f for case in CASES for f in case_files(case)]
    _, lines = check(files[::-1])  # the input order must not matter
    expected = [line for case in CASES for line in EXPECTED[case]]
    assert lines == sorted(expected, key=lambda line: line.split(":", 1)[0])
    assert len(lines) == sum(map(len, EXPECTED.values()))


def test_minimal_source_gives_its_handout():
    """Return the handout of a valid source with every value read."""
    handout, diagnostics = validate_source(load_source(BAD / "minimal.yaml"))
    assert diagnostics == []
    assert handout.id == "minimal"
    assert handout.salary.figures() == {"base_min": 43000, "average": 62000,
                                        "base_max": 95000, "top": 100000}
    assert handout.values.items[0].term == "Communication"
    assert handout.references[0].date == "n.d."
    assert handout.page_budget == 2
    assert handout.digits == "latin"


def write_variant(tmp_path: Path, old: str, new: str) -> Path:
    """Write minimal.yaml with whole lines replaced, as tmp_path/minimal.yaml."""
    text = (BAD / "minimal.yaml").read_text(encoding="utf-8")
    assert text.count("\n" + old) == 1
    path = tmp_path / "minimal.yaml"
    path.write_text(text.replace("\n" + old, "\n" + new), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  base_min: 43000\n", "  base_min: 043000\n",
     "minimal.yaml:19:13: error: 'base_min' in 'salary' must be a number, not '043000'; "
     "write it as a plain number: 43000 [schema.type]"),
    ("  base_min: 43000\n", "  base_min: 0x1F\n",
     "minimal.yaml:19:13: error: 'base_min' in 'salary' must be a number, not '0x1F' "
     "[schema.type]"),
    ("  top: 100000\n", "  top: .inf\n",
     "minimal.yaml:22:8: error: 'top' in 'salary' must be a number, not '.inf' [schema.type]"),
    ("  top: 100000\n", "  top: yes\n",
     "minimal.yaml:22:8: error: 'top' in 'salary' must be a number, not 'yes' [schema.type]"),
    ("  top: 100000\n", "  top:\n",
     "minimal.yaml:22:7: error: 'top' in 'salary' is empty [value.empty]"),
    ("title: Account Manager\n", "title: null\n",
     "minimal.yaml:5:8: error: 'title' must be text, but YAML reads null as no value; "
     "put it in quotes: \"null\" [schema.type]"),
    ("title: Account Manager\n", "title: !!map Account Manager\n",
     "minimal.yaml:5:8: error: 'title' has the YAML tag '!!map', which sources do not use; "
     "remove it [schema.type]"),
    ("  top: 100000\n", "  top: !!int 1.5\n",
     "minimal.yaml:22:8: error: 'top' in 'salary' must be a number, not '1.5' [schema.type]"),
    ("title: Account Manager\n", "title: [Account, Manager]\n",
     "minimal.yaml:5:8: error: 'title' must be text, not a list [schema.type]"),
    ("title: Account Manager\n", "title: Account Manager\npage_budget: 1.5\n",
     "minimal.yaml:6:14: error: 'page_budget' must be a whole number, not '1.5' [schema.type]"),
    ("tips:\n  - Listen first.\n", "tips: []\n",
     "minimal.yaml:25:7: error: 'tips' is empty [value.empty]"),
    ("  - Listen first.\n", "  - Listen first.\n  -\n    - nested\n",
     "minimal.yaml:28:5: error: 'tips' item 2 must be text, not a list [schema.type]"),
    ("    - Base pay runs from {base_min} to {base_max}; the average is {average}.\n",
     "    - Base pay runs from {{base_min}} to {base_max!r}.\n",
     "minimal.yaml:24:7: error: placeholder '{base_max!r}' in 'narrative' item 1 must be just "
     "'{base_max}'; the figure is formatted for you [salary.placeholder]"),
    ("    url: https://www.glassdoor.com/Job-Description/Account-Manager.htm\n",
     "    url: https://localhost:99999/\n",
     "minimal.yaml:31:10: error: 'url' in 'references' item 1 must be a full http:// or "
     "https:// address, not 'https://localhost:99999/' [url.invalid]"),
    # a YAML escape can put in what the loader never sees typed
    ("  - Listen first.\n", '  - "nul \\0 here"\n',
     "minimal.yaml:26:5: error: 'tips' item 1 holds control character U+0000 (written as an "
     "escape); delete it [text.control-char]"),
    ("    date: n.d.\n", '    date: "2024-13-99"\n',
     "minimal.yaml:30:11: error: 'date' in 'references' item 1 is not a date in the calendar: "
     "'2024-13-99' [schema.format]"),
    ("    url: https://www.glassdoor.com/Job-Description/Account-Manager.htm\n",
     "    url: https://user:secret@www.glassdoor.com/x\n",
     "minimal.yaml:31:10: error: 'url' in 'references' item 1 must not hold a user name or "
     "password (the part before '@'); printed handouts are public [url.invalid]"),
    ("  top: 100000\n", "  top: 1.0e+400\n",
     "minimal.yaml:22:8: error: 'top' in 'salary' is 1.0e+400; no salary is above "
     "1,000,000,000,000: check the figure [salary.range]"),
    ("  top: 100000\n", "  top: 100000000000000000000000000000000000000000000000000000000000\n",
     "minimal.yaml:22:8: error: 'top' in 'salary' is "
     "100000000000000000000000000000000000000000000000000000000000; no salary is above "
     "1,000,000,000,000: check the figure [salary.range]"),
    ("  base_min: 43000\n", "  base_min: 0.001\n",
     "minimal.yaml:19:13: error: 'base_min' in 'salary' is 0.001; figures have at most two "
     "decimal places [salary.range]"),
    ("  base_min: 43000\n", "  base_min: ៤៣០០០\n",
     "minimal.yaml:19:13: error: 'base_min' in 'salary' must be a number, not '៤៣០០០'; write "
     "it with the digits 0-9, without quotes: 43000 [schema.type]"),
    ("title: Account Manager\n",
     "title: Account Manager\nmore_info_url: https://example.com/" + "a" * 200 + "\n",
     "minimal.yaml:6:16: error: 'more_info_url' is 220 characters long; at most 200 are "
     "allowed: a longer one makes a QR code too fine to scan at 24 mm; use a shorter address "
     "[url.too-long]"),
    ("title: Account Manager\n", "title: Account Manager\n" + "x" * 60 + ": 1\n",
     "minimal.yaml:6:1: error: unknown key '" + "x" * 39 + "…' in the handout; expected one "
     "of: id, language, title, title_other, page_budget, digits, more_info_url, labels, "
     "education, experience, training, outlook, updated, introduction, values, career_path, "
     "salary, tips, related, references [schema.unknown-key]"),
    ("  country: US\n", "  country: ZZ\n",
     "minimal.yaml:18:12: warning: country 'ZZ' has no name in templates/labels/en.yaml, so "
     "the quick facts show the code 'ZZ'; add it there [salary.country]"),
])
def test_variant_gives_exact_diagnostic(tmp_path, old, new, expected):
    """Report YAML 1.1 surprises, odd numbers and odd structures with one exact line."""
    path = write_variant(tmp_path, old, new)
    _, lines = check_tmp([path])
    assert lines == [expected]


def check_tmp(files: list[Path]) -> tuple[list[Handout], list[str]]:
    """Validate files named by their file name only."""
    handouts, diagnostics = validate_sources(load_source(f, f.name) for f in files)
    return handouts, [str(d) for d in diagnostics]


def test_wrong_value_type_for_values_reports_once_with_unknown_key(tmp_path):
    """Report a mapping written as a list and the misspelt key next to it."""
    path = write_variant(tmp_path, "values:\n", "values: []\nvalue:\n")
    _, lines = check_tmp([path])
    assert lines == [
        "minimal.yaml:8:9: error: 'values' must be a mapping of keys to values, not a list "
        "[schema.type]",
        "minimal.yaml:9:1: error: unknown key 'value' in the handout; did you mean 'values'? "
        "[schema.unknown-key]",
    ]


def test_khmer_text_and_unicode_host_are_accepted(tmp_path):
    """Accept Khmer text and an internationalised domain name."""
    path = write_variant(tmp_path, "title: Account Manager\n",
                         "title: អ្នកគ្រប់គ្រងគណនី\nmore_info_url: https://ខ្មែរ.com/handouts\n")
    handouts, lines = check_tmp([path])
    assert lines == []
    assert handouts[0].title == "អ្នកគ្រប់គ្រងគណនី"


def test_file_named_twice_is_checked_once():
    """Check a file given twice once, with no duplicate-id error against itself."""
    path = BAD / "salary-order.yaml"
    handouts, lines = check([path, path])
    assert (handouts, lines) == ([], EXPECTED["salary-order.yaml"])


def test_valid_files_sharing_an_id_give_no_handout(tmp_path):
    """Publish neither of two valid files that share an id."""
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        write_variant(folder, "  top: 100000\n", "  top: 100000\n")
    handouts, diagnostics = validate_sources(
        load_source(d / "minimal.yaml", f"{d.name}/minimal.yaml") for d in (first, second))
    assert handouts == []
    assert [d.rule for d in diagnostics] == ["id.duplicate", "id.duplicate"]


def test_duplicate_id_is_reported_even_when_the_file_has_other_errors(tmp_path):
    """Run the cross-file id rule on a file whose other values are wrong."""
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    write_variant(first, "  currency: USD\n", "  currency: XYZ\n")
    write_variant(second, "  top: 100000\n", "  top: -1\n")
    _, diagnostics = validate_sources(
        load_source(d / "minimal.yaml", f"{d.name}/minimal.yaml") for d in (first, second))
    assert [str(d) for d in diagnostics] == [
        "a/minimal.yaml:3:5: error: id 'minimal' is also used by b/minimal.yaml [id.duplicate]",
        "a/minimal.yaml:16:13: error: unknown currency code 'XYZ' in 'salary'; use an ISO 4217 "
        "code such as USD or KHR [salary.currency]",
        "b/minimal.yaml:3:5: error: id 'minimal' is also used by a/minimal.yaml [id.duplicate]",
        "b/minimal.yaml:22:8: error: 'top' in 'salary' must be above zero, not -1 "
        "[salary.positive]",
    ]


# --- the command line ------------------------------------------------------------------------


def run_check(*args: str) -> subprocess.CompletedProcess:
    """Run `python -m pipeline check ARGS` from the repository root."""
    return subprocess.run([sys.executable, "-m", "pipeline", "check", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_reports_every_problem_of_a_bad_source_and_fails():
    """Exit 1 with each diagnostic on stderr, no traceback, and the summary on stdout."""
    result = run_check("tests/bad_sources/salary-independent.yaml")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"tests/bad_sources/{line}" for line in EXPECTED["salary-independent.yaml"]]
    assert result.stdout.splitlines() == ["checked 1 source: 3 errors, 0 warnings"]


def test_cli_checks_the_whole_bad_sources_folder_without_traceback():
    """Check every top-level bad source in one run and count every error."""
    result = run_check("tests/bad_sources")
    files = sorted(BAD.glob("*.yaml"))
    lines = [line for f in files for line in EXPECTED[f.name]]
    errors = sum(": error: " in line for line in lines)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    # The bad sources are variants of one minimal source: they share titles and references,
    # which the rule between sources reports (tested on its own, above).
    copied = [line for line in result.stderr.splitlines() if line.endswith("[source.copied]")]
    assert len(result.stderr.splitlines()) - len(copied) == len(lines)
    assert result.stdout.splitlines() == [f"checked {len(files)} sources: {errors} errors, "
                                          f"{len(lines) - errors + len(copied)} warnings"]


def test_cli_survives_hostile_files(tmp_path):
    """Give one error per hostile file (binary, too large, too deep), never a traceback."""
    (tmp_path / "junk.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "huge.yaml").write_bytes(b"# padding\n" * 30000)
    (tmp_path / "deep.yaml").write_text("[" * 10000)
    result = run_check(str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert [line.split(": ", 1)[1] for line in result.stderr.splitlines()] == [
        "error: nesting is deeper than 16 levels [yaml.depth]",
        "error: file is 300000 bytes; a source may be at most 262144 bytes [file.too-large]",
        "error: file is binary, not YAML text (NUL byte) [file.binary]",
    ]
    assert result.stdout.splitlines() == ["checked 3 sources: 3 errors, 0 warnings"]


def test_cli_passes_the_shipped_sources():
    """Exit 0 with no diagnostics for sources/."""
    result = run_check("sources")
    assert (result.returncode, result.stderr) == (0, "")


def test_repeated_mistakes_are_reported_once(tmp_path):
    """Report a repeated unknown key once (the loader reports the repeat) and a repeated
    unknown placeholder once per paragraph."""
    path = write_variant(
        tmp_path, "    - Base pay runs from {base_min} to {base_max}; the average is {average}.\n",
        "    - From {low} to {low}.\n  bonus: 1\n  bonus: 2\n")
    _, lines = check_tmp([path])
    assert lines == [
        "minimal.yaml:24:7: error: unknown placeholder '{low}' in 'narrative' item 1; use one "
        "of {base_min}, {base_max}, {average}, {top} [salary.placeholder]",
        "minimal.yaml:25:3: error: unknown key 'bonus' in 'salary'; expected one of: currency, "
        "period, country, base_min, base_max, average, top, source, year, narrative "
        "[schema.unknown-key]",
        "minimal.yaml:26:3: error: duplicate key 'bonus' (first defined on line 25) "
        "[yaml.duplicate-key]",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("- id: x\n", "x.yaml:1:1: error: the handout must be a mapping of keys to values, "
                  "not a list [schema.type]"),
    ("just some text\n", "x.yaml:1:1: error: the handout must be a mapping of keys to values, "
                         "not text [schema.type]"),
    ("---\n# nothing\n", "x.yaml:1:1: error: file is empty [value.empty]"),
])
def test_source_that_is_not_a_mapping(tmp_path, text, expected):
    """Report a whole source that is a list, plain text or a bare '---'."""
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    assert check_tmp([path]) == ([], [expected])


def test_an_id_longer_than_a_file_name_should_be_is_refused(tmp_path):
    long_id = "a" * 65
    path = write_variant(tmp_path, "id: minimal\n", f"id: {long_id}\n")
    _, lines = check_tmp([path])
    assert lines == ["minimal.yaml:3:5: error: 'id' is 65 characters long; at most 64 are "
                     "allowed [schema.length]"]


def test_term_separator_keeps_its_spaces(tmp_path):
    # Stripped, ": " became ":" and the handout printed "Communication:Talks".
    path = write_variant(tmp_path, "title: Account Manager\n",
                         'title: Account Manager\nlabels:\n  term_separator: " – "\n')
    handouts, lines = check_tmp([path])
    assert (lines, handouts[0].labels["term_separator"]) == ([], " – ")
    path = write_variant(tmp_path, "title: Account Manager\n",
                         'title: Account Manager\nlabels:\n  term_separator: ""\n')
    assert check_tmp([path])[1] == [
        "minimal.yaml:7:19: error: 'term_separator' in 'labels' is empty [value.empty]"]


def test_a_copied_source_with_its_old_id_is_the_one_told(tmp_path):
    # README: copy a source, then change its id. Forgetting must not flag the original.
    original = write_variant(tmp_path, "  top: 100000\n", "  top: 100000\n")
    copy = tmp_path / "nurse.yaml"
    copy.write_bytes(original.read_bytes())
    _, lines = check_tmp([original, copy])
    assert lines == [
        "nurse.yaml:3:5: error: id 'minimal' does not match the file name 'nurse.yaml'; "
        "write id: nurse (or name the file minimal.yaml) [id.filename]"]


@pytest.mark.parametrize("date", ["2024-05-01", "2016", "2024-09", '"2024-05-01"'])
def test_reference_dates_need_no_quotes(tmp_path, date):
    path = write_variant(tmp_path, "    date: n.d.\n", f"    date: {date}\n")
    handouts, lines = check_tmp([path])
    assert lines == []
    assert handouts[0].references[0].date == date.strip('"')


def test_what_is_under_a_misspelt_key_is_checked_in_the_same_run(tmp_path):
    path = write_variant(tmp_path, "references:\n", "refrences:\n")
    text = path.read_text(encoding="utf-8").replace("    date: n.d.", "    date: May 2024")
    path.write_text(text, encoding="utf-8")
    _, lines = check_tmp([path])
    assert lines == [
        "minimal.yaml:27:1: error: unknown key 'refrences' in the handout; did you mean "
        "'references'? [schema.unknown-key]",
        "minimal.yaml:30:11: error: 'date' in 'refrences' item 1 must be a year, an ISO date "
        "(2024-05-01) or n.d., not 'May 2024' [schema.format]",
    ]


def test_a_figure_in_thousands_gets_its_plain_number(tmp_path):
    path = write_variant(tmp_path, "  base_min: 43000\n", "  base_min: 43k\n")
    assert check_tmp([path])[1] == [
        "minimal.yaml:19:13: error: 'base_min' in 'salary' must be a number, not '43k'; write "
        "it as a plain number: 43000 [schema.type]"]


# --- text that YAML reads otherwise than it looks (issue 13) ---------------------------------


@pytest.mark.parametrize(("old", "new"), [
    # comments on their own lines, after quoted text, and after codes and numbers are meant
    ("title: Account Manager\n", "# the English title\ntitle: 'Account Manager'  # quoted\n"),
    ("title: Account Manager\n", 'title: "Account Manager #1"\n'),
    ("  top: 100000\n", "  top: 100000  # per year\n"),
    ("  currency: USD\n", "  currency: USD  # dollars\n"),
    ("    date: n.d.\n", "    date: 2024  # last checked\n"),
    ("title: Account Manager\n", "title: Account Manager#1\n"),  # no space: not a comment
    # a text folded over lines, none of them starting like a list item
    ("  - Listen first.\n", "  - Listen first,\n    then ask - and follow up.\n"),
])
def test_text_yaml_reads_as_written_gives_no_warning(tmp_path, old, new):
    path = write_variant(tmp_path, old, new)
    assert check_tmp([path])[1] == []


def test_each_swallowed_list_item_is_named_and_the_text_kept(tmp_path):
    path = write_variant(tmp_path, "tips:\n  - Listen first.\n",
                         "tips:\n  - Listen first.\n    - Ask.\n  - Then\n    - follow up. #2\n")
    handouts, lines = check_tmp([path])
    assert lines == [
        "minimal.yaml:26:5: warning: 'tips' item 1 continues on the next line as '- Ask.': "
        "YAML joins that line to the text; indent list items alike [yaml.continued-item]",
        "minimal.yaml:28:5: warning: 'tips' item 2 continues on the next line as '- follow "
        "up.': YAML joins that line to the text; indent list items alike "
        "[yaml.continued-item]",
        "minimal.yaml:29:18: warning: ' #' starts a comment in YAML, so 'tips' item 2 is only "
        "'Then - follow up.'; put the text in quotes [yaml.comment]",
    ]
    assert handouts[0].tips == ("Listen first. - Ask.", "Then - follow up.")


@pytest.mark.parametrize("value", ['"\\u200b"', '"\\u2060 \\u200b"', '"\\ufeff"', '"\\u17b4"'])
def test_invisible_only_text_is_an_error(tmp_path, value):
    path = write_variant(tmp_path, "  - Listen first.\n", f"  - {value}\n")
    _, lines = check_tmp([path])
    assert len(lines) == 1
    assert lines[0].startswith("minimal.yaml:26:5: error: 'tips' item 1 has no visible text, "
                               "only invisible characters (U+")
    assert lines[0].endswith("); write the text or remove the key [value.empty]")


@pytest.mark.parametrize(("budget", "expected"), [
    ("1e5000", "must be between 1 and 12, not 1e5000 [schema.range]"),
    ("9" * 5000, "must be between 1 and 12, not " + "9" * 79 + "… [schema.range]"),
    ("-1e3", "must be between 1 and 12, not -1e3 [schema.range]"),
    ("1e1", "must be a whole number, not '1e1'; write it as a plain number: 10 [schema.type]"),
    ("1.5e0", "must be a whole number, not '1.5e0' [schema.type]"),
])
def test_a_page_budget_out_of_range_is_told_so(tmp_path, budget, expected):
    path = write_variant(tmp_path, "title: Account Manager\n",
                         f"title: Account Manager\npage_budget: {budget}\n")
    assert check_tmp([path])[1] == [f"minimal.yaml:6:14: error: 'page_budget' {expected}"]


@pytest.mark.parametrize(("old", "new"), [
    ("language: en\n", "language: " + "x" * 20_000 + "\n"),
    ("  currency: USD\n", "  currency: " + "x" * 20_000 + "\n"),
    ("  base_min: 43000\n", "  base_min: " + "4x" * 10_000 + "\n"),
    ("  base_min: 43000\n", "  base_min: " + "1" * 20_000 + "\n"),
    ("    date: n.d.\n", "    date: " + "x" * 20_000 + "\n"),
    ("    url: https://www.glassdoor.com/Job-Description/Account-Manager.htm\n",
     "    url: ftp://" + "x" * 1_900 + "\n"),
    ("  country: US\n", "  country: " + "yes" * 7_000 + "\n"),
    ("title: Account Manager\n", "title: " + "2024-01-01" + "\n"),
    ("    - Base pay runs from {base_min} to {base_max}; the average is {average}.\n",
     "    - {" + "x" * 20_000 + "}\n"),
    # text checks: a "cluster" of thousands of marks; a long key, repeated
    ("  - Listen first.\n", "  - ក" + "េី" * 3_000 + "\n"),
    ("  - Listen first.\n", "  - ក" + "្" * 3_000 + "\n"),
    ("language: en\n", "language: en\n" + "k" * 1_000 + ": 1\n" + "k" * 1_000 + ": 2\n"),
])
def test_a_diagnostic_quotes_at_most_80_characters_of_a_value(tmp_path, old, new):
    path = write_variant(tmp_path, old, new)
    _, lines = check_tmp([path])
    assert lines
    for line in lines:
        assert len(line) < 400, line[:500]


def test_a_key_longer_than_yaml_allows_is_named_as_such(tmp_path):
    path = write_variant(tmp_path, "language: en\n", "language: en\n" + "x" * 200_000 + ": 1\n")
    assert check_tmp([path])[1] == [
        "minimal.yaml:5:1: error: invalid YAML: the key on this line (the text before ':') is "
        "200000 characters long; YAML allows at most 1024: put text that contains ': ' in "
        "quotes, or shorten the key [yaml.syntax]"]


def test_a_file_name_that_is_not_an_id_is_what_to_rename(tmp_path):
    path = write_variant(tmp_path, "id: minimal\n", "id: a-b\n")
    path = path.rename(tmp_path / "A_B.yaml")
    assert check_tmp([path])[1] == [
        "A_B.yaml:3:5: error: id 'a-b' does not match the file name 'A_B.yaml'; name the file "
        "a-b.yaml (an id is lower-case letters, digits and single hyphens) [id.filename]"]


def test_a_linked_source_is_reported_under_its_own_name(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "minimal.yaml").write_bytes((BAD / "minimal.yaml").read_bytes())
    (sources / "link.yaml").symlink_to("minimal.yaml")
    result = subprocess.run([sys.executable, "-m", "pipeline", "check", "sources/link.yaml"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.stderr == (
        "sources/link.yaml:3:5: error: id 'minimal' does not match the file name 'link.yaml'; "
        "write id: link (or name the file minimal.yaml) [id.filename]\n")


def test_coeng_da_is_reported_when_the_office_asks(tmp_path):
    from pipeline.config import Settings

    path = write_variant(tmp_path, "  - Listen first.\n", "  - ផ្ដល់\n")
    assert check_tmp([path])[1] == []
    _, diagnostics = validate_sources([load_source(path, path.name)],
                                      Settings(check_coeng_da=True))
    assert [d.rule for d in diagnostics] == ["khmer.coeng-da"]


def test_a_suggested_career_needs_its_source_beside_this_one(tmp_path):
    from conftest import write_source

    write_source(tmp_path, handout_id="sales-manager")
    source = write_source(tmp_path, {"related": ["sales-manger", "here"]}, handout_id="here")
    handouts, diagnostics = validate_sources([load_source(source, "here.yaml")])
    assert handouts == []
    messages = [f"{d.message} [{d.rule}]" for d in diagnostics if d.is_error]
    assert messages == [
        "'related' names 'sales-manger', but there is no sales-manger.yaml beside this "
        "source; did you mean 'sales-manager'? [related.unknown]",
        "'related' names this handout itself ('here') [related.self]"]


def test_a_copied_source_is_told_what_it_kept(tmp_path):
    """make check names each value two sources share that only one career can have."""
    from pipeline.build import check

    sources = tmp_path / "sources"
    sources.mkdir()
    original = ROOT / "sources" / "account-manager.yaml"
    (sources / "account-manager.yaml").write_bytes(original.read_bytes())
    copy = sources / "sales-clerk.yaml"
    copy.write_text(original.read_text(encoding="utf-8").replace(
        "id: account-manager", "id: sales-clerk").replace(
        "title: អ្នកគ្រប់គ្រងគណនី", "title: អ្នកលក់"), encoding="utf-8")
    lines = [str(d) for d in check([sources / "account-manager.yaml", copy], display=lambda p:
                                   p.name)]
    kept = "a source copied from another keeps that career's text until it is rewritten"
    assert lines == [
        f"account-manager.yaml:6:14: warning: 'title_other' is the same as in sales-clerk.yaml;"
        f" {kept} [source.copied]",
        f"account-manager.yaml:7:16: warning: 'more_info_url' is the same as in "
        f"sales-clerk.yaml; {kept} [source.copied]",
        f"account-manager.yaml:52:3: warning: the whole reference list is the same as in "
        f"sales-clerk.yaml; {kept} [source.copied]",
        f"sales-clerk.yaml:6:14: warning: 'title_other' is the same as in account-manager.yaml;"
        f" {kept} [source.copied]",
        f"sales-clerk.yaml:7:16: warning: 'more_info_url' is the same as in "
        f"account-manager.yaml; {kept} [source.copied]",
        f"sales-clerk.yaml:52:3: warning: the whole reference list is the same as in "
        f"account-manager.yaml; {kept} [source.copied]",
    ]
