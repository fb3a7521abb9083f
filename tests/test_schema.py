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
