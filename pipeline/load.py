"""Read a source file into a YAML node tree that keeps line and column marks.

Hostile input is stopped here with one clear diagnostic each: oversized files, binary junk,
bad UTF-8, alias bombs and deep nesting never reach the parser's slow or recursive paths.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .model import Diagnostic, Severity, excerpt

MAX_SOURCE_BYTES = 256 * 1024
MAX_DEPTH = 16

# C0 controls other than tab, newline and carriage return, DEL, C1 controls, the two
# non-characters PyYAML refuses, and the Unicode line and paragraph separators: invisible in
# an editor, and PyYAML would stop at the first one without saying where the others are (or,
# for the separators, count lines that no editor shows, so every later position is off).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_SEPARATORS = {"\u2028": "line separator", "\u2029": "paragraph separator"}
# Line ends as editors and PyYAML count them (once U+0085, U+2028 and U+2029 are blanked).
LINE_END = re.compile("\r\n|\r|\n")
# A text with this many control characters, one in ten characters or more, is binary junk.
_BINARY_MIN_CONTROLS = 16

# Hints for the YAML mistakes people make most, keyed by the start of PyYAML's problem.
_SYNTAX_HINTS = {
    "mapping values are not allowed here": "put text that contains ': ' or ends with ':' "
                                           "in quotes, or check this line's indentation",
    "found character '\\t' that cannot start any token": "indent with spaces, not tabs",
    "found character '@' that cannot start any token": "put text that starts with @ in quotes",
    "found character '`' that cannot start any token": "put text that starts with ` in quotes",
}


# YAML takes a key on one line of at most this many characters (PyYAML's "simple key").
MAX_KEY_LENGTH = 1024
# Where a key ends on its line: a colon followed by a space or the end of the line.
_KEY_END = re.compile(r":(?=[ \t]|$)")

# Reports one error: line, column (None when the file has no position), message, rule.
_Report = Callable[[int | None, int | None, str, str], None]


@dataclass
class LoadedSource:
    """A parsed source: its node tree (None when unreadable) and what went wrong."""

    path: Path
    display: str
    root: Node | None
    diagnostics: list[Diagnostic]
    text: str = ""  # the decoded file text; node marks index into it


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


class _MarkedComposer(Composer):
    """Compose nodes while refusing aliases and runaway nesting."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.aliases: list[yaml.Mark] = []

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(AliasEvent):
            # Never expand an alias: a "billion laughs" file would explode in memory.
            event = self.get_event()
            self.aliases.append(event.start_mark)
            return ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _SourceLoader(Reader, Scanner, Parser, _MarkedComposer, SafeConstructor, Resolver):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _MarkedComposer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def _position(text: bytes | str, offset: int,
              starts: list[int] | None = None) -> tuple[int, int]:
    """Return the 1-based line and column (in characters) of a character or byte offset.

    Pass the text's `line_starts` when asking for many offsets of one text.
    """
    if starts is not None:
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1
    if isinstance(text, bytes):
        ends = [m.end() for m in re.finditer(rb"\r\n|\r|\n", text[:offset])]
        start = ends[-1] if ends else 0
        # Count characters, as editors do; an undecodable byte counts as one.
        return len(ends) + 1, len(text[start:offset].decode("utf-8", errors="replace")) + 1
    starts = line_starts(text[:offset])
    return len(starts), offset - starts[-1] + 1


def line_starts(text: str) -> list[int]:
    """Return the index where each line of the text starts (CRLF, CR and LF all end one)."""
    return [0] + [m.end() for m in LINE_END.finditer(text)]


def _read(path: Path, error: _Report) -> bytes | None:
    """Return the file's bytes, or None after reporting why they cannot be read."""
    try:
        if path.is_symlink() and path.resolve().parent != path.parent.resolve():
            # A source is data from its folder; a link elsewhere (to /etc/passwd, a key file)
            # would have the build read, and the messages repeat, a file nobody meant.
            error(None, None, "cannot read file: a symbolic link to a file outside its folder; "
                              "copy the file into the folder instead", "file.unreadable")
            return None
        if not path.is_file():
            reason = "not a regular file" if path.exists() else "no such file"
            error(None, None, f"cannot read file: {reason}", "file.unreadable")
            return None
        with path.open("rb") as stream:
            data = stream.read(MAX_SOURCE_BYTES + 1)
            if len(data) > MAX_SOURCE_BYTES:
                size = max(path.stat().st_size, len(data))
                error(1, 1, f"file is {size} bytes; a source may be at most "
                            f"{MAX_SOURCE_BYTES} bytes", "file.too-large")
                return None
    except OSError as exc:
        error(None, None, f"cannot read file: {exc.strerror or exc}", "file.unreadable")
        return None
    return data


