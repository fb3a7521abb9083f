"""The loader: hostile and broken files each give one exact diagnostic, quickly."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from pipeline import load
from pipeline.load import MAX_DEPTH, MAX_SOURCE_BYTES, load_source
from pipeline.text_checks import check_text

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "bad_sources" / "minimal.yaml"

# Generous for a slow CI machine; a hang or an exponential blow-up takes far longer.
TIME_LIMIT = 5.0


def load_timed(path: Path) -> list[str]:
    """Load a file, fail if it takes over TIME_LIMIT, and return its diagnostics as lines."""
    started = time.monotonic()
    loaded = load_source(path, path.name)
    assert time.monotonic() - started < TIME_LIMIT
    return [str(d) for d in loaded.diagnostics]


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    """Write bytes or UTF-8 text to tmp_path/name and return the path."""
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def depth_error(name: str, line: int, column: int) -> list[str]:
    """Return the one expected nesting diagnostic."""
    return [f"{name}:{line}:{column}: error: nesting is deeper than {MAX_DEPTH} levels "
            "[yaml.depth]"]


def test_valid_file_loads_without_diagnostics():
    """Give a node tree and no diagnostics for a valid source."""
    loaded = load_source(MINIMAL)
    assert loaded.diagnostics == []
    assert loaded.root.value[0][0].value == "id"


def test_byte_order_mark_is_accepted(tmp_path):
    """Read a UTF-8 file that starts with a byte order mark."""
    path = write(tmp_path, "minimal.yaml", b"\xef\xbb\xbf" + MINIMAL.read_bytes())
    assert load_timed(path) == []


def test_file_over_the_size_limit(tmp_path):
    """Refuse a file over the limit before reading it as YAML."""
    path = write(tmp_path, "big.yaml", b"#" * (MAX_SOURCE_BYTES + 1))
    assert load_timed(path) == [
        "big.yaml:1:1: error: file is 262145 bytes; a source may be at most 262144 bytes "
        "[file.too-large]"]


def test_file_at_the_size_limit_is_read(tmp_path):
    """Read a file of exactly the limit."""
    path = write(tmp_path, "full.yaml", b"#" * (MAX_SOURCE_BYTES - 1) + b"\n")
    assert load_timed(path) == []


def test_binary_junk_with_a_nul_byte(tmp_path):
    """Call a file with a NUL byte binary, at the NUL's position."""
    junk = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(1).randbytes(20000)
    path = write(tmp_path, "junk.yaml", junk)
    assert load_timed(path) == [
        "junk.yaml:3:1: error: file is binary, not YAML text (NUL byte) [file.binary]"]


def test_random_bytes_give_one_error(tmp_path):
    """Give random bytes exactly one error, whatever they hold."""
    path = write(tmp_path, "random.yaml", random.Random(2).randbytes(50000))
    lines = load_timed(path)
    assert len(lines) == 1
    assert lines[0].endswith(("[file.binary]", "[encoding.utf8]"))


def test_control_character_junk_is_binary(tmp_path):
    """Call valid UTF-8 made mostly of control characters binary, in one error."""
    path = write(tmp_path, "controls.yaml", bytes(range(1, 32)) * 100)
    assert load_timed(path) == [
        "controls.yaml:1:1: error: file is binary, not YAML text (2800 control characters) "
        "[file.binary]"]


def test_utf32_file_is_named_as_such(tmp_path):
    path = write(tmp_path, "utf32.yaml", MINIMAL.read_text(encoding="utf-8").encode("utf-32"))
    assert load_timed(path) == [
        "utf32.yaml:1:1: error: file is UTF-32, not UTF-8; save the file as UTF-8 "
        "[encoding.utf8]"]


def test_utf16_file(tmp_path):
    """Tell the author to save a UTF-16 file as UTF-8."""
    path = write(tmp_path, "utf16.yaml", MINIMAL.read_text(encoding="utf-8").encode("utf-16"))
    assert load_timed(path) == [
        "utf16.yaml:1:1: error: file is UTF-16, not UTF-8; save the file as UTF-8 "
        "[encoding.utf8]"]


