"""The build plan: only what is out of date is rendered, and nothing else is touched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from pipeline import plan
from pipeline.build import build
from pipeline.config import load_settings


def _snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    """Return every output's bytes and modification time, by path."""
    return {str(path.relative_to(out)): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in sorted(out.rglob("*"))
            if path.is_file() and ".build" not in path.parts}


@pytest.fixture
def three(tmp_path, source_copy):
    """Three sources, built once as PDF and DOCX; return (sources, out folder, snapshot)."""
    paths = [source_copy(handout_id=name) for name in ("first", "second", "third")]
    out = tmp_path / "out"
    report = build(paths, ["pdf", "docx"], load_settings(), out, whole_folders=True)
    assert (report.built, report.failed) == (3, False), [str(d) for d in report.diagnostics]
    return paths, out, _snapshot(out)


def test_nothing_changed_renders_nothing(three):
    paths, out, before = three
    report = build(paths, ["pdf", "docx"], load_settings(), out)
    assert (report.built, report.up_to_date, report.written) == (0, 3, [])
    assert _snapshot(out) == before


def test_an_edited_source_rebuilds_that_handout_alone(three):
    paths, out, before = three
    second = paths[1]
    second.write_text(second.read_text(encoding="utf-8").replace(
        "tips:\n", "tips:\n- ព័ត៌មានថ្មី។\n", 1), encoding="utf-8")
    report = build(paths, ["pdf", "docx"], load_settings(), out)
    assert (report.built, report.up_to_date) == (1, 2)
    after = _snapshot(out)
    changed = sorted(name for name in after if after[name] != before[name])
    assert changed == ["docx/second.docx", "html/second.html", "pdf/second.pdf"]
    assert "ព័ត៌មានថ្មី" in (out / "html" / "second.html").read_text(encoding="utf-8")


def test_a_touched_but_unchanged_source_is_up_to_date(three):
    paths, out, before = three
    paths[0].touch()
    assert build(paths, ["pdf", "docx"], load_settings(), out).built == 0
    assert _snapshot(out) == before


def test_an_output_deleted_or_touched_by_hand_is_built_again(three):
    paths, out, _ = three
    (out / "pdf" / "first.pdf").unlink()
    (out / "docx" / "third.docx").write_bytes(b"edited by someone")
    report = build(paths, ["pdf", "docx"], load_settings(), out)
    assert report.built == 2
    assert sorted(str(p.relative_to(out)) for p in report.written) == [
        "docx/third.docx", "html/first.html", "pdf/first.pdf"]
    assert (out / "docx" / "third.docx").read_bytes().startswith(b"PK")


def test_a_page_size_change_rebuilds_both_formats_and_a_variant_the_pdf_only(three):
    paths, out, before = three
    report = build(paths, ["pdf", "docx"], load_settings(pdf_variant="pdf/a-3b"), out)
    assert report.built == 3
    after = _snapshot(out)
    for name in ("first", "second", "third"):
        assert after[f"pdf/{name}.pdf"][0] != before[f"pdf/{name}.pdf"][0]
        assert after[f"docx/{name}.docx"] == before[f"docx/{name}.docx"]  # not even touched
    resized = build(paths, ["pdf", "docx"], load_settings(page_size="A5"), out)
    assert resized.built == 3
    final = _snapshot(out)
    assert all(final[name][0] != after[name][0] for name in final
               if name.startswith(("pdf/", "docx/")))


@pytest.mark.parametrize("folder", ["templates", "fonts", "config", "code"])
def test_a_shared_input_change_rebuilds_everything(three, folder, tmp_path, monkeypatch):
    paths, out, before = three
    copies = {"code": plan.PIPELINE_DIR, "templates": plan.TEMPLATES_DIR,
              "fonts": plan.FONTS_DIR, "config": plan.SETTINGS_FILE}
    original = plan.shared_digest()
    # The digest of a copy of that input with one byte more stands for an edit.
    copy = tmp_path / "changed"
    source = copies[folder]
    if source.is_dir():
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
        target = next(p for p in sorted(copy.rglob("*")) if p.is_file())
        target.write_bytes(target.read_bytes() + b" ")
    else:
        copy.write_bytes(source.read_bytes() + b"\n# edited\n")
    changed = plan.shared_digest.__wrapped__(**{folder: copy})
    assert changed != original
    monkeypatch.setattr(plan, "shared_digest", lambda: changed)
    report = build(paths, ["pdf", "docx"], load_settings(), out)
    assert (report.built, report.up_to_date) == (3, 0)