def _decode(data: bytes, error: _Report) -> str | None:
    """Return the file's text, or None after reporting one clear encoding problem."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        error(1, 1, "file is UTF-32, not UTF-8; save the file as UTF-8", "encoding.utf8")
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        error(1, 1, "file is UTF-16, not UTF-8; save the file as UTF-8", "encoding.utf8")
        return None
    if b"\x00" in data:
        line, column = _position(data, data.index(b"\x00"))
        error(line, column, "file is binary, not YAML text (NUL byte)", "file.binary")
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        error(line, column, f"file is not UTF-8: byte 0x{data[exc.start]:02X} cannot appear "
                            "here; save the file as UTF-8", "encoding.utf8")
        return None


def _long_key(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str] | None:
    """Return (line, column, message) when the error is a key over YAML's length limit.

    PyYAML then says "could not find expected ':'" or "mapping values are not allowed here",
    which sends the writer looking for a colon that is there.
    """
    for mark in (exc.context_mark, exc.problem_mark):
        if mark is None:
            continue
        starts = line_starts(text)
        if mark.line >= len(starts):
            continue
        end = starts[mark.line + 1] if mark.line + 1 < len(starts) else len(text)
        line = LINE_END.sub("", text[starts[mark.line]:end])
        colon = _KEY_END.search(line)
        key = line[:colon.start()].strip().lstrip("-? ").strip() if colon else ""
        if len(key) > MAX_KEY_LENGTH:
            column = line.index(key[0]) + 1
            return (mark.line + 1, column,
                    f"invalid YAML: the key on this line (the text before ':') is {len(key)} "
                    f"characters long; YAML allows at most {MAX_KEY_LENGTH}: put text that "
                    "contains ': ' in quotes, or shorten the key")
    return None


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or exc.context or "cannot parse"
    if "expected a single document" in str(exc.context):
        return "invalid YAML: a source holds one YAML document; remove the extra '---'"
    message = f"invalid YAML: {problem}"
    for start, hint in _SYNTAX_HINTS.items():
        if problem.startswith(start):
            return f"{message}; {hint}"
    started = exc.context_mark
    if exc.problem and exc.context and started and started != exc.problem_mark:
        message += (f" ({exc.context} that starts at line {started.line + 1}, "
                    f"column {started.column + 1})")
    return message


def load_source(path: Path, display: str | None = None) -> LoadedSource:
    """Read and parse one source file, collecting every problem found on the way."""
    display = display or str(path)
    diagnostics: list[Diagnostic] = []

    def error(line: int | None, column: int | None, message: str, rule: str) -> None:
        diagnostics.append(Diagnostic(display, line, column, Severity.ERROR, message, rule))

    def give_up() -> LoadedSource:
        return LoadedSource(path, display, None, diagnostics)

    data = _read(path, error)
    if data is None:
        return give_up()
    text = _decode(data, error)
    if text is None:
        return give_up()

    controls = list(CONTROL_CHARACTERS.finditer(text))
    if len(controls) >= _BINARY_MIN_CONTROLS and len(controls) * 10 >= len(text):
        line, column = _position(text, controls[0].start())
        error(line, column, f"file is binary, not YAML text ({len(controls)} control "
                            "characters)", "file.binary")
        return give_up()
    starts = line_starts(text) if controls else []
    for match in controls:
        line, column = _position(text, match.start(), starts)
        char = match.group()
        if char in _SEPARATORS:
            message = (f"{_SEPARATORS[char]} U+{ord(char):04X} is not allowed; "
                       "use a new line or a space")
        else:
            message = f"control character U+{ord(char):04X} is not allowed; delete it"
        error(line, column, message, "text.control-char")
    # Blank them out so that parsing goes on and reports the file's other problems too.
    # The original text is kept: node marks index into both, as blanking keeps lengths.
    original = text
    text = CONTROL_CHARACTERS.sub(" ", text)

    loader = None
    try:
        loader = _SourceLoader(text)
        root = loader.get_single_node()
    except _TooDeep as exc:
        error(exc.mark.line + 1, exc.mark.column + 1,
              f"nesting is deeper than {MAX_DEPTH} levels", "yaml.depth")
        return give_up()
    except RecursionError:  # a path of PyYAML's that recurses before the composer's check
        error(1, 1, f"nesting is deeper than {MAX_DEPTH} levels", "yaml.depth")
        return give_up()
    except yaml.MarkedYAMLError as exc:
        long_key = _long_key(exc, text)
        if long_key:
            error(*long_key, "yaml.syntax")
            return give_up()
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        error(line, column, _syntax_message(exc), "yaml.syntax")
        return give_up()
    except ReaderError as exc:  # cannot happen once controls are blanked; kept as a guard
        line, column = _position(text, exc.position)
        error(line, column, f"invalid YAML: character U+{exc.character:04X} is not allowed",
              "yaml.syntax")
        return give_up()
    finally:
        if loader is not None:
            loader.dispose()

    if loader.aliases:
        first = loader.aliases[0]
        count = len(loader.aliases)
        error(first.line + 1, first.column + 1,
              f"YAML aliases are not allowed in sources (found {count}); "
              "write the text out in full", "yaml.alias")
        return give_up()

    if root is not None:
        _report_duplicate_keys(root, display, diagnostics)
    return LoadedSource(path, display, root, diagnostics, original)


def _report_duplicate_keys(node: Node, display: str, diagnostics: list[Diagnostic]) -> None:
    """Report keys repeated in one mapping: PyYAML would silently keep the last one."""
    if isinstance(node, MappingNode):
        seen: dict[str, yaml.Mark] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                first = seen.get(key.value)
                if first is not None:
                    diagnostics.append(Diagnostic(
                        display, key.start_mark.line + 1, key.start_mark.column + 1,
                        Severity.ERROR,
                        f"duplicate key '{excerpt(key.value)}' (first defined on line "
                        f"{first.line + 1})",
                        "yaml.duplicate-key"))
                else:
                    seen[key.value] = key.start_mark
            _report_duplicate_keys(value, display, diagnostics)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _report_duplicate_keys(item, display, diagnostics)


def compose_text(text: str) -> Node | None:
    """Return the node tree of a piece of YAML text, or None where it cannot be read.

    For a quick look at a few lines of a source (the fields another handout prints of it):
    the same limits as `load_source` (no aliases, no runaway nesting), no diagnostics.
    """
    loader = _SourceLoader(CONTROL_CHARACTERS.sub(" ", text))
    try:
        root = loader.get_single_node()
    except (_TooDeep, RecursionError, yaml.YAMLError):
        return None
    finally:
        loader.dispose()
    return None if loader.aliases else root