def test_bad_utf8_byte_is_located_in_characters(tmp_path):
    """Give the column of a bad byte in characters, as an editor counts them."""
    path = write(tmp_path, "khmer.yaml", "title: អ្នក".encode() + b"\xff\n")
    assert load_timed(path) == [
        "khmer.yaml:1:12: error: file is not UTF-8: byte 0xFF cannot appear here; save the "
        "file as UTF-8 [encoding.utf8]"]


def test_control_characters_are_all_reported_and_parsing_goes_on(tmp_path):
    """Report each control character and still find the duplicate key after them."""
    path = write(tmp_path, "ctl.yaml", "a: x\x0cy\nb: \x7f\na: z\n")
    assert load_timed(path) == [
        "ctl.yaml:1:5: error: control character U+000C is not allowed; delete it "
        "[text.control-char]",
        "ctl.yaml:2:4: error: control character U+007F is not allowed; delete it "
        "[text.control-char]",
        "ctl.yaml:3:1: error: duplicate key 'a' (first defined on line 1) [yaml.duplicate-key]",
    ]


@pytest.mark.parametrize("name", ["missing.yaml", "folder.yaml"])
def test_unreadable_path(tmp_path, name):
    """Report a missing file or a folder without a position."""
    (tmp_path / "folder.yaml").mkdir()
    reason = "no such file" if name == "missing.yaml" else "not a regular file"
    assert load_timed(tmp_path / name) == [
        f"{name}: error: cannot read file: {reason} [file.unreadable]"]


def test_special_file_is_not_read_forever():
    """Refuse a device such as /dev/zero instead of reading it without end."""
    lines = [str(d) for d in load_source(Path("/dev/zero"), "zero").diagnostics]
    assert lines == ["zero: error: cannot read file: not a regular file [file.unreadable]"]


def test_unclosed_quote_names_where_it_starts(tmp_path):
    """Point at the end of the file and say where the unclosed quote began."""
    path = write(tmp_path, "quote.yaml", "id: x\ntitle: 'Account\n")
    assert load_timed(path) == [
        "quote.yaml:3:1: error: invalid YAML: found unexpected end of stream (while scanning a "
        "quoted scalar that starts at line 2, column 8) [yaml.syntax]"]


def test_tab_indentation(tmp_path):
    """Explain that tabs cannot indent YAML."""
    path = write(tmp_path, "tab.yaml", "salary:\n\tcurrency: USD\n")
    assert load_timed(path) == [
        "tab.yaml:2:1: error: invalid YAML: found character '\\t' that cannot start any token; "
        "indent with spaces, not tabs [yaml.syntax]"]


# --- nesting and aliases ---------------------------------------------------------------------


def test_ten_thousand_open_brackets(tmp_path):
    """Stop 10000 nested '[' at the first level too deep."""
    path = write(tmp_path, "flow.yaml", "[" * 10000)
    assert load_timed(path) == depth_error("flow.yaml", 1, MAX_DEPTH + 1)


def test_ten_thousand_balanced_brackets_under_a_key(tmp_path):
    """Stop balanced nested lists under a key at the first level too deep."""
    path = write(tmp_path, "flow.yaml", "tips: " + "[" * 10000 + "]" * 10000 + "\n")
    assert load_timed(path) == depth_error("flow.yaml", 1, 7 + MAX_DEPTH - 1)


def test_nested_flow_mappings_one_per_line(tmp_path):
    """Stop nested '{a:' spread over lines at the first level too deep."""
    path = write(tmp_path, "flow.yaml", "{a:\n" * 10000)
    # Each line's mapping is one level and its key one more: line 16's key is level 17.
    assert load_timed(path) == depth_error("flow.yaml", 16, 2)


