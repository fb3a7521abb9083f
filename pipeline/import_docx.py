"""Apply an edited handout DOCX to its source: `python -m pipeline import FILE.docx`.

read_docx gives the DOCX's paragraphs with the source field each one marks. Here they are
grouped back into the source's fields (a paragraph without a marker right after a list
item, in the same style, or right under a list's heading, is a new item of that list),
compared with what the build made of the source (so that an unedited paragraph leaves its
value untouched, to the byte), and turned into edits of the source text that keep its
comments, key order, quoting and layout.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import string
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .config import Settings, load_settings
from .load import load_source
from .locks import hold
from .model import Bullets, Citations, Diagnostic, Document, Paragraphs, Terms
from .outputs import write_atomically
from .prepare import format_figure, prepare
from .provenance import LIST_FIELDS, SCALAR_FIELDS, editable_texts, id_marker, version_marker
from .read_docx import DocxContent, DocxImportError, DocxParagraph, clean_text, read_docx
from .related import related_titles
from .source_edits import (
    SourceEditError,
    find_node,
    list_edits,
    mapping_value,
    replace_scalar,
)
from .text_checks import Edit, apply_edits
from .validate import validate_sources

_ITEM = re.compile(r"(?P<field>[a-z_.]+)\[(?P<index>\d+)\]\Z")
_NORMAL = "Normal"
_BOM = b"\xef\xbb\xbf"
# Imports into one folder take turns (locks.hold); one takes a second or two, so a queue of
# them is short. Past this a second import gives up with a message instead of hanging.
LOCK_NAME = ".import.lock"
LOCK_WAIT_SECONDS = 60


@dataclass
class ImportResult:
    """What importing one DOCX would do to its source."""

    source: Path
    display: str
    old_text: str  # the source as read (without a BOM), all the edits start from it
    new_text: str
    notes: list[str] = field(default_factory=list)  # edits not taken, and why
    diagnostics: list[Diagnostic] = field(default_factory=list)  # of the new text
    docx: Path | None = None

    @property
    def changed(self) -> bool:
        return self.new_text != self.old_text

    @property
    def errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def diff(self) -> str:
        """Return the unified diff of the source (a/ and b/ before a relative path, as git)."""
        relative = not Path(self.display).is_absolute()
        return "".join(difflib.unified_diff(
            self.old_text.splitlines(keepends=True), self.new_text.splitlines(keepends=True),
            f"a/{self.display}" if relative else self.display,
            f"b/{self.display}" if relative else self.display))


def find_source(docx: Path, sources: Path) -> Path:
    """Return the source a handout DOCX belongs to, by its id marker."""
    content = read_docx(docx)
    marker = _marker(docx, content)
    matches = [path for path in sorted(sources.glob("*.yaml")) if id_marker(path.stem) == marker]
    if not matches:
        raise DocxImportError(f"{docx.name}: it was made from the handout "
                              f"'{_marker_id(marker)}', which has no source in {sources}/")
    return matches[0]


def _marker(docx: Path, content: DocxContent) -> str:
    if not content.id_markers:
        raise DocxImportError(f"{docx.name}: it carries no handout markers, so it was not made "
                              "by 'make docx' (or its markers were lost); only a DOCX built "
                              "from a source can be imported")
    if len(content.id_markers) > 1:
        raise DocxImportError(f"{docx.name}: it holds the markers of several handouts "
                              f"({', '.join(map(_marker_id, content.id_markers))}); import "
                              "each handout's own DOCX")
    return content.id_markers[0]


def _marker_id(marker: str) -> str:
    return marker.removeprefix("k_id_").replace("_", "-")


def import_docx(docx: Path, source: Path, display: str | None = None,
                settings: Settings | None = None, force: bool = False) -> ImportResult:
    """Return the source text with the DOCX's edits applied, checked; write nothing.

    A DOCX made from an older version of the source is refused (its unedited paragraphs
    would undo the source's newer edits), and so is one that cannot show its version (its
    marker deleted), unless `force`: then the DOCX's text wins.
    """
    display = display or str(source)
    settings = settings or load_settings()
    content = read_docx(docx)
    marker = _marker(docx, content)
    if marker != id_marker(source.stem):
        raise DocxImportError(f"{docx.name} is the DOCX of the handout '{_marker_id(marker)}', "
                              f"not of {display}; name that handout's source, or import "
                              "without naming one")
    if not source.is_file():
        raise DocxImportError(f"{display}: no such source file")
    # Read once: the edits start from this text, and write_import checks it is still there.
    loaded = load_source(source, display)
    handouts, diagnostics = validate_sources([loaded], settings)
    if not handouts:
        first = next(str(d) for d in diagnostics if d.is_error)
        raise DocxImportError(f"{display} has errors of its own ({first}); fix them (make "
                              "check lists them) before importing into it")
    # As the build prepared it, "see also" titles included (they are derived text).
    document = prepare(handouts[0], settings, related=related_titles(handouts[0]))
    if not force:
        _check_version(docx, display, content, version_marker(document))
    old_text = loaded.text
    expected, separator, derived = _expected(document)
    values = _Grouper(docx.name, expected, derived, _list_headings(document)).group(
        content.paragraphs)
    editor = _Editor(docx.name, loaded.root, handouts[0], old_text, expected, separator)
    edits = editor.edits(values)
    new_text, applied = apply_edits(old_text, edits)
    if len(applied) != len(edits):
        raise DocxImportError(f"{docx.name}: the edits to {display} overlap; nothing written "
                              "(please report this)")
    result = ImportResult(source, display, old_text, new_text, editor.notes, docx=docx)
    if result.changed:
        editor.verify(new_text)
        result.diagnostics = _check(new_text, source, display, settings)
    return result


_REDO = ("make the DOCX again (make docx) and redo the edits in it, or import with --force "
         "(make import FORCE=1) to let the DOCX's text win; nothing written")


def _check_version(docx: Path, display: str, content: DocxContent, current: str) -> None:
    """Refuse a DOCX made before its source last changed, or one that cannot tell."""
    if not content.version_markers:
        # Without it the DOCX may be of any age: taking it could silently undo newer edits.
        raise DocxImportError(f"{docx.name} has lost its version marker (an invisible "
                              "bookmark named k_v_…, deleted in Word's Bookmark list or by "
                              f"another program), so it cannot show that {display} has not "
                              f"changed since it was made; {_REDO}")
    if current not in content.version_markers:
        raise DocxImportError(f"{display} has changed since {docx.name} was made, and importing "
                              f"would undo those changes; {_REDO}")


@contextlib.contextmanager
def import_lock(source: Path, docx: Path, display: str,
                waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of the source's folder: one import into it at a time, read to write."""
    folder = source.resolve().parent
    if not folder.is_dir():
        yield  # no source there to write: import_docx says so
        return
    with hold(folder / LOCK_NAME, f"import of {docx.name} into {display}", LOCK_WAIT_SECONDS,
              waiting):
        yield


