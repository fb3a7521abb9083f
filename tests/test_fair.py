"""Fair files: loaded and checked like sources, with exact diagnostics; Khmer order."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml

from pipeline import fair
from pipeline.fair import Fair, khmer_sort_key, load_fair

ROOT = Path(__file__).resolve().parent.parent
KNOWN = {"account-manager", "pharmacist", "designer"}


def check(tmp_path: Path, text: str, invalid=()) -> tuple[Fair | None, list[str]]:
    path = tmp_path / "fair.yaml"
    path.write_text(text, encoding="utf-8")
    found, diagnostics = load_fair(path, "fairs/fair.yaml", KNOWN, invalid, "The Office")
    return found, [str(d) for d in diagnostics]


GOOD = """\
name: ពិព័រណ៍អាជីព
date: 2027-02-20
venue: ភ្នំពេញ
"""


def test_a_minimal_fair_takes_every_source_and_the_organisation(tmp_path):
    found, problems = check(tmp_path, GOOD)
    assert problems == []
    assert found == Fair("fair", "ពិព័រណ៍អាជីព", None, date(2027, 2, 20), None, "ភ្នំពេញ",
                         "The Office", (), tmp_path / "fair.yaml")


def test_sections_keep_their_order_and_headings(tmp_path):
    found, problems = check(tmp_path, GOOD + """\
organiser: Ministry
sections:
  - heading: ពាណិជ្ជកម្ម
    handouts: [designer, account-manager]
  - heading: សុខាភិបាល
    handouts: [pharmacist]
