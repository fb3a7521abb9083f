"""Name the source field of each editable DOCX paragraph, in a form Word and LibreOffice keep.

A DOCX paragraph that holds author text is wrapped in a bookmark named after its field:
`tips[3]` → `k_tips_3`, `values.items[2]` → `k_values_items_2`, `values.lead` →
`k_values_lead`. Bookmarks survive a re-save in Word and in LibreOffice with their names
(content controls lose their tags in LibreOffice). A bookmark name is at most 40 letters,
digits and underscores and starts with a letter. The handout's id is marked too, by an empty
bookmark `k_id_<id>` at the start of the document (hyphens written as underscores).
"""

from __future__ import annotations

import hashlib
import re

from .schema import EDITABLE_LISTS, EDITABLE_TEXTS

PREFIX = "k_"
MAX_NAME = 40
# The fields a DOCX paragraph can stand for (those declared editable in schema.py): lists
# of paragraphs, and single paragraphs.
LIST_FIELDS = EDITABLE_LISTS
SCALAR_FIELDS = EDITABLE_TEXTS
_LIST_ITEM = re.compile(r"(?P<field>[a-z_.]+)\[(?P<index>\d+)\]\Z")


def bookmark_name(path: str) -> str:
    """Return the bookmark name that marks the paragraph of a source field path."""
    match = _LIST_ITEM.match(path)
    if match and match["field"] in LIST_FIELDS:
        return f"{PREFIX}{match['field'].replace('.', '_')}_{match['index']}"
    if path in SCALAR_FIELDS:
        return PREFIX + path.replace(".", "_")
    raise ValueError(f"no DOCX marker for the field {path!r}")


_NAMES = {PREFIX + field.replace(".", "_"): field for field in (*LIST_FIELDS, *SCALAR_FIELDS)}
_NAME = re.compile(rf"{PREFIX}(?P<field>[a-z_]+?)(?:_(?P<index>\d+))?\Z")


def field_path(name: str) -> str | None:
    """Return the source field path a bookmark name stands for; None if not one of ours."""
    match = _NAME.match(name)
    if not match:
        return None
    field = _NAMES.get(PREFIX + match["field"])
    if field is None or (match["index"] is None) != (field in SCALAR_FIELDS):
        return None
    return field if match["index"] is None else f"{field}[{int(match['index'])}]"


def id_marker(handout_id: str) -> str:
    """Return the bookmark name that marks a handout's id (a long id is cut, with a hash)."""
    name = f"{PREFIX}id_{handout_id.replace('-', '_')}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(handout_id.encode("utf-8")).hexdigest()[:8]
    return name[:MAX_NAME - 9] + "_" + digest


def is_id_marker(name: str) -> bool:
    """Return whether a bookmark name is a handout-id marker."""
    return name.startswith(PREFIX + "id_")


VERSION_PREFIX = PREFIX + "v_"


def editable_texts(document) -> list[tuple[str, str]]:
    """Return (field path, text) of every paragraph of author text, in reading order."""
    from .model import Bullets, Paragraphs, Terms

    pairs: list[tuple[str, str]] = [("title", document.title)]
    if document.title_other:
        pairs.append(("title_other", document.title_other))
    pairs += [(fact.path, fact.value) for fact in document.facts if fact.path]
    for section in document.sections:
        for block in section.blocks:
            # A block without paths is derived (the "see also" titles): not author text.
            if isinstance(block, Paragraphs) and block.paths:
                pairs += zip(block.paths, block.paragraphs, strict=True)
            elif isinstance(block, Bullets) and block.paths:
                pairs += zip(block.paths, block.items, strict=True)
            elif isinstance(block, Terms):
                pairs.append((block.lead_path, block.lead))
                pairs += [(path, item.term + block.separator + item.explanation)
                          for path, item in zip(block.paths, block.items, strict=True)]
    return pairs


def version_marker(document) -> str:
    """Return a bookmark name that changes whenever the author text of the source does.

    The DOCX carries it so that an import can tell the source was edited after the DOCX was
    made (importing would then undo those edits). Word breaks are left out of the hash: a
    new word list changes them, not the text.
    """
    digest = hashlib.sha256()
    for path, text in editable_texts(document):
        plain = text.replace("\u200b", "").replace("\u2060", "").replace("\u00a0", " ")
        digest.update(f"{path}\0{plain}\0".encode())
    return VERSION_PREFIX + digest.hexdigest()[:16]