def write_import(result: ImportResult) -> None:
    """Write the imported source, unless it changed since import_docx read it.

    Call it under import_lock, taken before import_docx: other imports wait for it, and this
    last look catches what does not take the lock (an editor saving the YAML, `make fix`).
    """
    path = result.source.resolve()  # through a symbolic link, edit the file it points at
    name = result.docx.name if result.docx else "the DOCX"
    try:
        current = path.read_bytes()
    except OSError as exc:
        raise DocxImportError(f"{result.display}: cannot read it again before writing: "
                              f"{exc.strerror or exc}; nothing written") from exc
    if current.removeprefix(_BOM) != result.old_text.encode("utf-8"):
        raise DocxImportError(f"{result.display} changed while {name} was being imported "
                              "(saved by an editor or another program); nothing written: "
                              "import again to see the DOCX's edits against the new text")
    bom = _BOM if current.startswith(_BOM) else b""
    try:
        write_atomically(path, bom + result.new_text.encode("utf-8"))
    except OSError as exc:
        raise DocxImportError(f"{result.display}: cannot write it: {exc.strerror or exc}; "
                              "it is as it was") from exc


def _check(text: str, source: Path, display: str, settings: Settings) -> list[Diagnostic]:
    """Return the diagnostics of new source text, as 'make check' would give them."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / source.name
        copy.write_text(text, encoding="utf-8")
        loaded = load_source(copy, display)
        loaded.path = source
        return validate_sources([loaded], settings)[1]


# --- what the build made of each field ---------------------------------------------------------


def _expected(document: Document) -> tuple[dict[str, str], str, set[str]]:
    """Return {field path: its DOCX text, cleaned}, the term separator, and the derived texts
    (everything else the DOCX body shows: headings, facts, citations, the QR caption)."""
    fields = {path: clean_text(text) for path, text in editable_texts(document)}
    separator = next((block.separator for section in document.sections
                      for block in section.blocks if isinstance(block, Terms)), "")
    derived = {clean_text(text) for text in document.texts()} - set(fields.values())
    # A citation is one paragraph: its text, a space and its address.
    derived |= {clean_text(f"{citation.text} {citation.url}")
                for section in document.sections for block in section.blocks
                if isinstance(block, Citations) for citation in block.items}
    return fields, separator, derived


def _list_headings(document: Document) -> dict[str, str]:
    """Return {section heading, cleaned: the list field whose items the section holds}."""
    headings = {}
    for section in document.sections:
        for block in section.blocks[:1]:
            if isinstance(block, (Paragraphs, Bullets)) and block.paths:
                headings[clean_text(section.heading)] = block.paths[0].partition("[")[0]
    return headings


@dataclass
class _Item:
    origin: int | None  # the old index of a list item, None for a new paragraph
    text: str  # cleaned DOCX text
    where: str  # the paragraph's heading and first words, for messages


class _Grouper:
    """Group the DOCX's paragraphs into the source fields they mark or continue."""

    def __init__(self, name: str, expected: dict[str, str], derived: set[str],
                 headings: dict[str, str]) -> None:
        self.name = name
        self.expected, self.derived = expected, derived
        # A section's heading, and the list field whose items follow it: a paragraph typed
        # right under it (or one whose bookmark Word dropped with its text) is an item.
        self.headings = headings
        self.context: tuple[str, str | None] | None = None

    def fail(self, paragraph: DocxParagraph, message: str) -> DocxImportError:
        return DocxImportError(f"{self.name}: {paragraph.where}: {message}; nothing written")

    def group(self, paragraphs) -> dict[str, list[_Item]]:
        """Return each field's paragraphs in DOCX order; fail on text outside any field."""
        values: dict[str, list[_Item]] = {f: [] for f in (*LIST_FIELDS, *SCALAR_FIELDS)}
        seen: set[str] = set()
        for paragraph in paragraphs:
            self.read(paragraph, values, seen)
        for name in SCALAR_FIELDS:
            if not values[name] and name in self.expected:
                raise DocxImportError(f"{self.name}: the paragraph of {name} is missing, or "
                                      "lost its marker; nothing written")
        if not any(values.values()):
            raise DocxImportError(f"{self.name}: none of its paragraphs carries a field "
                                  "marker; nothing written")
        return values

    def read(self, paragraph: DocxParagraph, values: dict[str, list[_Item]],
             seen: set[str]) -> None:
        """Add one paragraph to the field it marks or continues (self.context: the field and
        style of the last marked paragraph, which a new paragraph in that style joins)."""
        style = paragraph.style or _NORMAL
        text = paragraph.clean
        context = self.context
        fields = [f for f in paragraph.fields if f not in seen]
        if fields:
            path = fields[0]  # two paragraphs joined into one: the first field holds it
            seen.update(fields)
            if path not in self.expected:
                raise self.fail(paragraph, f"it is marked as {path}, which the source does not "
                                           "have; was it made from an older version?")
            match = _ITEM.match(path)
            name = match["field"] if match else path
            self.context = (name, style)
            if match and not text.strip():
                return  # a list item whose text was deleted, leaving its bullet: it goes
            values[name].append(_Item(int(match["index"]) if match else None, text,
                                      paragraph.where))
            return
        if not text.strip():
            return
        if text in self.derived:
            field = self.headings.get(text)
            self.context = (field, None) if field else None
            return
        if context and context[1] in (None, style) and context[0] in LIST_FIELDS:
            values[context[0]].append(_Item(None, text, paragraph.where))
            return
        if context and context[1] == style:
            raise self.fail(paragraph, f"{context[0]} is one paragraph; join the new "
                                       "paragraph to it")
        raise self.fail(paragraph, "this text is outside every part that is read back "
                                   "(headings, quick facts, references, the QR caption and "
                                   "footer come from the source's other fields, labels and "
                                   "figures); undo it in the DOCX, or change the source "
                                   "itself")

