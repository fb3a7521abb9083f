"""Check loaded sources against the declared format and the handout's own rules.

`validate_sources` reports every problem of every file in one pass and returns a `Handout` for
each file that has no error.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import schema
from .load import LoadedSource
from .model import Diagnostic, Handout, Reference, Salary, Severity, Term, TermList

DEFAULT_PAGE_BUDGET = 2

ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split())

_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
                       re.IGNORECASE)

# How YAML 1.1 read an unquoted scalar that was meant as text.
_TAG_NAMES = {
    "tag:yaml.org,2002:bool": "a yes/no value",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:null": "nothing",
}
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


class _Invalid:
    """Marks a value that failed its check (already reported)."""


INVALID = _Invalid()


@dataclass
class _Checker:
    display: str
    diagnostics: list[Diagnostic]

    def error(self, node: Node, message: str, rule: str) -> None:
        mark = node.start_mark
        self.diagnostics.append(
            Diagnostic(self.display, mark.line + 1, mark.column + 1, Severity.ERROR, message, rule))

    def check(self, node: Node, spec: schema.Spec, name: str):
        """Return the plain value of `node`, or INVALID after reporting why it is wrong."""
        match spec:
            case schema.Object():
                return self._object(node, spec, name)
            case schema.ListOf():
                return self._list(node, spec, name)
            case schema.Number() | schema.Integer():
                return self._number(node, spec, name)
            case _:
                text = self._text(node, name)
                if text is INVALID:
                    return INVALID
                return self._text_rules(node, spec, name, text)

    def _describe(self, node: Node) -> str:
        if isinstance(node, MappingNode):
            return "a mapping"
        if isinstance(node, SequenceNode):
            return "a list"
        return _TAG_NAMES.get(node.tag, "text")

    def _text(self, node: Node, name: str):
        if not isinstance(node, ScalarNode):
            self.error(node, f"'{name}' must be text, not {self._describe(node)}", "schema.type")
            return INVALID
        if node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~"):
            self.error(node, f"'{name}' is empty", "text.empty")
            return INVALID
        if node.tag != _STR:
            self.error(node, f"'{name}' must be text, but YAML reads {node.value} as "
                             f"{self._describe(node)}; put it in quotes: \"{node.value}\"",
                       "schema.type")
            return INVALID
        if not node.value.strip():
            self.error(node, f"'{name}' is empty", "text.empty")
            return INVALID
        return node.value.strip()

    def _text_rules(self, node: Node, spec: schema.Spec, name: str, text: str):
        if isinstance(spec, schema.Text) and spec.pattern:
            if not re.fullmatch(spec.pattern, text):
                self.error(node, f"'{name}' must be {spec.pattern_hint}, not '{text}'",
                           "schema.format")
                return INVALID
        if isinstance(spec, schema.Choice) and text not in spec.choices:
            choices = ", ".join(spec.choices)
            self.error(node, f"'{name}' must be one of {choices}, not '{text}'", "schema.choice")
            return INVALID
        if isinstance(spec, schema.Url) and not _is_web_url(text):
            self.error(node, f"'{name}' must be a full http:// or https:// address, "
                             f"not '{text}'", "url.invalid")
            return INVALID
        return text

    def _number(self, node: Node, spec: schema.Number | schema.Integer, name: str):
        kind = "a whole number" if isinstance(spec, schema.Integer) else "a number"
        allowed = (_INT,) if isinstance(spec, schema.Integer) else (_INT, _FLOAT)
        if not isinstance(node, ScalarNode) or node.tag not in allowed:
            found = self._describe(node)
            hint = ""
            if isinstance(node, ScalarNode) and node.tag == _STR:
                found = f"'{node.value}'"
                digits = re.sub(r"[^\d.]", "", node.value)
                if digits and re.fullmatch(r"[$€£៛]?\s?[\d,. ]+\s?[$€£៛]?", node.value):
                    hint = f"; write it as a plain number: {digits}"
            elif node.tag == "tag:yaml.org,2002:null":
                found = "nothing"
            self.error(node, f"'{name}' must be {kind}, not {found}{hint}", "schema.type")
            return INVALID
        value = int(node.value.replace("_", "")) if node.tag == _INT else float(node.value)
        if isinstance(spec, schema.Integer) and not spec.minimum <= value <= spec.maximum:
            self.error(node, f"'{name}' must be between {spec.minimum} and {spec.maximum}, "
                             f"not {value}", "schema.range")
            return INVALID
        return value

    def _list(self, node: Node, spec: schema.ListOf, name: str):
        if not isinstance(node, SequenceNode):
            if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
                self.error(node, f"'{name}' is empty", "text.empty")
            else:
                self.error(node, f"'{name}' must be a list (items starting with '- '), "
                                 f"not {self._describe(node)}", "schema.type")
            return INVALID
        if len(node.value) < spec.min_items:
            self.error(node, f"'{name}' needs at least {spec.min_items} item(s)", "schema.required")
            return INVALID
        values = [self.check(item, spec.item, name) for item in node.value]
        return INVALID if any(v is INVALID for v in values) else values

    def _object(self, node: Node, spec: schema.Object, name: str):
        if not isinstance(node, MappingNode):
            self.error(node, f"'{name}' must be a mapping of keys to values, "
                             f"not {self._describe(node)}", "schema.type")
            return INVALID
        values: dict = {}
        failed = False
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key not in spec.fields:
                self._unknown_key(key_node, key, spec)
                failed = True
                continue
            if key in values:  # a duplicate key, already reported by the loader
                continue
            value = self.check(value_node, spec.fields[key].spec, key)
            values[key] = value
            failed |= value is INVALID
        for key, f in spec.fields.items():
            if f.required and key not in values:
                self.error(node, f"missing required key '{key}' in {spec.name}", "schema.required")
                failed = True
        return INVALID if failed else values

    def _unknown_key(self, key_node: Node, key: str | None, spec: schema.Object) -> None:
        shown = key if key is not None else "(not text)"
        message = f"unknown key '{shown}' in {spec.name}"
        close = difflib.get_close_matches(str(key), list(spec.fields), n=1, cutoff=0.6)
        if close:
            message += f"; did you mean '{close[0]}'?"
        else:
            message += "; expected one of: " + ", ".join(spec.fields)
        self.error(key_node, message, "schema.unknown-key")


def _is_web_url(text: str) -> bool:
    if any(c.isspace() for c in text) or any(c in text for c in "<>\"'`"):
        return False
    try:
        parts = urlsplit(text)
        port = parts.port  # noqa: F841 - raises on a malformed port
    except ValueError:
        return False
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and bool(_HOSTNAME.fullmatch(host))


def _find(node: MappingNode, *path: str | int) -> Node:
    """Return the node at a path of keys and indexes (the mapping itself if absent)."""
    current: Node = node
    for step in path:
        if isinstance(step, int) and isinstance(current, SequenceNode):
            current = current.value[step]
            continue
        for key, value in getattr(current, "value", ()):
            if isinstance(key, ScalarNode) and key.value == step:
                current = value
                break
    return current


def _salary_rules(check: _Checker, root: MappingNode, salary: dict) -> None:
    def at(*path):
        return _find(root, "salary", *path)

    if salary["currency"] not in ISO_4217:
        check.error(at("currency"), f"unknown currency code '{salary['currency']}'; use an ISO "
                                    "4217 code such as USD or KHR", "salary.currency")
    order = ["base_min", "average", "base_max", "top"]
    present = [k for k in order if k in salary]
    positive = True
    for key in present:
        if salary[key] <= 0:
            check.error(at(key), f"salary '{key}' must be above zero, not {salary[key]:g}",
                        "salary.positive")
            positive = False
    if positive:
        for low, high in zip(present, present[1:], strict=False):
            if salary[low] > salary[high]:
                check.error(at(high), f"salary '{high}' ({salary[high]:g}) is below '{low}' "
                                      f"({salary[low]:g}); figures must rise: "
                                      "base_min ≤ average ≤ base_max ≤ top", "salary.order")
    known = set(present)
    for index, paragraph in enumerate(salary["narrative"]):
        for _, field, spec, _ in string.Formatter().parse(paragraph.replace("{{", "").replace(
                "}}", "")):
            if field is None:
                continue
            if field not in known or spec:
                names = ", ".join("{" + k + "}" for k in order if k in known)
                check.error(at("narrative", index), f"unknown placeholder '{{{field}}}' in the "
                                                    f"salary narrative; use one of {names}",
                            "salary.placeholder")


def _handout(values: dict, source: Path) -> Handout:
    salary = values["salary"]
    return Handout(
        id=values["id"],
        language=values["language"],
        title=values["title"],
        title_other=values.get("title_other"),
        introduction=tuple(values["introduction"]),
        values=TermList(values["values"]["lead"],
                        tuple(Term(**item) for item in values["values"]["items"])),
        career_path=tuple(values["career_path"]),
        salary=Salary(
            currency=salary["currency"], period=salary["period"], country=salary["country"],
            base_min=salary["base_min"], base_max=salary["base_max"],
            average=salary["average"], top=salary.get("top"),
            narrative=tuple(salary["narrative"])),
        tips=tuple(values["tips"]),
        references=tuple(Reference(**ref) for ref in values["references"]),
        labels=dict(values.get("labels", {})),
        page_budget=values.get("page_budget", DEFAULT_PAGE_BUDGET),
        more_info_url=values.get("more_info_url"),
        digits=values.get("digits", "latin"),
        source=source,
    )


def validate_source(loaded: LoadedSource) -> tuple[Handout | None, list[Diagnostic]]:
    """Check one loaded source; return its Handout (None on error) and its diagnostics."""
    diagnostics = list(loaded.diagnostics)
    if loaded.root is None:
        if not diagnostics:
            diagnostics.append(Diagnostic(loaded.display, 1, 1, Severity.ERROR,
                                          "file is empty", "schema.required"))
        return None, diagnostics
    check = _Checker(loaded.display, diagnostics)
    values = check.check(loaded.root, schema.HANDOUT, "handout")
    if values is INVALID:
        if isinstance(loaded.root, MappingNode):
            _report_partial_rules(check, loaded)
        return None, diagnostics
    _salary_rules(check, loaded.root, values["salary"])
    _filename_rule(check, loaded, values["id"])
    if any(d.is_error for d in diagnostics):
        return None, diagnostics
    return _handout(values, loaded.path), diagnostics


def _report_partial_rules(check: _Checker, loaded: LoadedSource) -> None:
    """Run the semantic rules whose own fields are valid, so one run shows every problem."""
    root = loaded.root
    salary_node = _find(root, "salary")
    if salary_node is not root:
        quiet = _Checker(check.display, [])
        salary = quiet.check(salary_node, schema.SALARY, "salary")
        if salary is not INVALID:
            _salary_rules(check, root, salary)
    id_node = _find(root, "id")
    if id_node is not root:
        quiet = _Checker(check.display, [])
        handout_id = quiet.check(id_node, schema.HANDOUT.fields["id"].spec, "id")
        if handout_id is not INVALID:
            _filename_rule(check, loaded, handout_id)


def _filename_rule(check: _Checker, loaded: LoadedSource, handout_id: str) -> None:
    if loaded.path.stem != handout_id or loaded.path.suffix != ".yaml":
        check.error(_find(loaded.root, "id"),
                    f"id '{handout_id}' does not match the file name '{loaded.path.name}'; "
                    f"name the file {handout_id}.yaml", "id.filename")


def validate_sources(sources: Iterable[LoadedSource]) -> tuple[list[Handout], list[Diagnostic]]:
    """Check every source and the rules between them; return the valid handouts and all
    diagnostics, sorted by file and position."""
    handouts: list[Handout] = []
    diagnostics: list[Diagnostic] = []
    first_use: dict[str, str] = {}
    for loaded in sources:
        handout, found = validate_source(loaded)
        diagnostics.extend(found)
        if handout is None:
            continue
        if handout.id in first_use:
            node = _find(loaded.root, "id")
            diagnostics.append(Diagnostic(
                loaded.display, node.start_mark.line + 1, node.start_mark.column + 1,
                Severity.ERROR, f"id '{handout.id}' is already used by {first_use[handout.id]}",
                "id.duplicate"))
            continue
        first_use[handout.id] = loaded.display
        handouts.append(handout)
    diagnostics.sort(key=Diagnostic.sort_key)
    return handouts, diagnostics
