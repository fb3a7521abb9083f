"""Check loaded sources against the declared format and the handout's own rules.

`validate_sources` reports every problem of every file in one pass and returns a `Handout` for
each file that has no error. A value that breaks a rule is left out and the checks go on: the
rules between values (salary order, placeholders, file name, duplicate ids) run on whatever
values are valid, so one wrong figure never hides another problem.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import difflib
import math
import os
import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import schema
from .config import Settings, load_labels, load_settings
from .khmer import invisible_only
from .load import CONTROL_CHARACTERS, LINE_END, LoadedSource
from .model import AUTHOR_CLASSES, Diagnostic, Handout, Severity, excerpt
from .text_checks import check_text

DEFAULT_PAGE_BUDGET = schema.DEFAULT_PAGE_BUDGET

# ISO 4217 currency codes in use.
_ISO_4217_CODES = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())

# The salary figures in the order they must rise, and the order messages list them in.
FIGURES = schema.RISING_FIGURES
PLACEHOLDERS = schema.FIGURES
# No salary anywhere is this high; a figure above it is a typo (or a float that lost digits).
MAX_FIGURE = 1_000_000_000_000
# Longest key name a message repeats; longer ones are cut (a key may be a pasted paragraph).
MAX_SHOWN_KEY = 40
# What a YAML escape ("\0", "\x1f", "\ud800") can put into a value that no file may hold.
_ESCAPED_CONTROL = re.compile(f"{CONTROL_CHARACTERS.pattern[:-1]}\r\ud800-\udfff]")

_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
                       re.IGNORECASE)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"
_VALUE = "tag:yaml.org,2002:value"  # YAML 1.1 reads a lone '=' with this tag; it is text
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

# How YAML 1.1 read an unquoted scalar that was meant as text.
_READS_AS = {
    "tag:yaml.org,2002:bool": "a yes/no value",
    _INT: "a number",
    _FLOAT: "a number",
    "tag:yaml.org,2002:timestamp": "a date",
    _NULL: "no value",
}
_SCALAR_TAGS = frozenset({_STR, _VALUE, *_READS_AS})
_DATE_TAGS = frozenset({"tag:yaml.org,2002:timestamp", _INT})

# Numbers as people write them and every YAML reader agrees on: no octal 043000, no 0x1F,
# no 1_000, no 1:30 (YAML 1.1 base 60), no .inf.
_PLAIN_NUMBER = re.compile(r"[-+]?(0|[1-9][0-9]*)(\.[0-9]*)?([eE][-+]?[0-9]+)?")
# A figure written with a currency sign, thousands separators or leading zeros.
_FORMATTED_NUMBER = re.compile(r"[$€£៛]?\s*(\d{1,3}([,_ ]\d{3})+|\d+)(\.\d+)?\s*[$€£៛]?")


class _Invalid:
    """Marks a value that failed its check (already reported)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()


