"""Whole-value edits of a source: scalars rewritten in their style, list items added and removed."""

from __future__ import annotations

import pytest
import yaml

from pipeline.source_edits import (
    SourceEditError,
    find_node,
    format_scalar,
    list_edits,
    replace_scalar,
)
from pipeline.text_checks import apply_edits

TEXT = """\
# a comment that stays
tips:
  - first  # about the first
  - 'second'
  - |
    third
    on two lines
other: kept
"""


def _root(text: str):
    return yaml.compose(text)


@pytest.mark.parametrize(("value", "style", "expected"), [
    ("plain text", None, "plain text"),
    ("yes", None, '"yes"'),
    ("a: b", None, '"a: b"'),
    ("x #y", None, '"x #y"'),
    (" padded", None, '" padded"'),
    ("it's", "'", "'it''s'"),
    ('say "hi"', '"', '"say \\"hi\\""'),
    ("ខ្មែរ", '"', '"ខ្មែរ"'),
])
def test_scalars_keep_their_style_when_the_text_allows(value, style, expected):
    assert format_scalar(value, style) == expected
    assert yaml.safe_load(f"k: {format_scalar(value, style)}") == {"k": value}


def test_replacing_scalars_keeps_everything_else():
    root = _root(TEXT)
    items = find_node(root, "tips").value
    edits = [replace_scalar(TEXT, items[0], "one"), replace_scalar(TEXT, items[1], "two's"),
             replace_scalar(TEXT, items[2], "three")]
    text, applied = apply_edits(TEXT, edits)
    assert len(applied) == 3
    assert text == ("# a comment that stays\ntips:\n  - one  # about the first\n"
                    "  - 'two''s'\n  - \"three\"\nother: kept\n")


def test_items_are_removed_inserted_and_moved():
    root = _root(TEXT)
    node = find_node(root, "tips")
    # new order: "zero" (new), the third (moved to the front), the first, "last" (new)
    edits = list_edits(TEXT, node, "tips", keep=[0],
                       new=[(None, "zero"), (None, "third"), (0, None), (None, "last")])
    text, applied = apply_edits(TEXT, edits)
    assert len(applied) == len(edits)
    assert yaml.safe_load(text) == {"tips": ["zero", "third", "first", "last"],
                                    "other": "kept"}
    assert text.startswith("# a comment that stays\ntips:\n  - zero\n  - third\n"
                           "  - first  # about the first\n")


def test_mapping_items_are_written_key_by_key():
    text = "items:\n  - term: a\n    explanation: b\n"
    node = find_node(_root(text), "items")
    edits = list_edits(text, node, "items", keep=[0],
                       new=[(0, None), (None, {"term": "c", "explanation": "d: e"})])
    new, _ = apply_edits(text, edits)
    assert new == 'items:\n  - term: a\n    explanation: b\n  - term: c\n    explanation: "d: e"\n'


def test_a_flow_list_is_refused():
    text = "tips: [a, b]\n"
    with pytest.raises(SourceEditError, match=r"written as \[...\]"):
        list_edits(text, find_node(_root(text), "tips"), "tips", keep=[], new=[(None, "c")])
