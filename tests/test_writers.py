"""The writer seam: a format is one registered class; the build loop and CLI follow it."""

from __future__ import annotations

import pytest

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

    def render(self, doc, settings):
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
