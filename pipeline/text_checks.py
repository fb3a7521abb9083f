"""Khmer text checks on a loaded source, each pointing at its line and column, and safe fixes.

Errors are text that would print wrongly: a cluster HarfBuzz repairs with a dotted circle, a
character no bundled font has, legacy Limon-font text. Warnings are spelling and spacing
slips that print fine but break search, sorting and copy-paste; the unambiguous ones carry an
`Edit` that `fix` applies to the file in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pheasa
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import schema
from .fonts import glyph_problems
from .khmer import has_khmer, invisible_only, script_runs
from .load import CONTROL_CHARACTERS, LoadedSource, line_starts
from .model import Diagnostic, Severity, excerpt

# Invisible characters: the build inserts its own word breaks, and the others hide in text.
_INVISIBLE = {"\u200b": "ZERO WIDTH SPACE", "\u200c": "ZERO WIDTH NON-JOINER",
              "\u200d": "ZERO WIDTH JOINER", "\u2060": "WORD JOINER",
              "\ufeff": "ZERO WIDTH NO-BREAK SPACE", "\u00ad": "SOFT HYPHEN",
              "\u200e": "LEFT-TO-RIGHT MARK", "\u200f": "RIGHT-TO-LEFT MARK",
              "\u061c": "ARABIC LETTER MARK"}
# Removing these never changes what a reader sees; ZWNJ and ZWJ can select Khmer glyph forms.
_REMOVABLE = {"\u200b", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f", "\u061c"}

_COENG_DA = "\u17d2\u178a"
_KHMER_NUMBER = re.compile("[\u17e0-\u17e9]+")
_LATIN_NUMBER = re.compile("[0-9]+")
# Limon fonts map Khmer glyphs onto ASCII and Latin-1: words such as "GñkRKb;RKgKNnI" mix
# capitals into lower case and put ; [ ] \\ inside words. Possessive quantifiers: a long run
# of letters must not make the search backtrack (it took minutes on a 200 KB line), and the
# first form starts only where a run of letters starts (trying every letter of the run as a
# start made the search quadratic: 1.9 s for 40,000 letters).
_LIMON_WORD = re.compile(r"(?<![A-Za-z\u00c0-\u00ff])"
                         r"[A-Za-z\u00c0-\u00ff]++(?:[;\[\]\\|`][A-Za-z\u00c0-\u00ff]++)++"
                         r"|[a-z\u00df-\u00ff][A-Z\u00c0-\u00de][A-Za-z\u00c0-\u00ff]*+")
# Names written in camel case, which Limon's one-letter case flips resemble: PowerPoint,
# LinkedIn, YouTube, iPhone, eBay, MySQL, iOS, McDonald's. Plain ASCII letters only.
_CAMEL_CASE_NAME = re.compile(r"(?:[a-z]++|[A-Z][a-z]++)(?:[A-Z][a-z]++)*+[A-Z]*+")
# Words are split at spaces and at what joins English words: iOS/Android, e-mail, U.S.
_WORD_SPLIT = re.compile(r"[\s/\-–—.,:!?()\"“”«»&+]+")
# A word (a run of non-spaces), where web and e-mail addresses are looked for. A regular
# expression for them backtracked quadratically on a long run of letters (6.7 s for 40,000).
_WORD = re.compile(r"\S+")
# Bidirectional controls reorder the characters around them when printed: the handout would
# say something else than the source reads in an editor (the "Trojan Source" trick).
_BIDI_CONTROLS = {chr(c): f"U+{c:04X}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
# pheasa's structure issues that print wrongly: a coeng without its consonant (V1), a mark
# that does not fit its syllable (V4) or has no base (V5).
_BROKEN_STRUCTURE = frozenset({"V1", "V4", "V5"})
# A sign typed twice (កំំ, ក់់): HarfBuzz stacks both where one is seen.
_DOUBLED_SIGN = re.compile("([\u17c6-\u17d1\u17d3\u17dd])\\1")
# Salary placeholders are filled in only in the salary narrative.
_PLACEHOLDER = re.compile(r"\{(" + "|".join(schema.FIGURES) + r")\}")


@dataclass(frozen=True)
class Edit:
    """Replace file_text[start:end] with replacement."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Finding:
    diagnostic: Diagnostic
    edit: Edit | None = None
    description: str = ""  # what the edit does, for `fix` to print