def _number_text(value: float) -> str:
    """Return a figure as the source would write it: 43000, 2.5."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _tag_text(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


# A line of a plain (unquoted) text that YAML joined to the line before it, and that starts
# like a list item: the item was meant as the next one.
_CONTINUED_ITEM = re.compile(r"[ \t]*(-(?:[ \t].*|$))")
# What follows a plain text on its line when YAML took the rest as a comment.
_TRAILING_COMMENT = re.compile(r"[ \t]+#")


@dataclass
class _Checker:
    display: str
    diagnostics: list[Diagnostic]
    text: str = ""  # the file's text, which node marks index into

    def error(self, node: Node, message: str, rule: str) -> None:
        mark = node.start_mark
        self.diagnostics.append(
            Diagnostic(self.display, mark.line + 1, mark.column + 1, Severity.ERROR, message, rule))

    def warn(self, line: int, column: int, message: str, rule: str) -> None:
        """Add a warning at a 0-based line and column."""
        self.diagnostics.append(
            Diagnostic(self.display, line + 1, column + 1, Severity.WARNING, message, rule))

    def check(self, node: Node, spec: schema.Spec, name: str, key: str | None = None,
              item: bool = False):
        """Return the plain value of `node`, or INVALID after reporting why it is wrong.

        `name` is how messages call the value ("'title'", "'introduction' item 2"), `key` the
        key it is written under, `item` whether it is a list item. A mapping comes back with
        its invalid values left out.
        """
        tags = {MappingNode: {_MAP}, SequenceNode: {_SEQ}}.get(type(node), _SCALAR_TAGS)
        if node.tag not in tags:
            self.error(node, f"{name} has the YAML tag '{_tag_text(node.tag)}', which sources "
                             "do not use; remove it", "schema.type")
            return INVALID
        match spec:
            case schema.Object():
                return self._object(node, spec, name)
            case schema.ListOf():
                return self._list(node, spec, name, key)
            case schema.Number() | schema.Integer():
                return self._number(node, spec, name)
            case schema.Date() if isinstance(node, ScalarNode) and node.tag in _DATE_TAGS:
                # date: 2024-05-01 and date: 2016 mean what they say; no quotes needed.
                return self._text_rules(node, spec, name, node.value)
            case _:
                keep_spaces = isinstance(spec, schema.Text) and spec.keep_spaces
                text = self._text(node, name, keep_spaces)
                if text is INVALID:
                    return INVALID
                if _is_prose(spec):
                    self._swallowed_text(node, name, text, item)
                return self._text_rules(node, spec, name, text)

    def _empty(self, node: Node, name: str):
        self.error(node, f"{name} is empty", "value.empty")
        return INVALID

    def _wrong_kind(self, node: Node, name: str, expected: str, hint: str = ""):
        found = "a mapping" if isinstance(node, MappingNode) else "a list"
        self.error(node, f"{name} must be {expected}, not {found}{hint}", "schema.type")
        return INVALID

    def _text(self, node: Node, name: str, keep_spaces: bool = False):
        if isinstance(node, MappingNode):
            hint = ""
            if len(node.value) == 1 and all(isinstance(n, ScalarNode) for n in node.value[0]):
                hint = "; put text that contains ': ' in quotes"
            return self._wrong_kind(node, name, "text", hint)
        if isinstance(node, SequenceNode):
            return self._wrong_kind(node, name, "text")
        if node.tag == _NULL and node.value in ("", "~"):
            return self._empty(node, name)
        if node.tag not in (_STR, _VALUE):
            shown = excerpt(node.value)
            self.error(node, f"{name} must be text, but YAML reads {shown} as "
                             f"{_READS_AS[node.tag]}; put it in quotes: \"{shown}\"",
                       "schema.type")
            return INVALID
        control = _ESCAPED_CONTROL.search(node.value)
        if control:  # typed ones were blanked by the loader; these come from escapes
            self.error(node, f"{name} holds control character U+{ord(control.group()):04X} "
                             "(written as an escape); delete it", "text.control-char")
            return INVALID
        text = node.value if keep_spaces else node.value.strip()
        if text and not keep_spaces and invisible_only(text):
            shown = ", ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in text if not c.isspace()))
            self.error(node, f"{name} has no visible text, only invisible characters ({shown}); "
                             "write the text or remove the key", "value.empty")
            return INVALID
        return text if text else self._empty(node, name)

    def _swallowed_text(self, node: ScalarNode, name: str, text: str, item: bool) -> None:
        """Warn where YAML read an unquoted text otherwise than it looks: a list item joined
        to the item before it, or the rest of a line taken as a comment."""
        if node.style is not None or not self.text:
            return
        start, end = node.start_mark, node.end_mark
        raw = self.text[start.index:end.index]
        for offset, line in enumerate(raw.splitlines()[1:], start=1):
            dash = _CONTINUED_ITEM.fullmatch(line)
            if dash:
                where = "the next line" if offset == 1 else f"line {start.line + offset + 1}"
                hint = ("indent list items alike" if item else
                        "put the text in quotes, or start the list on the line after the key")
                self.warn(start.line, start.column,
                          f"{name} continues on {where} as '{excerpt(dash.group(1))}': YAML "
                          f"joins that line to the text; {hint}", "yaml.continued-item")
                break
        line_end = LINE_END.search(self.text, end.index)
        rest = self.text[end.index:line_end.start() if line_end else len(self.text)]
        comment = _TRAILING_COMMENT.match(rest)
        if comment:
            self.warn(end.line, end.column + comment.end() - 1,
                      f"' #' starts a comment in YAML, so {name} is only '{excerpt(text)}'; put "
                      "the text in quotes", "yaml.comment")

    def _text_rules(self, node: Node, spec: schema.Spec, name: str, text: str):
        if isinstance(spec, schema.Text) and spec.max_length and len(text) > spec.max_length:
            self.error(node, f"{name} is {len(text)} characters long; at most "
                             f"{spec.max_length} are allowed", "schema.length")
            return INVALID
        if isinstance(spec, schema.Text) and spec.pattern and \
                not re.fullmatch(spec.pattern, text):
            self.error(node, f"{name} must be {spec.pattern_hint}, not '{excerpt(text)}'",
                       "schema.format")
            return INVALID
        if isinstance(spec, schema.Date) and not _is_calendar_date(text):
            self.error(node, f"{name} is not a date in the calendar: '{excerpt(text)}'",
                       "schema.format")
            return INVALID
        if isinstance(spec, schema.Url) and len(text) > spec.max_length:
            self.error(node, f"{name} is {len(text)} characters long; at most "
                             f"{spec.max_length} are allowed: {spec.too_long_hint}",
                       "url.too-long")
            return INVALID
        if isinstance(spec, schema.Url) and _has_credentials(text):
            self.error(node, f"{name} must not hold a user name or password (the part before "
                             "'@'); printed handouts are public", "url.invalid")
            return INVALID
        if isinstance(spec, schema.Choice) and text not in spec.choices:
            message = f"{name} must be one of {', '.join(spec.choices)}, not '{excerpt(text)}'"
            close = difflib.get_close_matches(text, spec.choices, n=1, cutoff=0.6)
            if close:
                message += f"; did you mean '{close[0]}'?"
            self.error(node, message, "schema.choice")
            return INVALID
        if isinstance(spec, schema.Url) and not _is_web_url(text):
            message = f"{name} must be a full http:// or https:// address, not '{excerpt(text)}'"
            if "://" not in text and _is_web_url("https://" + text):
                message += f"; did you mean '{excerpt('https://' + text)}'?"
            self.error(node, message, "url.invalid")
            return INVALID
        return text

    def _number(self, node: Node, spec: schema.Number | schema.Integer, name: str):
        whole = isinstance(spec, schema.Integer)
        kind = "a whole number" if whole else "a number"
        if not isinstance(node, ScalarNode):
            return self._wrong_kind(node, name, kind)
        value = node.value
        if node.tag == _NULL and value in ("", "~"):
            return self._empty(node, name)
        number = None
        if node.tag in ((_INT,) if whole else (_INT, _FLOAT)) and _PLAIN_NUMBER.fullmatch(value):
            with contextlib.suppress(ValueError):  # '!!int 1.5': a tag that does not fit
                number = int(value) if node.tag == _INT else float(value)
        if number is None and whole and _PLAIN_NUMBER.fullmatch(value):
            # 1e5000 or 20 digits: a whole number, just out of range (YAML reads 1e5 as text).
            with contextlib.suppress(decimal.InvalidOperation, ValueError):
                exact = decimal.Decimal(value)
                if exact == exact.to_integral_value() and not \
                        spec.minimum <= exact <= spec.maximum:
                    self.error(node, f"{name} must be between {spec.minimum} and "
                                     f"{spec.maximum}, not {excerpt(value)}", "schema.range")
                    return INVALID
                if exact == exact.to_integral_value():
                    self.error(node, f"{name} must be a whole number, not '{value}'; write it "
                                     f"as a plain number: {int(exact)}", "schema.type")
                    return INVALID
        if number is None:
            hint = ""
            formatted = _FORMATTED_NUMBER.fullmatch(value.strip())
            plain = re.sub(r"^0+(?=\d)", "", re.sub(r"[^\d.]", "", _ascii_digits(value)))
            thousands = re.fullmatch(r"\s*(\d+)\s*[kK]\s*", value)
            if thousands:
                hint = f"; write it as a plain number: {int(thousands.group(1)) * 1000}"
            elif formatted and (not whole or "." not in plain):
                if not value.isascii():
                    hint = f"; write it with the digits 0-9, without quotes: {excerpt(plain)}"
                elif plain != value:
                    hint = f"; write it as a plain number: {excerpt(plain)}"
                elif node.tag == _STR:
                    hint = f"; write it without quotes: {excerpt(plain)}"
            self.error(node, f"{name} must be {kind}, not '{excerpt(value)}'{hint}", "schema.type")
            return INVALID
        if whole and not spec.minimum <= number <= spec.maximum:
            self.error(node, f"{name} must be between {spec.minimum} and {spec.maximum}, "
                             f"not {number}", "schema.range")
            return INVALID
        return number

    def _list(self, node: Node, spec: schema.ListOf, name: str, key: str | None):
        if isinstance(node, ScalarNode):
            if node.tag == _NULL and node.value in ("", "~"):
                return self._empty(node, name)
            self.error(node, f"{name} must be a list (items starting with '- '), not text",
                       "schema.type")
            return INVALID
        if not isinstance(node, SequenceNode):
            return self._wrong_kind(node, name, "a list (items starting with '- ')")
        if not node.value:
            return self._empty(node, name)
        if len(node.value) < spec.min_items:
            self.error(node, f"{name} needs at least {spec.min_items} items", "schema.required")
            return INVALID
        item_name = f"'{key}' item" if key else f"{name} item"
        return [self.check(item, spec.item, f"{item_name} {number}", item=True)
                for number, item in enumerate(node.value, start=1)]

    def _object(self, node: Node, spec: schema.Object, name: str):
        if isinstance(node, ScalarNode):
            if node.tag == _NULL and node.value in ("", "~"):
                return self._empty(node, name)
            self.error(node, f"{name} must be a mapping of keys to values, not text",
                       "schema.type")
            return INVALID
        if not isinstance(node, MappingNode):
            return self._wrong_kind(node, name, "a mapping of keys to values")
        values: dict = {}
        seen: set[str] = set()
        misspelt: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is not None and key in seen:  # a duplicate, already reported by the loader
                continue
            if key is not None:
                seen.add(key)
            if key not in spec.fields:
                close = self._unknown_key(key_node, key, spec, name)
                if close and close not in {k.value for k, _ in node.value
                                           if isinstance(k, ScalarNode)}:
                    # A misspelt key: check what is under it as if spelt right, so that its
                    # problems show in this run, not after the key is fixed (and do not
                    # also call the right key missing).
                    self.check(value_node, spec.fields[close].spec, f"'{key}'", key)
                    misspelt.add(close)
                continue
            child = f"'{key}'" if spec is schema.HANDOUT else f"'{key}' in {name}"
            value = self.check(value_node, spec.fields[key].spec, child, key)
            if value is not INVALID:
                values[key] = value
        for key, field in spec.fields.items():
            if field.required and key not in seen and key not in misspelt:
                self.error(node, f"missing required key '{key}' in {name}", "schema.required")
        return values

    def _unknown_key(self, key_node: Node, key: str | None, spec: schema.Object,
                     name: str) -> str | None:
        """Report an unknown key; return the key it is close to, if any."""
        shown = key if key is not None else "(not text)"
        if len(shown) > MAX_SHOWN_KEY:
            shown = shown[:MAX_SHOWN_KEY - 1] + "…"
        message = f"unknown key '{shown}' in {name}"
        close = difflib.get_close_matches(str(key), list(spec.fields), n=1, cutoff=0.6)
        if close:
            message += f"; did you mean '{close[0]}'?"
        else:
            message += "; expected one of: " + ", ".join(spec.fields)
        self.error(key_node, message, "schema.unknown-key")
        return close[0] if close else None


def _is_prose(spec: schema.Spec) -> bool:
    """Return whether a value is free text or an address (not a code, a choice or a date)."""
    return isinstance(spec, schema.Url) or (
        type(spec) is schema.Text and spec.pattern is None and not spec.keep_spaces)


def _is_web_url(text: str) -> bool:
    if any(c.isspace() for c in text) or any(c in text for c in "<>\"'`\\"):
        return False
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a malformed port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return False
    return parts.scheme in ("http", "https") and bool(_HOSTNAME.fullmatch(host))


def _has_credentials(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.username is not None or parts.password is not None


def _is_calendar_date(text: str) -> bool:
    """Return whether a year, year-month or year-month-day exists (n.d. passes)."""
    if text == "n.d.":
        return True
    parts = [int(part) for part in text.split("-")] + [1, 1]
    try:
        datetime.date(*parts[:3])
    except ValueError:
        return False
    return True


def _ascii_digits(text: str) -> str:
    """Return text with Khmer, full-width and other decimal digits written 0-9."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def _find(node: Node, *path: str | int) -> Node:
    """Return the node at a path of keys and list indexes (the last one found if absent)."""
    current = node
    for step in path:
        if isinstance(step, int):
            if isinstance(current, SequenceNode) and step < len(current.value):
                current = current.value[step]
            continue
        if isinstance(current, MappingNode):
            for key, value in current.value:
                if isinstance(key, ScalarNode) and key.value == step:
                    current = value
                    break
    return current


