"""The writer seam: a format is one registered class; the build loop and CLI follow it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_project

from pipeline import writers
from pipeline.build import build
from pipeline.config import load_settings
from pipeline.khmer import ZWSP
from pipeline.writers import Rendered, Writer


class _TitleList(Writer):
    """A test format: a text file per handout, and an index over the set."""

    name = "titles"
    help = "test titles"
    folders = ("titles",)
    breaks = False
    finished_with: list = []

    def files(self, handout_id):
        return (f"titles/{handout_id}.txt",)

    def render(self, doc, settings, layout=None):
        return Rendered({self.files(doc.id)[0]: doc.title.encode()})

    def finish(self, documents, settings, project):
        type(self).finished_with.append(sorted(d.id for d in documents))
        return {"titles/index.txt": "\n".join(sorted(d.title for d in documents)).encode()}


@pytest.fixture
def title_writer(monkeypatch):
    registry = dict(writers.writers())
    monkeypatch.setattr(writers, "_REGISTRY", registry)
    writers.register(_TitleList)
    _TitleList.finished_with = []
    return registry["titles"]


def test_every_registered_writer_is_a_cli_command(title_writer):
    from pipeline.__main__ import _parser

    commands = _parser()._subparsers._group_actions[0].choices
    assert {"pdf", "print", "docx", "titles", "build"} <= set(commands)


def test_a_finishing_writer_gets_every_document_and_reruns_only_on_change(
        title_writer, tmp_path, source_copy):
    first = source_copy(handout_id="first")
    source_copy(handout_id="second")
    out = tmp_path / "out"
    report = build([first.parent / "first.yaml", first.parent / "second.yaml"], "titles",
                   load_settings(), out)
    assert not report.failed, [str(d) for d in report.diagnostics]
    assert report.finished == ["titles"]
    assert _TitleList.finished_with == [["first", "second"]]
    # No inserted word breaks in a Document for a writer that does not want them.
    assert ZWSP not in (out / "titles" / "first.txt").read_text()
    assert (out / "titles" / "index.txt").exists()
    again = build([first.parent / "first.yaml", first.parent / "second.yaml"], "titles",
                  load_settings(), out)
    assert (again.built, again.finished, again.up_to_date) == (0, [], 2)
    first.write_text(first.read_text().replace("title:", "title: ក", 1), encoding="utf-8")
    third = build([first.parent / "first.yaml", first.parent / "second.yaml"], "titles",
                  load_settings(), out)
    # Only the edited handout is rendered again, but the index sees both.
    assert (third.built, third.finished, third.up_to_date) == (1, ["titles"], 1)
    assert _TitleList.finished_with[-1] == ["first", "second"]


# A plain-text format, written as a newcomer would: one new module, nothing else touched.
_TOY_WRITER = '''"""A toy format: each handout's text, one paragraph a line."""

from . import Rendered, Writer, register


@register
class TextWriter(Writer):
    name = "txt"
    help = "plain text in txt/"
    folders = ("txt",)
    breaks = False

    def files(self, handout_id):
        return (f"txt/{handout_id}.txt",)

    def render(self, doc, settings, layout=None):
        return Rendered({self.files(doc.id)[0]: "\\n".join(doc.texts()).encode()})
'''


def test_a_new_format_is_one_module(tmp_path, root):
    """Add a writer module to a copy of the project; the CLI, the build and make take it."""
    project = copy_project(root, tmp_path / "project")
    (project / "pipeline" / "writers" / "txt.py").write_text(_TOY_WRITER, encoding="utf-8")
    python = Path(sys.executable)
    # The copy's pipeline comes first on the path (the working folder), before this one.
    built = subprocess.run([python, "-m", "pipeline", "build", "--formats", "txt", "-j", "1"],
                           cwd=project, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    text = (project / "output" / "txt" / "account-manager.txt").read_text(encoding="utf-8")
    assert text.startswith("អ្នកគ្រប់គ្រងគណនី\nAccount Manager\n")
    listed = subprocess.run([python, "-m", "pipeline", "formats"], cwd=project,
                            capture_output=True, text=True, timeout=60)
    assert "  txt             plain text in txt/" in listed.stdout.splitlines()

    # make: the venv this test runs in, and a set-up stamp newer than every prerequisite, so
    # that make never sets a virtual environment up (or tears this one down).
    stamp = tmp_path / "installed"
    stamp.touch()
    venv = python.parent.parent
    shutil.rmtree(project / "output")
    environment = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}"}
    made = subprocess.run(["make", "txt", f"VENV={venv}", f"VENV_STAMP={stamp}", "JOBS=1"],
                          cwd=project, capture_output=True, text=True, timeout=300,
                          env=environment)
    assert made.returncode == 0, made.stdout + made.stderr
    assert (project / "output" / "txt" / "software-developer.txt").is_file()
    helped = subprocess.run(["make", "help", f"VENV={venv}", f"VENV_STAMP={stamp}"],
                            cwd=project, capture_output=True, text=True, timeout=60)
    assert "  txt             plain text in txt/" in helped.stdout.splitlines()
    cleaned = subprocess.run(["make", "clean", f"VENV={venv}", f"VENV_STAMP={stamp}"],
                             cwd=project, capture_output=True, text=True, timeout=60)
    assert "removed output/txt/" in cleaned.stdout
    assert not (project / "output" / "txt").exists()