# A cluster a message spells out code point by code point; a longer one (a run of marks) is
# cut, so that the line stays readable.
_MAX_SPELLED = 12


def _codepoints(text: str) -> str:
    points = " ".join(f"U+{ord(c):04X}" for c in text[:_MAX_SPELLED])
    return points + " …" if len(text) > _MAX_SPELLED else points


def _quoted(text: str) -> str:
    return excerpt(text, _MAX_SPELLED * 2)


class _Scalar:
    """A text value and where each of its characters stands in the file."""

    def __init__(self, node: ScalarNode, file_text: str, field: str,
                 spec: schema.Spec | None) -> None:
        self.node = node
        self.value = node.value
        self.field = field
        # What schema.py declares of the field (None under a key it does not know).
        self.script = getattr(spec, "script", schema.LANGUAGE)
        self.placeholders = getattr(spec, "placeholders", False)
        # Align with the text as parsed: the loader blanked control characters to spaces.
        raw = CONTROL_CHARACTERS.sub(" ", file_text[node.start_mark.index:node.end_mark.index])
        self.positions = self._align(raw, node.start_mark.index)
        self.file_text = file_text

    def _align(self, raw: str, base: int) -> list[int] | None:
        """Map each value character to its file index; None if escapes make that unsure."""
        positions = []
        k = 0
        for char in self.value:
            while k < len(raw) and raw[k] != char:
                if raw[k] == "\\" and self.node.style == '"':
                    return None
                k += 1
            if k == len(raw):
                return None
            positions.append(base + k)
            k += 1
        return positions

    def where(self, offset: int) -> int:
        """Return the file index of a value offset (the value's start when unsure)."""
        if self.positions is None or not self.positions:
            return self.node.start_mark.index
        return self.positions[min(offset, len(self.positions) - 1)]

    def is_typed(self, start: int, end: int) -> bool:
        """Return whether value[start:end] stands as such in the file."""
        if self.positions is None:
            return True
        first, last = self.positions[start], self.positions[end - 1] + 1
        return self.file_text[first:last] == self.value[start:end]

    def edit(self, start: int, end: int, replacement: str) -> Edit | None:
        """Return an Edit replacing value[start:end], only if it maps to one exact file span."""
        if self.positions is None:
            return None
        if start == end:  # an insertion between two characters that stand side by side
            if 0 < start < len(self.value) and \
                    self.positions[start] == self.positions[start - 1] + 1:
                return Edit(self.positions[start], self.positions[start], replacement)
            return None
        if not self.is_typed(start, end):
            return None
        return Edit(self.positions[start], self.positions[end - 1] + 1, replacement)


