"""The batch: atomic writes, a bad source not stopping the others, the CLI and the Makefile."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

CLI = [sys.executable, "-m", "pipeline"]


def _run(*args, cwd=ROOT, env=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_batch_builds_the_good_sources_and_reports_the_bad(tmp_path, source_copy):
    good = source_copy(handout_id="good-one")
    bad = source_copy({"page_budget": 1}, handout_id="too-long")
    broken = good.parent / "broken.yaml"
    broken.write_text("id: broken\nlanguage: km\ntitle: [\n", encoding="utf-8")
    result = _run("pdf", "--out", str(tmp_path / "out"), str(good.parent))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (tmp_path / "out" / "pdf" / "good-one.pdf").exists()
    assert not (tmp_path / "out" / "pdf" / "too-long.pdf").exists()
    assert f"{bad}: error: renders to 2 pages, budget is 1" in result.stderr
    assert f"{broken}:4:1: error: invalid YAML" in result.stderr
    # Every source has its progress line, counted over all of them.
    assert [line.split(" ", 1)[0] for line in result.stdout.splitlines()[:-1]] == [
        "[1/3]", "[2/3]", "[3/3]"]
    assert f"{broken}: not built, it has errors (see below)" in result.stdout
    assert f"{bad}: failed (see below)" in result.stdout
    assert re.search(rf"{re.escape(str(good))} → pdf 2 pages, \d+ KB \(\d+\.\d s\)\n",
                     result.stdout)
    assert re.fullmatch(r"pdf: 1 built, 2 failed, 0 up to date, 2 errors, 0 warnings "
                        r"in \d+\.\d s", result.stdout.splitlines()[-1])


def test_separate_runs_at_different_times_write_identical_bytes(tmp_path, source_copy):
    # In-process builds share caches and a clock reading; this is what a user sees:
    # two runs, seconds apart, with different hash seeds (set and dict order), and no
    # SOURCE_DATE_EPOCH, which some libraries (fontTools) would take instead of the clock.
    source = source_copy()
    digests = []
    for seed in ("1", "2"):
        env = {name: value for name, value in os.environ.items() if name != "SOURCE_DATE_EPOCH"}
        env["PYTHONHASHSEED"] = seed
        out = tmp_path / f"run-{seed}"
        for fmt in ("pdf", "docx"):
            result = _run(fmt, "-q", "--out", str(out), str(source), env=env)
            assert result.returncode == 0, result.stderr
        digests.append({path.relative_to(out): path.read_bytes()
                        for path in sorted(out.rglob("*"))
                        if path.is_file() and ".build" not in path.parts})
        time.sleep(1.1)  # a clock read anywhere would now differ
    assert [str(name) for name in digests[0]] == [
        "docx/account-manager.docx", "html/account-manager.html", "pdf/account-manager.pdf"]
    assert digests[0] == digests[1]


def test_cli_help_on_every_subcommand():
    for command in ("check", "pdf", "docx", "fix", "schema"):
        result = _run(command, "--help")
        assert result.returncode == 0
        assert f"usage: python -m pipeline {command}" in result.stdout


def test_check_prints_only_a_summary_on_the_shipped_sources():
    result = _run("check", "--strict")
    shipped = len(list((ROOT / "sources").glob("*.yaml")))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, f"checked {shipped} sources: 0 errors, 0 warnings\n", "")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_lists_every_target():
    result = subprocess.run(["make", "--no-print-directory", "help"], capture_output=True,
                            text=True, cwd=ROOT)
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")}
    assert {"help", "check", "fix", "pdf", "print", "docx", "test", "schema", "bench",
            "clean"} <= listed


# --- failures that are ours, or the machine's, not the source's ------------------------------


def test_a_bug_in_one_handout_is_reported_and_the_batch_goes_on(tmp_path, source_copy,
                                                                 monkeypatch):
    from pipeline import build as build_module
    from pipeline.config import load_settings

    first = source_copy(handout_id="first")
    second = source_copy(handout_id="second")
    from pipeline.writers.docx import DocxWriter

    real = DocxWriter.render

    def flaky(self, doc, settings, layout=None):
        if doc.id == "first":
            raise ValueError("exceeded 255 char limit")
        return real(self, doc, settings, layout)

    monkeypatch.setattr(DocxWriter, "render", flaky)
    report = build_module.build([first, second], "docx", load_settings(), tmp_path / "out")
    assert [str(d) for d in report.diagnostics] == [
        f"{first}: error: internal error while rendering: ValueError: exceeded 255 char "
        "limit; run 'python -m pipeline --debug ...' for the traceback and report it"]
    assert [p.name for p in report.written] == ["second.docx"]
    with pytest.raises(ValueError):
        build_module.build([first], "docx", load_settings(), tmp_path / "out", debug=True)


def test_an_output_folder_that_cannot_be_written_is_one_error_per_source(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _run("docx", "--out", str(blocker), "sources/account-manager.yaml")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr == (f"sources/account-manager.yaml: error: cannot write "
                             f"{blocker}/docx/account-manager.docx: {blocker} is a file, not "
                             "a folder\n")
    empty = _run("docx", "--out", "", "sources")
    assert empty.returncode == 2
    assert "argument --out: the output folder must not be empty" in empty.stderr


def test_debug_is_taken_after_the_command_too():
    result = _run("check", "--debug", "sources")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("done in ")


def test_a_closed_pipe_does_not_stop_the_batch(tmp_path, source_copy):
    first = source_copy(handout_id="first")
    source_copy(handout_id="second")
    out = tmp_path / "out"
    # `| head -1`: the reader leaves after the first progress line.
    shell = (f"{sys.executable} -m pipeline docx --out {out} {first.parent} | head -1; "
             "exit ${PIPESTATUS[0]}")
    result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (out / "docx").iterdir()) == ["first.docx", "second.docx"]


def test_fix_fails_on_a_source_it_cannot_read(tmp_path):
    result = _run("fix", str(tmp_path / "missing.yaml"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{tmp_path / 'missing.yaml'}: error: cannot read file")
    assert result.stdout.splitlines() == [
        "fix: 0 files changed of 1 source, 1 source could not be read"]
    assert _run("fix", str(tmp_path)).returncode == 1  # no sources at all


def test_sources_are_counted_once_and_yml_files_are_pointed_out(tmp_path, source_copy):
    source = source_copy()
    (source.parent / "typo.yml").write_text("id: typo\n", encoding="utf-8")
    result = _run("check", str(source.parent), str(source))
    assert result.returncode == 0, result.stderr
    assert result.stderr == (f"{source.parent / 'typo.yml'}: warning: ignored: sources end "
                             "in .yaml; rename it typo.yaml\n")
    assert result.stdout == "checked 1 source: 0 errors, 0 warnings\n"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_source_names_never_reach_a_shell(tmp_path):
    # Make no longer turns source names into targets: the pipeline plans the build, so a
    # name with shell syntax in it is only a file whose id does not match.
    folder = tmp_path / "sources"
    folder.mkdir()
    for name in ("ok.yaml", "x$(touch PWNED).yaml", "a b.yaml"):
        (folder / name).write_text("id: x\n", encoding="utf-8")
    result = subprocess.run(["make", "check", f"SOURCES_DIR={folder}"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 2  # make's status when its recipe fails
    assert not (ROOT / "PWNED").exists() and not (folder / "PWNED").exists()
    assert "id 'x' does not match the file name 'x$(touch PWNED).yaml'" in result.stderr
    assert "id 'x' does not match the file name 'a b.yaml'" in result.stderr
    help_text = subprocess.run(["make", "help", f"SOURCES_DIR={folder}"], cwd=ROOT,
                               capture_output=True, text=True)
    assert help_text.returncode == 0, help_text.stderr


def _make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.fixture
def docx_to_import(tmp_path):
    """Return (source in a folder with a space, its DOCX with a tip edited)."""
    from helpers_docx import edit_docx, marked, set_runs

    from pipeline.build import build
    from pipeline.config import load_settings

    folder = tmp_path / "my sources"
    folder.mkdir()
    source = Path(shutil.copy(ROOT / "sources" / "account-manager.yaml", folder))
    report = build([source], "docx", load_settings(), tmp_path / "out")
    assert not report.failed, [str(d) for d in report.diagnostics]
    built = tmp_path / "out" / "docx" / "account-manager.docx"
    # What Windows and LibreOffice name a copy, and what a shell would run.
    edited = tmp_path / "Account Manager (edited); touch PWNED.docx"
    edit_docx(built, edited, lambda body: set_runs(marked(body, "tips[0]"), "គន្លឹះថ្មី។"))
    return source, edited


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_import_takes_any_file_name_as_data(docx_to_import, tmp_path):
    source, edited = docx_to_import
    result = _make("import", f"DOCX={edited}", f"SOURCES_DIR={source.parent}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(f"{source}: written from {edited}\n")
    assert "- គន្លឹះថ្មី។" in source.read_text(encoding="utf-8")
    injected = _make("import", f"DOCX=x.docx; touch {tmp_path}/PWNED",
                     f"SOURCES_DIR={source.parent}")
    assert injected.returncode == 2
    assert injected.stderr.startswith("error: PWNED: cannot read it: No such file or "
                                      "directory\n")
    assert not list(tmp_path.rglob("PWNED")) and not (ROOT / "PWNED").exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_import_force_lets_an_older_docx_win(docx_to_import):
    source, edited = docx_to_import
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("ក្រុមហ៊ុន។\n", "ក្រុមហ៊ុនថ្មី។\n", 1), encoding="utf-8")
    refused = _make("import", f"DOCX={edited}", f"SOURCES_DIR={source.parent}")
    assert refused.returncode == 2
    assert (f"error: {source} has changed since {edited.name} was made, and importing would "
            "undo those changes; make the DOCX again (make docx) and redo the edits in it, or "
            "import with --force (make import FORCE=1) to let the DOCX's text win; nothing "
            "written\n") in refused.stderr
    forced = _make("import", f"DOCX={edited}", f"SOURCES_DIR={source.parent}", "FORCE=1")
    assert forced.returncode == 0, forced.stderr
    assert "- គន្លឹះថ្មី។" in source.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_clean_removes_only_the_output_folders(tmp_path):
    # Unquoted, "my out/pdf" was two words: rm -rf removed the folder "my" beside it.
    out = tmp_path / "my out"
    (out / "pdf").mkdir(parents=True)
    (out / "pdf" / "x.pdf").write_bytes(b"%PDF")
    (tmp_path / "my").mkdir()
    (tmp_path / "my" / "keep.txt").write_text("keep", encoding="utf-8")
    result = _make("clean", f"OUTPUT_DIR={out}")
    assert result.returncode == 0, result.stderr
    assert not (out / "pdf").exists() and (tmp_path / "my" / "keep.txt").exists()
    empty = _make("clean", "OUTPUT_DIR=")
    assert empty.returncode == 2
    assert "OUTPUT_DIR is empty; name the output folder" in empty.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(("target", "setting", "word"), [
    ("serve", "HOST=127.0.0.1; touch F", "--host '127.0.0.1; touch F'"),
    ("serve", "PORT=80 `touch F`", "--port '80 `touch F`'"),
    ("serve", "OUTPUT_DIR=my out", "--out 'my out'"),
    ("check", "SOURCES_DIR=my 'own' sources", " 'my '\\''own'\\'' sources'\n"),
    ("fix", "SOURCES_DIR=a;b", "fix 'a;b'"),
    ("pdf", "JOBS=2; touch F", "--jobs '2; touch F'"),
    ("pdf", "OUTPUT_DIR=my out", "--out 'my out'"),
    ("bench", "BENCH_OUTPUT=my report.md", "--output 'my report.md'"),
    ("bench", "BENCH_RUNS=3 x", "--runs '3 x'"),
])
def test_make_passes_each_setting_to_the_shell_as_one_word(target, setting, word):
    result = _make("-n", target, setting)
    assert result.returncode == 0, result.stderr
    assert word in result.stdout, result.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_prints_the_folders_as_given(tmp_path):
    flag = tmp_path / "PWNED"
    result = _make("help", f'SOURCES_DIR=x"; touch {flag}; echo "')
    assert result.returncode == 0, result.stderr
    assert f'sources: x"; touch {flag}; echo "/*.yaml' in result.stdout
    assert not flag.exists()


def test_make_leaves_page_sizes_and_variants_to_the_pipeline(tmp_path):
    """The sizes are stated once (the theme); a wrong one is refused with the right ones."""
    from pipeline.config import ALL_PAGE_SIZES, PDF_VARIANTS

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "Letter" not in makefile and "pdf/a-2b" not in makefile
    for setting, value, known in (("PAGE_SIZE", "a5", ALL_PAGE_SIZES),
                                  ("PDF_VARIANT", "pdf/x-4", PDF_VARIANTS)):
        result = subprocess.run(["make", "pdf", f"{setting}={value}",
                                 f"OUTPUT_DIR={tmp_path / 'out'}"], cwd=ROOT,
                                capture_output=True, text=True)
        assert result.returncode != 0
        assert f"invalid choice: '{value}' (choose from " + ", ".join(
            f"'{name}'" for name in known) + ")" in result.stderr
        assert not (tmp_path / "out").exists()


def test_a_broken_setting_is_one_error_not_one_per_source(tmp_path):
    env = {**os.environ, "SOURCE_DATE_EPOCH": "abc"}
    result = _run("docx", "--out", str(tmp_path), "sources", env=env)
    assert (result.returncode, result.stderr) == (
        1, "error: SOURCE_DATE_EPOCH must be a whole number of seconds, not 'abc'\n")


def test_hidden_files_are_not_sources_and_a_linked_copy_is_told_its_name(tmp_path, source_copy):
    source = source_copy()
    (source.parent / ".#account-manager.yaml").symlink_to("user@host.1234")  # an editor lock
    (source.parent / "copy.yaml").symlink_to(source.name)
    result = _run("check", str(source.parent))
    assert result.returncode == 1
    assert result.stderr == (
        f"{source.parent / 'copy.yaml'}:1:5: error: id 'account-manager' does not match the "
        "file name 'copy.yaml'; write id: copy (or name the file account-manager.yaml) "
        "[id.filename]\n")
    assert result.stdout == "checked 2 sources: 1 error, 0 warnings\n"


def test_an_empty_or_missing_sources_folder_fails_every_command_alike(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for command in ("check", "pdf", "docx", "build"):
        for folder in (empty, tmp_path / "missing"):
            result = _run(command, str(folder))
            assert (result.returncode, result.stderr) == (
                1, f"no sources found in {folder}\n"), command


def test_a_second_build_says_up_to_date_and_strict_fails_on_warnings(tmp_path, source_copy):
    source = source_copy({"tips": ["ជំនាញ  ល្អ។"]})  # a double space: a warning
    out = str(tmp_path / "out")
    first = _run("build", "-f", "pdf,docx", "--out", out, str(source.parent))
    assert first.returncode == 0, first.stderr
    assert "warning:" in first.stderr
    again = _run("build", "-f", "pdf,docx", "--out", out, str(source.parent))
    assert again.returncode == 0
    assert re.fullmatch(r"pdf, docx: up to date \(1 source, \d+\.\d s\), 1 warning\n",
                        again.stdout)
    strict = _run("docx", "--strict", "--out", out, str(source.parent))
    assert strict.returncode == 1
    assert (f"{source}: error: has warnings, and the build is strict (its outputs are from "
            "an earlier, non-strict build)" in strict.stderr)
    fresh = _run("docx", "--strict", "--out", str(tmp_path / "fresh"), str(source.parent))
    assert fresh.returncode == 1
    assert (f"{source}: error: not built: it has warnings, and the build is strict"
            in fresh.stderr)
    assert not (tmp_path / "fresh" / "docx" / f"{source.stem}.docx").exists()


def test_over_budget_fails_pdf_and_docx_alike_and_keeps_both_old_files(tmp_path, source_copy):
    import yaml

    source = source_copy()
    out = tmp_path / "out"
    first = _run("build", "-q", "--out", str(out), str(source.parent))
    assert first.returncode == 0, first.stderr
    old = {name: (out / name).read_bytes() for name in (
        "pdf/account-manager.pdf", "docx/account-manager.docx")}
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["tips"] += [f"គន្លឹះបន្ថែមទី {n} សម្រាប់អ្នកសិក្សា។" for n in range(25)]
    source.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for command in (["docx"], ["pdf"], ["build"]):
        result = _run(*command, "-q", "--out", str(out), str(source.parent))
        assert result.returncode == 1, command
        assert f"{source}: error: renders to 3 pages, budget is 2" in result.stderr, command
    assert {name: (out / name).read_bytes() for name in old} == old
