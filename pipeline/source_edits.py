"""Edits that replace whole values in a source, or add and remove list items, keeping the rest.

`make fix` edits characters inside a value (text_checks.Edit); importing a DOCX needs more:
a scalar rewritten whole (in its own quoting style where the new text allows it), items
inserted into or removed from a block list. Each returns text_checks.Edit objects, applied by
text_checks.apply_edits, so comments, key order and the layout of everything else stay.
"""

from __future__ import annotations

import json

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .text_checks import Edit


class SourceEditError(Exception):
    """The source is laid out in a way these edits do not handle (a flow list, say)."""


def find_node(root: Node, path: str) -> Node:
    """Return the node at a dotted path of mapping keys ("values.items")."""
    node = root
    for key in path.split("."):
        if not isinstance(node, MappingNode):
            raise SourceEditError(f"'{path}' is not a mapping in the source")
        for key_node, value in node.value:
            if key_node.value == key:
                node = value
                break
        else:
            raise SourceEditError(f"the source has no '{path}'")
    return node


def mapping_value(node: MappingNode, key: str) -> Node | None:
    for key_node, value in node.value:
        if key_node.value == key:
            return value
    return None


def _plain_ok(value: str) -> bool:
    if not value or "\n" in value or value != value.strip():
        return False
    try:
        return yaml.safe_load(f"k: {value}\n") == {"k": value}
    except yaml.YAMLError:
        return False


def format_scalar(value: str, style: str | None = None) -> str:
    """Return a string as a one-line YAML scalar: plain when it reads back the same (and the
    old one was plain), in single quotes when the old one was, else in double quotes."""
    if style in (None, "") and _plain_ok(value):
        return value
    if style == "'" and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    # JSON's string syntax is valid YAML double-quoted syntax.
    return json.dumps(value, ensure_ascii=False)


def replace_scalar(text: str, node: ScalarNode, value: str) -> Edit:
    """Return the edit that writes a new value into a scalar, in place."""
    start, end = node.start_mark.index, node.end_mark.index
    if node.style in ("|", ">"):
        # A block scalar runs to the next line; the one-line value that replaces it ends
        # its own line.
        end = _content_end(text, node)
        return Edit(start, end, format_scalar(value, '"'))
    return Edit(start, end, format_scalar(value, node.style))


def _content_end(text: str, node: Node) -> int:
    """Return the index just after the last character of a node's own text."""
    if isinstance(node, MappingNode) and node.value:
        return _content_end(text, node.value[-1][1])
    if isinstance(node, SequenceNode) and node.value:
        return _content_end(text, node.value[-1])
    end = node.end_mark.index
    while end > node.start_mark.index and text[end - 1] in "\r\n \t":
        end -= 1
    return end


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end == -1 else end


def _item_prefix(text: str, item: Node) -> str:
    """Return what stands before an item on its line: indentation and "- "."""
    prefix = text[_line_start(text, item.start_mark.index):item.start_mark.index]
    if not prefix.strip(" -") == "" or "-" not in prefix:
        raise SourceEditError(f"line {item.start_mark.line + 1}: list items must each start "
                              "a line with '- '")
    return prefix


def _check_block_list(text: str, node: SequenceNode, field: str) -> None:
    if node.flow_style or not node.value:
        raise SourceEditError(f"'{field}' at line {node.start_mark.line + 1} is written as "
                              "[...]; write it as a list of '- ' lines to import into it")


def format_item(value: str | dict[str, str], prefix: str) -> str:
    """Return the lines of a new list item (no final newline), a string or a mapping."""
    if isinstance(value, str):
        return prefix + format_scalar(value)
    indent = " " * len(prefix)
    lines = [f"{key}: {format_scalar(item)}" for key, item in value.items()]
    return prefix + ("\n" + indent).join(lines)


def list_edits(text: str, node: SequenceNode, field: str, keep: list[int],
               new: list[tuple[int | None, object]]) -> list[Edit]:
    """Return the edits that turn a block list into a new order of old and new items.

    `new` is the new list: (old index, None) keeps old item (its value edited apart), and
    (None, value) is a new item. Old items not named go; an item named out of its order is
    removed and written again at its new place (`keep` says which old indexes stay put).
    """
    _check_block_list(text, node, field)
    items = node.value
    edits: list[Edit] = []
    kept = set(keep)
    for index, item in enumerate(items):
        if index not in kept:
            start = _line_start(text, item.start_mark.index)
            end = min(_line_end(text, _content_end(text, item)) + 1, len(text))
            edits.append(Edit(start, end, ""))
    prefix = _item_prefix(text, items[0])
    # New items go after the kept item before them, or before the first old item.
    anchor: int | None = None
    pending: list[str] = []

    def flush() -> None:
        if not pending:
            return
        if anchor is None:
            at = _line_start(text, items[0].start_mark.index)
            edits.append(Edit(at, at, "".join(line + "\n" for line in pending)))
        else:
            at = _line_end(text, _content_end(text, items[anchor]))
            edits.append(Edit(at, at, "".join("\n" + line for line in pending)))
        pending.clear()

    for origin, value in new:
        if origin is not None and origin in kept:
            flush()
            anchor = origin
        else:
            pending.append(format_item(value, prefix))
    flush()
    return edits