class _Editor:
    """Turn each field's paragraphs into edits of the source text, keeping its layout."""

    def __init__(self, name: str, root, handout, text: str, expected: dict[str, str],
                 separator: str) -> None:
        self.name, self.root, self.text = name, root, text
        self.salary, self.digits = handout.salary, handout.digits
        self.expected, self.separator = expected, separator
        self.notes: list[str] = []  # edits not taken, and why
        self.intended: dict[str, object] = {}  # each changed field's value, to verify

    def edits(self, values: dict[str, list[_Item]]) -> list[Edit]:
        """Return the edits that make the source say what the DOCX says."""
        edits: list[Edit] = []
        try:
            for name in SCALAR_FIELDS:
                if name not in self.expected:
                    continue  # an optional field the source leaves out (title_other)
                item = values[name][0]
                node = find_node(self.root, name)
                if item.text != self.expected[name]:
                    edits.append(replace_scalar(self.text, node, item.text))
                    self.intended[name] = item.text
            for name in LIST_FIELDS:
                edits += self.list_field(name, values[name])
        except SourceEditError as exc:
            raise DocxImportError(f"{self.name}: cannot apply it to the source: {exc}") from exc
        return edits

    def list_field(self, name: str, items: list[_Item]) -> list[Edit]:
        node = find_node(self.root, name)
        origins = [item.origin for item in items if item.origin is not None]
        # The longest run of old items still in their order stays put; the others move.
        matcher = difflib.SequenceMatcher(None, list(range(len(node.value))), origins,
                                          autojunk=False)
        keep = [index for block in matcher.get_matching_blocks()
                for index in range(block.a, block.a + block.size)]
        edits: list[Edit] = []
        new: list[tuple[int | None, object]] = []
        values: list[object] = []
        for item in items:
            path = f"{name}[{item.origin}]"
            if item.origin is not None and item.text == self.expected.get(path):
                value = _node_value(node.value[item.origin])  # unchanged, to the byte
                changed = False
            elif name == "values.items":
                value, changed = self.term(item, path), True
            elif name == "salary.narrative":
                value, changed = self.narrative(item, path), True
            else:
                value, changed = item.text, True
            if changed and item.origin is not None:
                # A salary sentence left as it was (its figure typed over) is not rewritten.
                changed = value != _node_value(node.value[item.origin])
            values.append(value)
            if item.origin in keep:
                if changed:
                    edits += self.change_item(node.value[item.origin], value)
                new.append((item.origin, None))
            else:
                new.append((None, value))
        if edits or new != [(index, None) for index in range(len(node.value))]:
            self.intended[name] = values
        if new == [(index, None) for index in range(len(node.value))]:
            return edits
        return edits + list_edits(self.text, node, name, keep, new)

    def change_item(self, old, value) -> list[Edit]:
        if isinstance(value, dict):
            edits = []
            for key, text in value.items():
                scalar = mapping_value(old, key)
                if scalar is None:
                    raise SourceEditError(f"line {old.start_mark.line + 1}: the item has no "
                                          f"'{key}'")
                if scalar.value != text:
                    edits.append(replace_scalar(self.text, scalar, text))
            return edits
        return [replace_scalar(self.text, old, value)]

    def term(self, item: _Item, path: str) -> dict[str, str]:
        """Split a term paragraph at the label separator into its term and explanation."""
        text = item.text
        term, found, explanation = text.partition(self.separator)
        if not found:
            sep = self.separator.strip() or self.separator
            raise DocxImportError(
                f"{self.name}: {item.where}: a value needs its term, then '{sep}', then the "
                "explanation; nothing written")
        if item.origin is not None:
            node = find_node(self.root, "values.items").value[item.origin]
            old_term, old_explanation = (mapping_value(node, key) for key in ("term",
                                                                             "explanation"))
            expected_term, _, expected_explanation = self.expected[path].partition(
                self.separator)
            # An unchanged part keeps its value as the source wrote it.
            if term == expected_term:
                term = old_term.value
            if explanation == expected_explanation:
                explanation = old_explanation.value
        return {"term": term, "explanation": explanation}

    def narrative(self, item: _Item, path: str) -> str:
        """Turn a salary sentence back into its template; refuse a figure typed over."""
        text = item.text
        if item.origin is None:
            return text.replace("{", "{{").replace("}", "}}")
        old = find_node(self.root, "salary.narrative").value[item.origin].value
        figures = {name: clean_text(format_figure(value, self.salary.currency, self.digits))
                   for name, value in self.salary.figures().items()}
        out, at = [], 0
        for _, name, _, _ in string.Formatter().parse(old):
            if name is None:
                continue
            figure = figures.get(name, "")
            found = text.find(figure, at) if figure else -1
            if found == -1:
                self.notes.append(
                    f"{self.name}: {item.where}: the figure {figure or name} was "
                    f"changed in the sentence of {path}; change the figure in "
                    f"`salary.{name}`, not in the sentence (that sentence is left as it was)")
                return old
            out.append(_escape(text[at:found]) + "{" + name + "}")
            at = found + len(figure)
        out.append(_escape(text[at:]))
        return "".join(out)

    def verify(self, new_text: str) -> None:
        """Read the new source text back; fail if a value is not what the DOCX says."""
        data = yaml.safe_load(new_text)
        for name, value in self.intended.items():
            node = data
            for key in name.split("."):
                node = node[key]
            if node != value and not (value == [] and node is None):  # every item gone
                raise DocxImportError(f"{self.name}: rewriting {name} did not give the DOCX's "
                                      "text; nothing written (please report this)")


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _node_value(node):
    if hasattr(node, "value") and isinstance(node.value, str):
        return node.value
    return {key.value: value.value for key, value in node.value}