def _scalars(node: Node, file_text: str, spec: schema.Spec | None = schema.HANDOUT,
             field: str = "") -> Iterator[_Scalar]:
    """Yield every text value of the tree with its field name and its declaration."""
    if isinstance(node, MappingNode):
        fields = spec.fields if isinstance(spec, schema.Object) else {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else ""
            inner = fields[name].spec if name in fields else None
            yield from _scalars(value, file_text, inner, name)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _scalars(item, file_text,
                                spec.item if isinstance(spec, schema.ListOf) else None, field)
    elif isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:str" and node.value:
        yield _Scalar(node, file_text, field, spec)


class _Reporter:
    def __init__(self, display: str, file_text: str) -> None:
        self.display = display
        self.starts = line_starts(file_text)
        self.findings: list[Finding] = []

    def add(self, scalar: _Scalar, offset: int, severity: Severity, message: str, rule: str,
            edit: Edit | None = None, description: str = "") -> None:
        import bisect

        index = scalar.where(offset)
        line = bisect.bisect_right(self.starts, index)
        column = index - self.starts[line - 1] + 1
        self.findings.append(Finding(
            Diagnostic(self.display, line, column, severity, message, rule), edit, description))


def _top_level(root: Node, key: str, default: str) -> str:
    """Return a top-level setting as written (the validator checks its value)."""
    if isinstance(root, MappingNode):
        for name, value in root.value:
            if isinstance(name, ScalarNode) and name.value == key:
                return str(value.value)
    return default


def check_text(loaded: LoadedSource, file_text: str, coeng_da: bool = False) -> list[Finding]:
    """Return the Khmer text findings of a parsed source, in file order.

    With `coeng_da`, report each coeng DA (្ដ) too, for an office that writes coeng TA.
    """
    if loaded.root is None:
        return []
    report = _Reporter(loaded.display, file_text)
    khmer_handout = _top_level(loaded.root, "language", "km") == "km"
    digits = _top_level(loaded.root, "digits", "latin")
    for scalar in _scalars(loaded.root, file_text):
        if scalar.script == schema.CODE or invisible_only(scalar.value):
            continue  # codes are checked by the validator, and so is empty text
        if schema.is_template_text(scalar.value):
            report.add(scalar, 0, Severity.WARNING, f"template text still in '{scalar.field}'; "
                       "write the handout's own text", "text.template")
            continue  # the rest is for the author's text
        # Khmer by declaration: the handout's language in a Khmer handout, the other
        # language (its Khmer title) in an English one.
        khmer_field = (scalar.script == schema.LANGUAGE and khmer_handout) or \
            (scalar.script == schema.OTHER and not khmer_handout)
        circles = _check_glyphs(report, scalar)
        changes = _order_changes(scalar.value) if has_khmer(scalar.value) else ()
        if has_khmer(scalar.value):
            _check_structure(report, scalar, circles, changes)
        if khmer_field:
            _check_legacy(report, scalar)
            _check_digits(report, scalar, digits)
        if has_khmer(scalar.value):
            _check_order(report, scalar, changes, coeng_da)
            _check_khmer_spacing(report, scalar)
        _check_spacing(report, scalar)
        _check_invisible(report, scalar)
        _check_bidi(report, scalar)
        if not scalar.placeholders:
            _check_placeholders(report, scalar)
    report.findings.sort(key=lambda f: f.diagnostic.sort_key())
    return report.findings


def _check_glyphs(report: _Reporter, scalar: _Scalar) -> set[int]:
    """Report what the fonts cannot draw; return where dotted circles were reported."""
    circles = set()
    for problem in glyph_problems(scalar.value):
        if (CONTROL_CHARACTERS.fullmatch(problem.text) or problem.text in _BIDI_CONTROLS
                or "\ud800" <= problem.text[0] <= "\udfff"):
            continue  # reported as such, with a better message
        rule = "khmer.dotted-circle" if problem.kind == "dotted-circle" else "glyph.missing"
        report.add(scalar, problem.start, Severity.ERROR, problem.describe(), rule)
        if problem.kind == "dotted-circle":
            circles.update(range(problem.start, problem.start + len(problem.text)))
    return circles


def strip_addresses(text: str) -> str:
    """Return the text with each web or e-mail address replaced by a space."""
    return _WORD.sub(lambda word: _strip_address(word.group()), text)


def _strip_address(word: str) -> str:
    """Return a word without the address in it: from its start for x://y and x@y.z, from
    "www." for www.x; in linear time."""
    scheme = word.find("://", 1)
    if scheme != -1 and scheme + 3 < len(word):
        return " "
    at = word.find("@", 1)
    if at != -1 and word.find(".", at + 2, len(word) - 1) != -1:
        return " "
    www = word.find("www.")
    if www != -1 and www + 4 < len(word):
        return word[:www] + " "
    return word


def _order_changes(value: str) -> tuple:
    """Return pheasa's changes to put the value's clusters in canonical order.

    The report is slow to build (about 120 ms for a handout), and the plain normalisation is
    cheap: build it only for a text that normalising would change.
    """
    if pheasa.normalize(value, preserve_coeng_da=True) == value:
        return ()
    return pheasa.normalize(value, report=True, preserve_coeng_da=True).changes


def _check_structure(report: _Reporter, scalar: _Scalar, circles: set[int],
                     changes: tuple) -> None:
    """Report clusters that print wrongly without a dotted circle (HarfBuzz draws a coeng at
    a word's end, a vowel on a digit or a doubled sign silently)."""
    value = scalar.value
    # Misordered clusters HarfBuzz puts right are warnings of their own (khmer.cluster-order).
    reordered = {index for change in changes for index in range(change.start, change.end)}
    issues = [(i.start, i.end, i.message) for i in pheasa.validate(value)
              if i.code in _BROKEN_STRUCTURE and not reordered.intersection(range(i.start, i.end))]
    issues += [(m.start(), m.end(), "the same sign twice") for m in _DOUBLED_SIGN.finditer(value)]
    covered = 0  # one error per broken cluster, the first thing wrong with it
    for start, end, message in sorted(issues):
        if start < covered or circles.intersection(range(start, end)):
            continue  # already reported, here or with its dotted circle
        covered = end
        while covered < len(value) and "\u17b6" <= value[covered] <= "\u17d3":
            covered += 1  # the rest of the cluster's marks
        first = start
        while first > 0 and not value[first - 1].isspace() and start - first < 3:
            first -= 1  # show the letters it sits on
        piece = value[first:end]
        report.add(scalar, start, Severity.ERROR,
                   f"broken Khmer cluster '{_quoted(piece)}' ({_codepoints(piece)}): {message}; "
                   "it would print wrongly", "khmer.broken-cluster")


def _check_legacy(report: _Reporter, scalar: _Scalar) -> None:
    """Report Limon-font text: a whole field of it, or a run of it beside Unicode Khmer."""
    visible = "".join(c for c in scalar.value if c not in _BIDI_CONTROLS and c not in _INVISIBLE)
    visible = strip_addresses(visible)  # web and e-mail addresses are Latin by nature
    if has_khmer(visible):
        # Pasted into Khmer text: a Latin run of three words or more, half of them odd.
        runs, share, least = [r for r, khmer in script_runs(visible) if not khmer], 2, 3
    else:
        runs, share, least = [visible], 3, 1
    for run in runs:
        words = [w for w in _WORD_SPLIT.split(run) if w]
        odd = [w for w in words if _looks_like_limon(w)]
        if len(words) >= least and odd and len(odd) * share >= len(words):
            report.add(scalar, max(0, scalar.value.find(odd[0])), Severity.ERROR,
                       f"'{scalar.field}' looks like legacy Limon-font text "
                       f"('{excerpt(odd[0])}'), not Unicode Khmer; retype it with a Unicode Khmer "
                       "keyboard", "khmer.legacy-font")
            return


def _looks_like_limon(word: str) -> bool:
    # English keeps apostrophes between letters (Don't, O'Reilly, CEO's): judge the parts.
    parts = [part for part in word.split("'") if part]
    return any(_LIMON_WORD.search(part) and not _CAMEL_CASE_NAME.fullmatch(part)
               for part in parts)


def _check_digits(report: _Reporter, scalar: _Scalar, style: str) -> None:
    other, wanted = (_KHMER_NUMBER, "Latin") if style == "latin" else (_LATIN_NUMBER, "Khmer")
    kind = "Khmer" if style == "latin" else "Latin"
    numbers = list(other.finditer(scalar.value))
    if not numbers:
        return
    # One warning per field, at its first number: a page of dates once gave 34 warnings.
    others = len(numbers) - 1
    more = f" (and {others} more number{'s' if others > 1 else ''} in this text)" if others else ""
    report.add(scalar, numbers[0].start(), Severity.WARNING,
               f"{kind} digit '{numbers[0].group()[0]}'{more} in a handout that uses {wanted} "
               f"digits (digits: {style}); use one kind of digit throughout",
               "khmer.mixed-digits")


def _check_order(report: _Reporter, scalar: _Scalar, changes: tuple, coeng_da: bool) -> None:
    for change in changes:
        if change.rules == ("1.3",) and not has_khmer(change.before):
            message = (f"decomposed text '{_quoted(change.before)}' "
                       f"({_codepoints(change.before)}); "
                       f"write '{_quoted(change.after)}' ({_codepoints(change.after)})")
        else:
            message = (f"misordered Khmer cluster '{_quoted(change.before)}' "
                       f"({_codepoints(change.before)}); write '{_quoted(change.after)}' "
                       f"({_codepoints(change.after)})")
        # Joiners (ZWJ, ZWNJ) choose glyph forms where they stand: moving one is not safe.
        safe = not any(joiner in change.before for joiner in "\u200c\u200d")
        report.add(scalar, change.start, Severity.WARNING, message, "khmer.cluster-order",
                   scalar.edit(change.start, change.end, change.after) if safe else None,
                   f"reordered '{_quoted(change.before)}' to '{_quoted(change.after)}'")
    # The standard spelling of many words (បណ្ដុះបណ្ដាល, the ministry's own) has coeng DA:
    # reported only for an office that asks (check_coeng_da in handouts.yaml).
    for match in re.finditer(_COENG_DA, scalar.value if coeng_da else ""):
        report.add(scalar, match.start(), Severity.WARNING,
                   "coeng DA '្ដ' (U+17D2 U+178A): check that coeng TA '្ត' (U+17D2 U+178F) is "
                   "not meant; this is never changed automatically", "khmer.coeng-da")


def _check_khmer_spacing(report: _Reporter, scalar: _Scalar) -> None:
    # Only a missing space after ។ is reported. One space before ។ or ៖ ("ជំនាញ ។",
    # "រតនគីរី ៖") is common in published Khmer, in the national broadcaster's news as in
    # ministry notices, and prints well: prepare binds the mark to the word before it, so no
    # line starts with it.
    value = scalar.value
    # ។ល។ ("etc.") is one sign: no space inside it, and a space before it is usual.
    for match in re.finditer("។(?!ល។)(?=[\u1780-\u17b3])", value):
        at = match.end()
        report.add(scalar, match.start(), Severity.WARNING,
                   "no space after '។' before the next sentence", "khmer.space-after-stop",
                   scalar.edit(at, at, " "), "added a space after '។'")


def _check_spacing(report: _Reporter, scalar: _Scalar) -> None:
    for match in re.finditer("  +", scalar.value):
        if not scalar.is_typed(match.start(), match.end()):
            continue  # a blanked control character, or folded line ends: not typed spaces
        report.add(scalar, match.start(), Severity.WARNING, "double space", "text.double-space",
                   scalar.edit(match.start(), match.end(), " "), "replaced a double space")


def _check_invisible(report: _Reporter, scalar: _Scalar) -> None:
    for index, char in enumerate(scalar.value):
        if char not in _INVISIBLE:
            continue
        name = _INVISIBLE[char]
        hint = "; the build adds word breaks itself" if char == "\u200b" else ""
        edit = scalar.edit(index, index + 1, "") if char in _REMOVABLE else None
        report.add(scalar, index, Severity.WARNING,
                   f"invisible character U+{ord(char):04X} {name}{hint}", "text.invisible",
                   edit, f"removed invisible U+{ord(char):04X}")


def _check_bidi(report: _Reporter, scalar: _Scalar) -> None:
    for index, char in enumerate(scalar.value):
        if char in _BIDI_CONTROLS:
            report.add(scalar, index, Severity.ERROR,
                       f"bidirectional control {_BIDI_CONTROLS[char]} reorders the text around "
                       "it when printed; delete it", "text.bidi-control",
                       scalar.edit(index, index + 1, ""),
                       f"removed bidirectional control {_BIDI_CONTROLS[char]}")


def _check_placeholders(report: _Reporter, scalar: _Scalar) -> None:
    for match in _PLACEHOLDER.finditer(scalar.value):
        report.add(scalar, match.start(), Severity.WARNING,
                   f"'{match.group()}' is filled in only in the salary 'narrative'; here it "
                   "prints as typed", "salary.placeholder")


def read_source_text(path: Path) -> str:
    """Return a source's text as the loader parsed it (UTF-8, without a BOM)."""
    data = path.read_bytes()
    return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")


def apply_edits(file_text: str, edits: list[Edit]) -> tuple[str, list[Edit]]:
    """Apply non-overlapping edits (later ones that overlap are left for another pass)."""
    applied: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if applied and edit.start < applied[-1].end:
            continue
        if applied and edit.start == applied[-1].start == applied[-1].end == edit.end:
            continue
        applied.append(edit)
    for edit in reversed(applied):
        file_text = file_text[:edit.start] + edit.replacement + file_text[edit.end:]
    return file_text, applied

