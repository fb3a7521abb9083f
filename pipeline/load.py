"""Read a source file into a YAML node tree that keeps line and column marks.

Hostile input is stopped here with one clear diagnostic each: oversized files, binary junk,
bad UTF-8, alias bombs and deep nesting never reach the parser's slow or recursive paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .model import Diagnostic, Severity

MAX_SOURCE_BYTES = 256 * 1024
MAX_DEPTH = 16

# C0 controls other than tab and newline, DEL and C1 controls: invisible in an editor,
# and PyYAML would stop at the first one without saying where the others are.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class LoadedSource:
    """A parsed source: its node tree (None when unreadable) and what went wrong."""

    path: Path
    display: str
    root: Node | None
    diagnostics: list[Diagnostic]


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


def _position(text: bytes | str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of a character (or byte) offset."""
    before = text[:offset]
    newline = b"\n" if isinstance(text, bytes) else "\n"
    line = before.count(newline) + 1
    column = offset - (before.rfind(newline) + 1) + 1
    return line, column


def load_source(path: Path, display: str | None = None) -> LoadedSource:
    """Read and parse one source file, collecting every problem found on the way."""
    display = display or str(path)
    diagnostics: list[Diagnostic] = []

    def error(line: int | None, column: int | None, message: str, rule: str) -> None:
        diagnostics.append(Diagnostic(display, line, column, Severity.ERROR, message, rule))

    def give_up() -> LoadedSource:
        return LoadedSource(path, display, None, diagnostics)

    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            error(1, 1, f"file is {size} bytes; a source may be at most "
                        f"{MAX_SOURCE_BYTES} bytes", "file.too-large")
            return give_up()
        data = path.read_bytes()
    except OSError as exc:
        error(None, None, f"cannot read file: {exc.strerror or exc}", "file.unreadable")
        return give_up()

    if b"\x00" in data:
        line, column = _position(data, data.index(b"\x00"))
        error(line, column, "file is binary, not YAML text (NUL byte)", "file.binary")
        return give_up()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        error(line, column, f"file is not UTF-8: byte 0x{data[exc.start]:02X} cannot appear "
                            "here; save the file as UTF-8", "encoding.utf8")
        return give_up()

    for match in _CONTROL_CHARACTERS.finditer(text):
        line, column = _position(text, match.start())
        error(line, column, f"control character U+{ord(match.group()):04X} is not allowed",
              "text.control-char")
    # Blank them out so that parsing goes on and reports the file's other problems too.
    text = _CONTROL_CHARACTERS.sub(" ", text)

    loader = _SourceLoader(text)
    try:
        root = loader.get_single_node()
    except _TooDeep as exc:
        error(exc.mark.line + 1, exc.mark.column + 1,
              f"nesting is deeper than {MAX_DEPTH} levels", "yaml.depth")
        return give_up()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot parse"
        if "expected a single document" in str(exc.context):
            problem = "a source holds one YAML document; remove the extra '---'"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        error(line, column, f"invalid YAML: {problem}", "yaml.syntax")
        return give_up()
    except yaml.YAMLError as exc:  # reader errors carry no mark attribute of the same name
        error(1, 1, f"invalid YAML: {exc}", "yaml.syntax")
        return give_up()
    finally:
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
    return LoadedSource(path, display, root, diagnostics)


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
                        f"duplicate key '{key.value}' (first defined on line {first.line + 1})",
                        "yaml.duplicate-key"))
                else:
                    seen[key.value] = key.start_mark
            _report_duplicate_keys(value, display, diagnostics)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _report_duplicate_keys(item, display, diagnostics)