""")
    assert problems == []
    assert found.organiser == "Ministry"
    assert [(s.heading, s.handouts) for s in found.sections] == [
        ("ពាណិជ្ជកម្ម", ("designer", "account-manager")), ("សុខាភិបាល", ("pharmacist",))]


@pytest.mark.parametrize(("text", "expected"), [
    (GOOD + "handouts: [acount-manager]\n",
     "fairs/fair.yaml:4:12: error: unknown handout 'acount-manager'; did you mean "
     "'account-manager'? [fair.handout]"),
    (GOOD + "handouts: [plumber]\n",
     "fairs/fair.yaml:4:12: error: unknown handout 'plumber'; the sources are: "
     "account-manager, designer, pharmacist [fair.handout]"),
    (GOOD + "handouts:\n  - designer\n  - designer\n",
     "fairs/fair.yaml:6:5: error: handout 'designer' is listed twice (first on line 5) "
     "[fair.duplicate]"),
    (GOOD + "handouts: [designer]\nsections:\n  - heading: x\n    handouts: [pharmacist]\n",
     "fairs/fair.yaml:6:3: error: give either 'handouts' or 'sections', not both "
     "[fair.order]"),
    (GOOD + "end_date: 2027-02-19\n",
     "fairs/fair.yaml:4:11: error: 'end_date' 2027-02-19 is before 'date' 2027-02-20 "
     "[fair.date]"),
    (GOOD.replace("2027-02-20", "2027-02-30"),
     "fairs/fair.yaml:2:7: error: 'date' in the fair is not a date in the calendar: "
     "'2027-02-30' [schema.format]"),
    (GOOD + "venu: x\n",
     "fairs/fair.yaml:4:1: error: unknown key 'venu' in the fair; did you mean 'venue'? "
     "[schema.unknown-key]"),
    (GOOD.replace("name: ពិព័រណ៍អាជីព\n", ""),
     "fairs/fair.yaml:1:1: error: missing required key 'name' in the fair [schema.required]"),
    (GOOD + "handouts: [Designer]\n",
     "fairs/fair.yaml:4:12: error: 'handouts' item 1 must be a handout id: lower-case "
     "letters, digits and single hyphens, not 'Designer' [schema.format]"),
    (GOOD.replace("venue: ភ្នំពេញ", "venue: ភ្នំពេញ ☃"),
     "fairs/fair.yaml:3:8: error: 'venue': character '☃' (U+2603) is not in Noto Sans "
     "Regular [glyph.missing]"),
    (GOOD.replace("venue: ភ្នំពេញ", "venue: ្ភ្នំពេញ"),
     "fairs/fair.yaml:3:8: error: 'venue': broken Khmer cluster '្ភ្នំ' (U+17D2 U+1797 "
     "U+17D2 U+1793 U+17C6) would print with a dotted circle [khmer.dotted-circle]"),
    (GOOD + "name: again\n",
     "fairs/fair.yaml:4:1: error: duplicate key 'name' (first defined on line 1) "
     "[yaml.duplicate-key]"),
    ("name: [\n", "fairs/fair.yaml:2:1: error: invalid YAML: expected the node content, but "
                  "found '<stream end>' [yaml.syntax]"),
    ("", "fairs/fair.yaml:1:1: error: file is empty [value.empty]"),
])
def test_mistakes_get_one_exact_diagnostic(tmp_path, text, expected):
    found, problems = check(tmp_path, text)
    assert found is None
    assert problems == [expected]


def test_a_handout_with_errors_cannot_go_into_a_fair(tmp_path):
    found, problems = check(tmp_path, GOOD + "handouts: [designer]\n", invalid={"designer"})
    assert found is None
    assert problems == ["fairs/fair.yaml:4:12: error: handout 'designer' has errors (see its "
                        "source) and cannot be printed [fair.handout]"]


def test_dates_print_in_khmer_and_english(tmp_path):
    found, _ = check(tmp_path, GOOD + "end_date: 2027-03-01\n")
    assert found.dates_km() == "ថ្ងៃទី២០ ខែកុម្ភៈ – ថ្ងៃទី១ ខែមីនា ឆ្នាំ២០២៧"
    assert found.dates_en() == "20 February – 1 March 2027"
    found, _ = check(tmp_path, GOOD + "end_date: 2027-02-21\n")
    assert found.dates_km("latin") == "ថ្ងៃទី20–21 ខែកុម្ភៈ ឆ្នាំ2027"
    assert found.dates_en() == "20–21 February 2027"


def test_khmer_titles_sort_by_icu_collation_not_code_points():
    titles = ["អ្នកគ្រប់គ្រងគណនី", "ឱសថការី", "គិលានុបដ្ឋាក", "អ្នករចនា"]
    # Code points put the independent vowel ឱ after every អ; Khmer dictionaries do not.
    assert sorted(titles) == ["គិលានុបដ្ឋាក", "អ្នកគ្រប់គ្រងគណនី", "អ្នករចនា", "ឱសថការី"]
    assert sorted(titles, key=khmer_sort_key) == [
        "គិលានុបដ្ឋាក", "ឱសថការី", "អ្នកគ្រប់គ្រងគណនី", "អ្នករចនា"]
    # The inserted word breaks do not change the order.
    assert khmer_sort_key("អ្នក\u200bរចនា") == khmer_sort_key("អ្នករចនា")


def test_the_shipped_fair_is_valid_and_named_in_its_schema():
    paths = sorted((ROOT / "fairs").glob("*.yaml"))
    assert paths
    committed = json.loads(fair.SCHEMA_PATH.read_text(encoding="utf-8"))
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=../pipeline/schema/"
                               "fair.schema.json\n")
        found, problems = load_fair(path, path.name, {"account-manager"}, (), "x")
        assert problems == [] and found is not None
        # Editors read YAML 1.2, where 2027-02-20 is text, not a date.
        data = {key: str(value) if isinstance(value, date) else value
                for key, value in yaml.safe_load(text).items()}
        jsonschema.Draft202012Validator(committed).validate(data)


def test_committed_fair_schema_is_up_to_date():
    """Match pipeline/schema/fair.schema.json to fair.FAIR; run 'make schema'."""
    assert fair.SCHEMA_PATH.read_text(encoding="utf-8") == fair.json_schema_text()
    jsonschema.Draft202012Validator.check_schema(fair.json_schema())


def test_check_reports_the_fairs_beside_the_sources(tmp_path, monkeypatch, capsys):
    from conftest import write_source

    from pipeline.__main__ import main

    (tmp_path / "sources").mkdir()
    write_source(tmp_path / "sources")
    (tmp_path / "fairs").mkdir()
    (tmp_path / "fairs" / "expo.yaml").write_text(GOOD + "handouts: [acount-manager]\n",
                                                  encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "sources"]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "fairs/expo.yaml:4:12: error: unknown handout 'acount-manager'; did you mean "
        "'account-manager'? [fair.handout]"]
    assert captured.out == "checked 1 source: 1 error, 0 warnings\n"


def test_booklet_without_any_fair_says_where_to_describe_one(tmp_path, monkeypatch, capsys):
    from conftest import write_source

    from pipeline.__main__ import main

    (tmp_path / "sources").mkdir()
    write_source(tmp_path / "sources")
    monkeypatch.chdir(tmp_path)
    assert main(["poster", "-j", "1", "-q", "sources"]) == 1
    assert capsys.readouterr().err == ("error: no fairs found: describe one in "
                                       "fairs/<name>.yaml beside the sources folder (see the "
                                       "README)\n")
    assert not (tmp_path / "output" / "poster").exists()


def test_the_file_name_names_the_booklet_so_it_must_be_plain(tmp_path):
    path = tmp_path / "Big Fair.yaml"
    path.write_text(GOOD, encoding="utf-8")
    found, diagnostics = load_fair(path, "fairs/Big Fair.yaml", KNOWN)
    assert found is None
    assert [str(d) for d in diagnostics] == [
        "fairs/Big Fair.yaml: error: a fair's file name must be lower-case letters, digits "
        "and single hyphens, ending in .yaml, not 'Big Fair.yaml' [fair.filename]"]