def _salary_rules(check: _Checker, node: MappingNode, salary: dict) -> None:
    """Check the valid salary values against each other; `node` is the salary mapping."""
    currency = salary.get("currency")
    if currency is not None and currency not in ISO_4217:
        check.error(_find(node, "currency"), f"unknown currency code '{excerpt(currency)}' in "
                                         "'salary'; "
                                             "use an ISO 4217 code such as USD or KHR",
                    "salary.currency")
    rising = []
    for key in FIGURES:
        if key not in salary:
            continue
        value, written = salary[key], excerpt(_find(node, key).value)
        if value <= 0:
            check.error(_find(node, key), f"'{key}' in 'salary' must be above zero, "
                                          f"not {_number_text(value)}", "salary.positive")
        elif not math.isfinite(value) or value > MAX_FIGURE:
            check.error(_find(node, key), f"'{key}' in 'salary' is {written}; no salary is "
                                          f"above {MAX_FIGURE:,}: check the figure",
                        "salary.range")
        elif round(value, 2) != value:
            check.error(_find(node, key), f"'{key}' in 'salary' is {written}; figures have at "
                                          "most two decimal places", "salary.range")
        else:
            rising.append(key)
    for low, high in pairwise(rising):
        if salary[low] > salary[high]:
            check.error(_find(node, high),
                        f"'{high}' in 'salary' ({_number_text(salary[high])}) is below "
                        f"'{low}' ({_number_text(salary[low])}); the figures must rise: "
                        + " ≤ ".join(FIGURES), "salary.order")
    written = {key.value for key, _ in node.value if isinstance(key, ScalarNode)}
    for index, paragraph in enumerate(salary.get("narrative", ())):
        if paragraph is not INVALID:
            _placeholder_rules(check, _find(node, "narrative", index), paragraph,
                               f"'narrative' item {index + 1}", written)