def test_deep_block_mappings(tmp_path):
    """Stop indented block mappings, as deep as the size limit allows, at level 17."""
    text = "".join(" " * level + "a:\n" for level in range(700))
    assert len(text) < MAX_SOURCE_BYTES
    path = write(tmp_path, "block.yaml", text)
    # Each line's mapping is one level and its key one more: line 16's key is level 17.
    assert load_timed(path) == depth_error("block.yaml", 16, 16)


def test_deep_block_sequences_on_one_line(tmp_path):
    """Stop 10000 nested block sequences written '- - - ...' at level 17."""
    path = write(tmp_path, "dash.yaml", "- " * 10000 + "x\n")
    assert load_timed(path) == depth_error("dash.yaml", 1, 2 * MAX_DEPTH + 1)


def test_largest_file_of_brackets_is_quick(tmp_path):
    """Handle a file of the largest size made only of '[' quickly."""
    path = write(tmp_path, "flow.yaml", "[" * MAX_SOURCE_BYTES)
    assert load_timed(path) == depth_error("flow.yaml", 1, MAX_DEPTH + 1)


def test_recursion_error_in_the_parser_is_one_depth_error(tmp_path, monkeypatch):
    """Turn a RecursionError anywhere in PyYAML into the nesting diagnostic."""

    def recurse(self):
        raise RecursionError

    monkeypatch.setattr(load._SourceLoader, "get_single_node", recurse)
    assert load_timed(MINIMAL) == depth_error("minimal.yaml", 1, 1)


def test_billion_laughs_at_full_size(tmp_path):
    """Refuse a large alias bomb quickly, without expanding it."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 30)]
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    assert load_timed(path) == [
        "bomb.yaml:2:10: error: YAML aliases are not allowed in sources (found 290); write the "
        "text out in full [yaml.alias]"]


def test_self_referencing_alias(tmp_path):
    """Refuse an alias that refers to its own anchor."""
    path = write(tmp_path, "loop.yaml", "a: &a [*a]\n")
    assert load_timed(path) == [
        "loop.yaml:1:8: error: YAML aliases are not allowed in sources (found 1); write the "
        "text out in full [yaml.alias]"]


def test_unicode_line_separator_is_an_error_and_later_lines_keep_their_numbers(tmp_path):
    # PyYAML counts U+2028 as a line break, editors do not: every later position was off.
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "  - Listen first.", "  - Listen\u2028first.\n  - Say  it.")
    path = write(tmp_path, "minimal.yaml", text)
    loaded = load_source(path, "minimal.yaml")
    assert [str(d) for d in loaded.diagnostics] == [
        "minimal.yaml:26:11: error: line separator U+2028 is not allowed; use a new line or "
        "a space [text.control-char]"]
    assert [str(f.diagnostic) for f in check_text(loaded, loaded.text)] == [
        "minimal.yaml:27:8: warning: double space [text.double-space]"]


def test_carriage_return_line_ends_count_as_lines(tmp_path):
    text = MINIMAL.read_text(encoding="utf-8").replace("  - Listen first.", "  - Say  it.")
    path = write(tmp_path, "minimal.yaml", text.replace("\n", "\r"))
    loaded = load_source(path, "minimal.yaml")
    assert [str(f.diagnostic) for f in check_text(loaded, loaded.text)] == [
        "minimal.yaml:26:8: warning: double space [text.double-space]"]


def test_symbolic_link_out_of_the_folder_is_not_followed(tmp_path):
    secret = tmp_path / "elsewhere" / "secrets.txt"
    secret.parent.mkdir()
    secret.write_text("alice: s3cr3t\n", encoding="utf-8")
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "leak.yaml").symlink_to(secret)
    (folder / "real.yaml").write_bytes(MINIMAL.read_bytes())
    (folder / "alias.yaml").symlink_to("real.yaml")  # inside the folder: fine
    assert [str(d) for d in load_source(folder / "leak.yaml", "leak.yaml").diagnostics] == [
        "leak.yaml: error: cannot read file: a symbolic link to a file outside its folder; "
        "copy the file into the folder instead [file.unreadable]"]
    assert load_source(folder / "alias.yaml", "alias.yaml").diagnostics == []
