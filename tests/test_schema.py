"""The JSON Schema editors use: committed, up to date, and in step with the validator."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from pipeline import schema

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "sources").glob("*.yaml"))
BAD = ROOT / "tests" / "bad_sources"
MODELINE = "# yaml-language-server: $schema=../pipeline/schema/handout.schema.json"

# Bad sources that an editor using the schema flags too (the others break rules that a JSON
# Schema cannot express: salary order, placeholders, file names, YAML itself).
SCHEMA_REJECTS = [
    "schema-choice.yaml", "schema-format.yaml", "schema-range.yaml", "schema-required.yaml",
    "schema-type-date.yaml", "schema-type-number.yaml", "schema-type-structure.yaml",
    "schema-type-tag.yaml", "schema-type-yes-no.yaml", "schema-unknown-key.yaml",
    "salary-positive.yaml", "url-invalid.yaml", "value-empty.yaml",
]


def validator() -> jsonschema.Draft202012Validator:
    """Return a validator for the committed schema."""
    committed = json.loads(schema.SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(committed)


def test_committed_schema_is_up_to_date():
    """Match pipeline/schema/handout.schema.json to the declarations; run 'make schema'."""
    assert schema.SCHEMA_PATH.read_text(encoding="utf-8") == schema.json_schema_text()


def test_committed_schema_is_a_valid_json_schema():
    """Accept the committed schema as a draft 2020-12 JSON Schema."""
    jsonschema.Draft202012Validator.check_schema(json.loads(schema.json_schema_text()))


def test_there_are_sources():
    """Find at least one shipped source, so the tests below check something."""
    assert SOURCES


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_shipped_source_matches_the_schema(source):
    """Validate each shipped source against the committed schema."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    assert list(validator().iter_errors(data)) == []


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_shipped_source_names_the_schema_on_its_first_line(source):
    """Start each source with the modeline that points editors at the schema."""
    first_line = source.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == MODELINE
    target = first_line.split("$schema=", 1)[1]
    assert (source.parent / target).resolve() == schema.SCHEMA_PATH.resolve()


def test_minimal_bad_source_base_matches_the_schema():
    """Validate the valid base of tests/bad_sources/ against the schema."""
    data = yaml.safe_load((BAD / "minimal.yaml").read_text(encoding="utf-8"))
    assert list(validator().iter_errors(data)) == []


@pytest.mark.parametrize("name", SCHEMA_REJECTS)
def test_schema_rejects_what_the_validator_rejects(name):
    """Flag in the editor the bad sources whose rule the schema can express."""
    data = yaml.safe_load((BAD / name).read_text(encoding="utf-8"))
    assert list(validator().iter_errors(data)) != []


def test_blank_text_is_rejected_by_the_schema():
    """Reject whitespace-only text, as the validator does."""
    data = yaml.safe_load((BAD / "minimal.yaml").read_text(encoding="utf-8"))
    data["title"] = "   "
    assert [e.validator for e in validator().iter_errors(data)] == ["pattern"]


# --- one declaration per field ---------------------------------------------------------------


def test_the_handout_dataclass_is_the_declared_fields():
    import dataclasses

    from pipeline.model import Handout, Salary

    declared = list(schema.HANDOUT.fields)
    assert sorted(f.name for f in dataclasses.fields(Handout)) == sorted([*declared, "source"])
    assert sorted(f.name for f in dataclasses.fields(Salary)) == sorted(
        schema.HANDOUT.fields["salary"].spec.fields)