def _country_rule(check: _Checker, node: MappingNode, country: str | None,
                  language: str | None) -> None:
    """Warn when the quick facts would print a bare country code for want of a name."""
    if country is None or language is None:
        return
    if country not in load_labels(language).countries:
        check.diagnostics.append(Diagnostic(
            check.display, *_line_column(_find(node, "country")), Severity.WARNING,
            f"country '{excerpt(country)}' has no name in templates/labels/{language}.yaml, so "
            f"the quick facts show the code '{excerpt(country)}'; add it there",
            "salary.country"))


def _line_column(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _placeholder_rules(check: _Checker, node: Node, text: str, name: str,
                       written: set[str]) -> None:
    """Check the {placeholders} of one salary paragraph; `written` holds the salary's keys."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        check.error(node, f"{name} has a '{{' or '}}' without its pair; write '{{{{' or "
                          "'}}' for a brace that is part of the text", "salary.placeholder")
        return
    reported = set()
    for _, field, format_spec, conversion in parts:
        if field is None or (field, format_spec, conversion) in reported:
            continue
        reported.add((field, format_spec, conversion))
        shown = excerpt("{" + field + (f"!{conversion}" if conversion else "") +
                        (f":{format_spec}" if format_spec else "") + "}")
        if field in FIGURES and (format_spec or conversion):
            check.error(node, f"placeholder '{shown}' in {name} must be just '{{{field}}}'; "
                              "the figure is formatted for you", "salary.placeholder")
        elif field in FIGURES and field not in written:
            check.error(node, f"{name} uses '{{{field}}}' but 'salary' has no '{field}'; "
                              "add the figure or remove the placeholder", "salary.placeholder")
        elif field not in FIGURES:
            close = difflib.get_close_matches(field, PLACEHOLDERS, n=1, cutoff=0.6)
            hint = (f"did you mean '{{{close[0]}}}'?" if close else
                    "use one of " + ", ".join("{" + k + "}" for k in PLACEHOLDERS))
            check.error(node, f"unknown placeholder '{shown}' in {name}; {hint}",
                        "salary.placeholder")


def _filename_rule(check: _Checker, loaded: LoadedSource, handout_id: str) -> None:
    if _named_after(loaded, handout_id):
        return
    stem = loaded.path.stem
    name = excerpt(loaded.path.name)
    id_spec = schema.HANDOUT.fields["id"].spec
    if re.fullmatch(id_spec.pattern, stem) and len(stem) <= id_spec.max_length:
        # Most often a copied source whose id was not changed: say what to change first.
        message = (f"id '{handout_id}' does not match the file name '{name}'; write id: "
                   f"{stem} (or name the file {handout_id}.yaml)")
    else:
        # The file name would make an invalid id (A_B.yaml): the file is what to rename.
        message = (f"id '{handout_id}' does not match the file name '{name}'; name the file "
                   f"{handout_id}.yaml (an id is {id_spec.pattern_hint})")
    check.error(_find(loaded.root, "id"), message, "id.filename")


def _related_rule(check: _Checker, loaded: LoadedSource, handout_id: str | None,
                  related: list) -> None:
    """A suggested career must have its source beside this one (its title is printed)."""
    items = _find(loaded.root, "related").value
    folder = loaded.path.parent
    for node, other in zip(items, related, strict=True):
        if other is INVALID:
            continue
        if other == handout_id:
            check.error(node, f"'related' names this handout itself ('{other}')",
                        "related.self")
        elif not (folder / f"{other}.yaml").is_file():
            message = f"'related' names '{other}', but there is no {other}.yaml beside this source"
            close = difflib.get_close_matches(
                other, sorted(p.stem for p in folder.glob("*.yaml")), n=1, cutoff=0.6)
            if close:
                message += f"; did you mean '{close[0]}'?"
            check.error(node, message, "related.unknown")


def _named_after(loaded: LoadedSource, handout_id: str) -> bool:
    return loaded.path.name == f"{handout_id}.yaml"


def _handout(values: dict, source: Path) -> Handout:
    """Return the valid values as a Handout, optional fields given their declared defaults."""
    return schema.instantiate(schema.HANDOUT, values, AUTHOR_CLASSES, source=source)


def _validate(loaded: LoadedSource,
              coeng_da: bool = False) -> tuple[dict, Handout | None, list[Diagnostic]]:
    """Check one source; return its valid values, its Handout (None on error), diagnostics.

    `coeng_da` reports coeng DA too (the check_coeng_da setting).
    """
    diagnostics = list(loaded.diagnostics)
    root = loaded.root
    if root is None or (isinstance(root, ScalarNode) and root.tag == _NULL and not root.value):
        if not diagnostics:  # nothing but comments, or a bare '---'
            diagnostics.append(Diagnostic(loaded.display, 1, 1, Severity.ERROR,
                                          "file is empty", "value.empty"))
        return {}, None, diagnostics
    check = _Checker(loaded.display, diagnostics, loaded.text)
    values = check.check(root, schema.HANDOUT, "the handout")
    if values is INVALID:
        diagnostics.extend(f.diagnostic for f in check_text(loaded, loaded.text, coeng_da))
        return {}, None, diagnostics
    if isinstance(values.get("salary"), dict):
        _salary_rules(check, _find(root, "salary"), values["salary"])
        _country_rule(check, _find(root, "salary"), values["salary"].get("country"),
                      values.get("language"))
    if "id" in values:
        _filename_rule(check, loaded, values["id"])
    if isinstance(values.get("related"), list):
        _related_rule(check, loaded, values.get("id"), values["related"])
    # Khmer spelling, spacing and glyph checks need only the text values, valid or not.
    diagnostics.extend(f.diagnostic for f in check_text(loaded, loaded.text, coeng_da))
    if any(d.is_error for d in diagnostics):
        return values, None, diagnostics
    return values, _handout(values, loaded.path), diagnostics


def validate_source(loaded: LoadedSource,
                    settings: Settings | None = None) -> tuple[Handout | None, list[Diagnostic]]:
    """Check one loaded source; return its Handout (None on error) and its diagnostics."""
    settings = settings or load_settings()
    _, handout, diagnostics = _validate(loaded, settings.check_coeng_da)
    return handout, diagnostics


def validate_sources(sources: Iterable[LoadedSource], settings: Settings | None = None,
                     ) -> tuple[list[Handout], list[Diagnostic]]:
    """Check every source and the rules between them; return the valid handouts and all
    diagnostics, sorted by file and position.

    Without `settings`, the project's handouts.yaml is read (a broken one raises SetupError).
    """
    settings = settings or load_settings()
    results = []
    users: dict[str, list[str]] = {}
    diagnostics: list[Diagnostic] = []
    seen: set[str] = set()
    for loaded in sources:
        # One file named twice is checked once. A second name through a symbolic link is
        # a source of its own (and told that its name does not match its id).
        key = os.path.abspath(loaded.path)
        if key in seen:
            continue
        seen.add(key)
        values, handout, found = _validate(loaded, settings.check_coeng_da)
        diagnostics.extend(found)
        results.append((loaded, values.get("id"), handout))
        # A file not named after its id is told so (id.filename); the file that is keeps
        # its id undisturbed by the copy.
        if "id" in values and _named_after(loaded, values["id"]):
            users.setdefault(values["id"], []).append(loaded.display)
    handouts: list[Handout] = []
    for loaded, handout_id, handout in results:
        others = sorted(set(users.get(handout_id, ())) - {loaded.display})
        if len(users.get(handout_id, ())) > 1:
            node = _find(loaded.root, "id")
            # Every file that shares the id is told, whatever order the files came in.
            diagnostics.append(Diagnostic(
                loaded.display, node.start_mark.line + 1, node.start_mark.column + 1,
                Severity.ERROR, f"id '{handout_id}' is also used by {', '.join(others)}",
                "id.duplicate"))
        elif handout is not None:
            handouts.append(handout)
    diagnostics.sort(key=Diagnostic.sort_key)
    return handouts, diagnostics


# What a source copied from another and left as it was gives away: a career's own name,
# its address, its sources.
_OWN_CONTENT = ("title", "title_other", "more_info_url", "references")


def copied_content(sources: Iterable[LoadedSource]) -> list[Diagnostic]:
    """Warn where two sources share a title, an English title, a QR address or their whole
    reference list: most often a source copied from another whose text was not all changed.
    """
    seen: dict[tuple[str, str], list[tuple[LoadedSource, Node]]] = {}
    for loaded in sources:
        if not isinstance(loaded.root, MappingNode):
            continue
        for key, value in loaded.root.value:
            if isinstance(key, ScalarNode) and key.value in _OWN_CONTENT:
                content = _content(value)
                if not schema.is_template_text(content):  # `make new`'s: reported already
                    seen.setdefault((key.value, content), []).append((loaded, value))
    diagnostics = []
    for (key, _), holders in seen.items():
        if len(holders) < 2:
            continue
        for loaded, node in holders:
            # A link to the same file is no copy (its name is reported on its own).
            others = sorted({other.display for other, _ in holders
                             if other.path.resolve() != loaded.path.resolve()})
            if not others:
                continue
            what = "the whole reference list" if key == "references" else f"'{key}'"
            diagnostics.append(Diagnostic(
                loaded.display, *_line_column(node), Severity.WARNING,
                f"{what} is the same as in {', '.join(others)}; a source copied from "
                "another keeps that career's text until it is rewritten", "source.copied"))
    return diagnostics


def _content(node: Node) -> str:
    """Return a value's text for comparison: its scalars, spaces evened out, in order."""
    if isinstance(node, ScalarNode):
        return " ".join(node.value.split())
    if isinstance(node, SequenceNode):
        return "\0".join(_content(item) for item in node.value)
    if isinstance(node, MappingNode):
        return "\0".join(f"{_content(k)}\1{_content(v)}" for k, v in node.value)
    return ""