def test_a_deleted_source_takes_its_outputs_along(three):
    paths, out, _ = three
    paths[2].unlink()
    report = build(paths[:2], ["pdf", "docx"], load_settings(), out, whole_folders=True)
    assert sorted(str(p.relative_to(out)) for p in report.removed) == [
        "docx/third.docx", "html/third.html", "pdf/third.pdf"]
    assert not (out / "pdf" / "third.pdf").exists()
    # Given single files, the build leaves other handouts' outputs alone.
    kept = build(paths[:1], ["pdf"], load_settings(), out)
    assert kept.removed == [] and (out / "pdf" / "second.pdf").exists()


def test_a_pool_writes_the_same_bytes_as_one_process(tmp_path, source_copy):
    paths = [source_copy(handout_id=name) for name in ("alpha", "beta", "gamma")]
    serial, pooled = tmp_path / "serial", tmp_path / "pooled"
    one = build(paths, ["pdf", "docx"], load_settings(), serial, jobs=1)
    many = build(paths, ["pdf", "docx"], load_settings(), pooled, jobs=2)
    assert (one.built, many.built) == (3, 3)
    assert {k: v[0] for k, v in _snapshot(serial).items()} == {
        k: v[0] for k, v in _snapshot(pooled).items()}


def test_each_handout_is_dated_by_its_own_sources_last_commit(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    source = ROOT / "sources" / "account-manager.yaml"
    dates = plan.source_dates([source])
    if (ROOT / ".git").exists():
        import subprocess

        committed = subprocess.run(["git", "log", "-1", "--format=%ct", "--", str(source)],
                                   capture_output=True, text=True, cwd=ROOT).stdout.strip()
        assert dates[source] is not None
        assert int(dates[source].timestamp()) == int(committed)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert int(plan.source_dates([source])[source].timestamp()) == 1700000000


def test_a_source_git_does_not_know_has_no_date(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    loose = tmp_path / "loose.yaml"
    loose.write_text("id: loose\n", encoding="utf-8")
    assert plan.source_dates([loose]) == {loose: None}


def test_a_handout_that_suggests_another_is_rebuilt_when_that_ones_title_changes(
        tmp_path, source_copy):
    suggesting = source_copy({"related": ["other"]}, handout_id="suggesting")
    other = source_copy(handout_id="other")
    unrelated = source_copy(handout_id="unrelated")
    paths = [suggesting, other, unrelated]
    out = tmp_path / "out"
    first = build(paths, ["pdf"], load_settings(), out)
    assert first.built == 3, [str(d) for d in first.diagnostics]
    html = (out / "html" / "suggesting.html").read_text(encoding="utf-8")
    assert 'class="related"' in html and "អ្នកគ្រប់គ្រង" in html
    assert build(paths, ["pdf"], load_settings(), out).built == 0  # nothing changed yet
    other.write_text(other.read_text(encoding="utf-8").replace(
        "title: អ្នកគ្រប់គ្រងគណនី", "title: អ្នកលក់", 1), encoding="utf-8")
    second = build(paths, ["pdf"], load_settings(), out)
    assert sorted(p.name for p in second.written) == [
        "other.html", "other.pdf", "suggesting.html", "suggesting.pdf"]
    assert "អ្នកលក់" in (out / "html" / "suggesting.html").read_text(encoding="utf-8")


def test_an_edit_that_leaves_a_suggested_careers_titles_alone_rebuilds_only_it(
        tmp_path, source_copy):
    suggesting = source_copy({"related": ["other"]}, handout_id="suggesting")
    other = source_copy(handout_id="other")
    out = tmp_path / "out"
    assert build([suggesting, other], ["pdf"], load_settings(), out).built == 2
    other.write_text(other.read_text(encoding="utf-8").replace(
        "tips:\n", "tips:\n- ព័ត៌មានថ្មី។\n", 1), encoding="utf-8")
    report = build([suggesting, other], ["pdf"], load_settings(), out)
    assert sorted(p.name for p in report.written) == ["other.html", "other.pdf"]