def test_optional_fields_take_their_declared_defaults_everywhere(tmp_path):
    from pipeline.load import load_source
    from pipeline.validate import validate_sources

    source = tmp_path / "minimal.yaml"
    source.write_text((BAD / "minimal.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    handouts, diagnostics = validate_sources([load_source(source)])
    assert handouts, [str(d) for d in diagnostics]
    properties = schema.json_schema()["properties"]
    for name, field in schema.HANDOUT.fields.items():
        if field.default is not None:
            assert getattr(handouts[0], name) == field.default, name
            default = list(field.default) if isinstance(field.default, tuple) else \
                field.default
            assert properties[name]["default"] == default, name
        assert properties[name]["description"], name  # editors show it on hover
    assert properties["page_budget"]["default"] == 2
    assert properties["digits"]["default"] == "latin"


def test_a_new_field_is_one_declaration(monkeypatch):
    """Declare a field: the dataclass, the defaults, the JSON Schema and the checks follow."""
    from pipeline.load import LoadedSource
    from pipeline.text_checks import check_text

    fields = dict(schema.HANDOUT.fields)
    fields["motto"] = schema.Field(schema.Text("A motto in the handout's language."),
                                   required=False, default="")
    handout = schema.Object(schema.HANDOUT.description, fields, name="handout",
                            model="Handout")
    classes = schema.dataclasses_for(handout, extra={"Handout": []})
    assert "motto" in classes["Handout"].__dataclass_fields__
    assert schema._json(handout)["properties"]["motto"] == {
        "type": "string", "minLength": 1, "description": "A motto in the handout's language.",
        "pattern": r"\S", "default": ""}
    # The Khmer checks read its script from the declaration: Limon text is found there.
    monkeypatch.setattr(schema, "HANDOUT", handout)
    text = "language: km\nmotto: GñkRKb;RKgKNnI\n"
    root = yaml.compose(text)
    loaded = LoadedSource(Path("x.yaml"), "x.yaml", root, [], text)
    assert [f.diagnostic.rule for f in check_text(loaded, text)] == ["khmer.legacy-font"]


def test_the_other_languages_title_is_checked_as_khmer_in_an_english_handout():
    from pipeline.load import LoadedSource
    from pipeline.text_checks import check_text

    for language, expected in (("en", ["khmer.legacy-font"]), ("km", [])):
        text = f"language: {language}\ntitle_other: GñkRKb;RKgKNnI\n"
        loaded = LoadedSource(Path("x.yaml"), "x.yaml", yaml.compose(text), [], text)
        assert [f.diagnostic.rule for f in check_text(loaded, text)] == expected, language


# A new quick fact, declared as a newcomer would: one declaration and its two labels.
_NEW_FACT = ("    \"work_hours\": Field(Text(\"Typical working hours, as a short phrase.\"), "
             "required=False,\n                        fact=True, editable=True),\n")
# Run in the changed copy: validation, the JSON Schema, the PDF, the DOCX and its import.
_CHECK_NEW_FACT = r'''
import json, subprocess, sys, zipfile
from pathlib import Path
import pypdfium2
from lxml import etree
from pipeline import schema
from pipeline.__main__ import main

properties = schema.json_schema()["properties"]
assert properties["work_hours"]["description"] == "Typical working hours, as a short phrase."
assert "work_hours" in properties["labels"]["properties"]
print("schema ok")
source = Path("sources/account-manager.yaml")
text = source.read_text(encoding="utf-8")
source.write_text(text.replace("\ntitle_other:", "\nwork_hours: ពេញមួយថ្ងៃ\ntitle_other:"),
                  encoding="utf-8")
Path("bad").mkdir()
Path("bad/account-manager.yaml").write_text(
    text.replace("\ntitle_other:", "\nwork_hours: [8, 17]\ntitle_other:"), encoding="utf-8")
sys.stdout.flush()
status = main(["check", "bad"])
assert status == 1, status
status = main(["build", "--formats", "pdf,docx", "-j", "1", "-q", "sources"])
assert status == 0, status
pdf = pypdfium2.PdfDocument("output/pdf/account-manager.pdf")
page_text = pdf[0].get_textpage().get_text_range()
assert "ពេញមួយថ្ងៃ" in page_text and "ម៉ោងធ្វើការ" in page_text, page_text[:500]
print("pdf ok")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
docx = Path("output/docx/account-manager.docx")
with zipfile.ZipFile(docx) as package:
    members = {info.filename: package.read(info) for info in package.infolist()}
root = etree.fromstring(members["word/document.xml"])
start = next(s for s in root.iter(W + "bookmarkStart") if s.get(W + "name") == "k_work_hours")
paragraph = start.getparent()
assert "".join(t.text for t in paragraph.iter(W + "t")).replace("\u200b", "").replace(
    "\u2060", "") == "ពេញមួយថ្ងៃ"
print("docx ok")
texts = list(paragraph.iter(W + "t"))
texts[0].text = "ក្រៅម៉ោង"
for extra in texts[1:]:
    extra.text = ""
members["word/document.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                              standalone=True)
with zipfile.ZipFile("edited.docx", "w", zipfile.ZIP_DEFLATED) as package:
    for name, data in members.items():
        package.writestr(name, data)
status = main(["import", "edited.docx"])
assert status == 0, status
assert "\nwork_hours: ក្រៅម៉ោង\n" in source.read_text(encoding="utf-8")
print("import ok")
'''


def test_a_new_quick_fact_is_one_declaration(tmp_path, root):
    """Declare a fact in a copy's schema.py, add its labels: everything else follows."""
    import subprocess
    import sys

    from conftest import copy_project

    project = copy_project(root, tmp_path / "project")
    declarations = project / "pipeline" / "schema.py"
    code = declarations.read_text(encoding="utf-8")
    anchor = code.index('    "updated": Field(Date(')
    declarations.write_text(code[:anchor] + _NEW_FACT + code[anchor:], encoding="utf-8")
    for language, label in (("km", "ម៉ោងធ្វើការ"), ("en", "Working hours")):
        labels = project / "templates" / "labels" / f"{language}.yaml"
        labels.write_text(labels.read_text(encoding="utf-8") + f"work_hours: {label}\n",
                          encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", _CHECK_NEW_FACT], cwd=project,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "schema ok"
    assert "bad/account-manager.yaml:6:13: error: 'work_hours' must be text, not a list " \
           "[schema.type]" in result.stderr
    for stage in ("pdf ok", "docx ok", "import ok"):
        assert stage in result.stdout.splitlines()
