"""Write a new handout's source from the field declarations (`python -m pipeline new ID`).

Every field the format knows, in the order of the handout, under its help text: a required
field holds the template text (schema.TEMPLATE_TEXT, in the script the field is written in)
where the author's text goes, or a valid example where a code or a figure goes; an optional
field is commented out, with its default. It is walked from schema.HANDOUT, so a field
declared there is in every new source without a second copy here. `make check` reports each
value still holding template text, and a fair's outputs refuse such a handout.
"""

from __future__ import annotations

import json
import re
import textwrap

from . import schema
from .schema import Field, Object, Spec

MODELINE = "# yaml-language-server: $schema=../pipeline/schema/handout.schema.json"
_WIDTH = 96


def new_source(handout_id: str, language: str, title: str | None = None) -> str:
    """Return the text of a new source for a handout, ready to be filled in."""
    marker = schema.TEMPLATE_TEXT[language]
    lines = [MODELINE,
             f'# A new handout. Write its text where it says "{marker}"; `make check` lists what',
             "# is left. Optional fields are commented out: remove the '# ' to use one."]
    writer = _Writer(language, lines)
    given = {"id": handout_id, "language": language}
    if title:
        given["title"] = title
    for name, field in schema.HANDOUT.fields.items():
        lines.append("")
        writer.field(name, field, 0, given.get(name))
    return "\n".join(lines) + "\n"


class _Writer:
    def __init__(self, language: str, lines: list[str]) -> None:
        self.language, self.lines = language, lines
        self.other = next(other for other in schema.LANGUAGES if other != language)

    def comment(self, text: str, indent: int) -> None:
        for line in textwrap.wrap(text, _WIDTH - indent - 2):
            self.lines.append(" " * indent + "# " + line)

    def field(self, name: str, field: Field, indent: int, given: str | None = None) -> None:
        """Write one field under its help text; an optional one commented out."""
        spec = field.spec
        help_text = spec.description
        if not field.required:
            default = field.default
            shown = f"; default: {default}" if default not in (None, {}, ()) else ""
            help_text += f" (optional{shown})"
        if isinstance(spec, Object) and not any(f.required for f in spec.fields.values()):
            # A mapping of optional settings (labels): name them, rather than a page of them.
            self.comment(f"{help_text} Write '{name}:' and under it any of: "
                         f"{', '.join(spec.fields)}.", indent)
            return
        self.comment(help_text, indent)
        block: list[str] = []
        lead = " " * indent + f"{name}:"
        if given is not None:
            block.append(f"{lead} {_plain_or_quoted(given)}")
        elif isinstance(spec, Object):
            block.append(lead)
            inner = _Writer(self.language, block)
            for key, member in spec.fields.items():
                inner.field(key, member, indent + 2)
        elif isinstance(spec, schema.ListOf):
            block.append(lead)
            _Writer(self.language, block).item(spec.item, indent + 2)
        else:
            block.append(f"{lead} {self.value(name, field)}")
        if not field.required:  # commented out at the field's indent, help lines as they are
            block = [line if line.lstrip().startswith("#")
                     else line[:indent] + "# " + line[indent:] for line in block]
        self.lines += block

    def item(self, spec: Spec, indent: int) -> None:
        """Write one list item: a text, or a mapping whose first key follows the dash."""
        if not isinstance(spec, Object):
            self.lines.append(" " * indent + "- " + self.value("", Field(spec)))
            return
        for number, (key, inner) in enumerate(spec.fields.items()):
            self.comment(inner.spec.description, indent if number == 0 else indent + 2)
            prefix = " " * indent + ("- " if number == 0 else "  ")
            self.lines.append(f"{prefix}{key}: {self.value(key, inner)}")

    def value(self, name: str, field: Field) -> str:
        """Return what a required value is written as: template text, or a valid example."""
        spec = field.spec
        if isinstance(spec, schema.Figure):
            return f"{spec.rank}  # the figure, as a plain number"
        if isinstance(spec, schema.Integer):
            return str(field.default if field.default is not None else spec.example)
        if isinstance(spec, schema.Choice):
            return field.default or spec.choices[0]
        if isinstance(spec, schema.Url):
            return schema.TEMPLATE_URL
        if isinstance(spec, schema.Date):
            return spec.example or "n.d."
        if spec.example or spec.script == schema.CODE:
            return spec.example or ""
        script = {schema.OTHER: self.other, schema.LATIN: "en"}.get(spec.script, self.language)
        return schema.TEMPLATE_TEXT[script]


def _plain_or_quoted(text: str) -> str:
    """Return a value as YAML reads it back exactly: plain when it is a code, else quoted
    (a JSON string is a YAML one)."""
    return text if re.fullmatch(r"[a-z][a-z0-9-]*", text) else json.dumps(text,
                                                                           ensure_ascii=False)


def problem_with(handout_id: str, language: str) -> str | None:
    """Return why a new handout cannot have this id or language; None when it can."""
    spec = schema.HANDOUT.fields["id"].spec
    if not re.fullmatch(spec.pattern, handout_id) or len(handout_id) > spec.max_length:
        return (f"'{handout_id}' is not a handout id: use {spec.pattern_hint}, at most "
                f"{spec.max_length} characters (for example account-manager)")
    if language not in schema.LANGUAGES:
        return f"unknown language '{language}'; use one of {', '.join(schema.LANGUAGES)}"
    return None
