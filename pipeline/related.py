"""What a handout prints of the careers it suggests ("see also"), read from their sources.

The fields printed are those declared `in_related` in schema.py (the titles and the
language). Only their lines of each source are read, so that the plan can tell at once,
without loading whole sources, whether an edit reaches the handouts that suggest a career:
a new tip does not, a new title does. The build and `import` take the titles from here too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from yaml.nodes import MappingNode, ScalarNode

from .load import MAX_SOURCE_BYTES, compose_text
from .schema import IN_RELATED

# A top-level key whose value a suggesting handout prints.
_PRINTED_KEY = re.compile("(" + "|".join(map(re.escape, IN_RELATED)) + r")[ \t]*:")


def printed_fields(path: Path) -> dict[str, str]:
    """Return the values a suggesting handout prints of a source ({} where unreadable)."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SOURCE_BYTES + 1)
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return {}
    if len(data) > MAX_SOURCE_BYTES:
        return {}
    root = compose_text(_printed_lines(text))
    if not isinstance(root, MappingNode):
        return {}
    return {key.value: " ".join(value.value.split()) for key, value in root.value
            if isinstance(key, ScalarNode) and isinstance(value, ScalarNode)
            and key.value in IN_RELATED and value.value.strip()}


def _printed_lines(text: str) -> str:
    """Return the lines of a source that hold the printed fields, as written.

    A top-level value runs on in indented (or blank) lines, which are kept; the next line
    at the margin starts another key.
    """
    kept, keeping = [], False
    for line in text.splitlines():
        if line[:1] not in (" ", "\t", "") and not line.startswith("#"):
            keeping = bool(_PRINTED_KEY.match(line))
        if keeping:
            kept.append(line)
    return "\n".join(kept)


def related_titles(handout) -> dict[str, str]:
    """Return the title of each career a handout suggests, in the handout's language.

    Only the printed fields are read (a source is checked when it is built itself); a
    career whose source gives no title is left out, and printed as its id.
    """
    titles = {}
    for other in handout.related:
        values = printed_fields(handout.source.parent / f"{other}.yaml")
        same = values.get("language", handout.language) == handout.language
        title = values.get("title") if same else values.get("title_other") or values.get("title")
        if title:
            titles[other] = title
    return titles


def related_digest(folder: Path, related: Iterable[str]) -> str:
    """Return a hash of what a handout prints of the careers it suggests."""
    printed = {other: printed_fields(folder / f"{other}.yaml") for other in sorted(related)}
    return hashlib.sha256(json.dumps(printed, sort_keys=True).encode()).hexdigest()
