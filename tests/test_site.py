"""The static site (`make site`): its files, links, fonts, weights and escaping.

What a browser does with it (loading, layout at 360 px, search, accessibility) is in
test_site_browser.py.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml
from conftest import SHIPPED_SOURCE, write_source
from markupsafe import escape

from pipeline.build import build
from pipeline.config import load_settings
from pipeline.khmer import ZWSP
from pipeline.render_site import (
    CONTENT_SECURITY_POLICY,
    PAGE_BUDGET_BYTES,
    khmer_sort_key,
    site_weights,
)

HOSTILE_TITLE = "</script><script>alert(1)</script>"
HOSTILE_OTHER = '" onmouseover="alert(2)'


def _build_site(folder: Path, out: Path, **settings):
    report = build(sorted(folder.glob("*.yaml")), "site", load_settings(**settings), out)
    assert not report.failed, [str(d) for d in report.diagnostics]
    return out / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A site of the shipped source, a hostile one and an English one."""
    folder = tmp_path_factory.mktemp("sources")
    (folder / SHIPPED_SOURCE.name).write_bytes(SHIPPED_SOURCE.read_bytes())
    write_source(folder, {"title": HOSTILE_TITLE, "title_other": HOSTILE_OTHER},
                 handout_id="hostile")
    write_source(folder, {"title": "កសិករ", "title_other": "Farmer"}, handout_id="farmer")
    return _build_site(folder, tmp_path_factory.mktemp("out"))


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_site_has_an_index_a_page_per_handout_and_its_downloads(site):
    assert (site / "index.html").exists()
    for handout_id in ("account-manager", "hostile", "farmer"):
        assert (site / handout_id / "index.html").exists()
        assert (site / handout_id / f"{handout_id}.pdf").read_bytes().startswith(b"%PDF")
        assert (site / handout_id / f"{handout_id}.docx").read_bytes().startswith(b"PK")
    for font in site.glob("assets/*.woff2"):
        assert font.read_bytes().startswith(b"wOF2")
    assert len(list(site.glob("assets/*.woff2"))) == 5


def test_every_link_is_relative_and_every_page_carries_the_csp(site):
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        assert f'<meta http-equiv="Content-Security-Policy" content="' \
               f'{escape(CONTENT_SECURITY_POLICY)}">' in text, page
        # Only the references' <a> may point elsewhere: they are links a reader follows,
        # never a request the page makes.
        for tag, _attribute, value in re.findall(r'<(\w+)[^>]*?\b(href|src)="([^"]*)"', text):
            if tag == "a" and value.startswith("https://"):
                continue
            assert "://" not in value and not value.startswith("/"), (page, value)
            target = (page.parent / value.split("#")[0]).resolve()
            assert target.is_file(), (page, value)
    css = (site / "assets" / "site.css").read_text(encoding="utf-8")
    for url in re.findall(r"url\(([^)]*)\)", css):
        assert "://" not in url and (site / "assets" / url).is_file(), url
    assert "@import" not in css and "@media print" in css


def test_web_text_has_no_inserted_word_breaks_and_equals_the_source(site):
    source = yaml.safe_load(SHIPPED_SOURCE.read_text(encoding="utf-8"))
    text = html.unescape((site / "account-manager" / "index.html").read_text(encoding="utf-8"))
    assert ZWSP not in text and "\u00a0" not in text
    for paragraph in source["introduction"] + source["tips"] + source["career_path"]:
        assert f"<p>{paragraph}</p>" in text or f"<li>{paragraph}</li>" in text
    assert '<html lang="km">' in text and '<p class="title-other" lang="en">' in text


def test_a_hostile_title_shows_as_typed_everywhere(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    page = (site / "hostile" / "index.html").read_text(encoding="utf-8")
    for text in (index, page):
        assert "<script>alert" not in text and 'onmouseover="alert' not in text
        assert escape(HOSTILE_TITLE) in text and escape(HOSTILE_OTHER) in text
    # The search box reads the list's own text: the title is there as typed.
    assert f'<span class="title" lang="km">{escape(HOSTILE_TITLE)}</span>' in index
    assert f"<title>{escape(HOSTILE_TITLE)} – {escape(HOSTILE_OTHER)}</title>" in page
    assert "<script" not in page and index.count("<script") == 1  # only assets/search.js


def test_the_index_is_in_khmer_collation_order(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    ids = re.findall(r'<a href="([a-z-]+)/index.html">', index)
    # The collation puts punctuation and Latin before Khmer; កសិករ before អ្នក…
    assert ids == ["hostile", "farmer", "account-manager"]
    words = ["អ្នកគ្រប់គ្រង", "គ្រូបង្រៀន", "កសិករ", "ខ្មែរ", "ក្រុមហ៊ុន", "ការិយាល័យ"]
    assert sorted(words, key=khmer_sort_key) == [
        "កសិករ", "ការិយាល័យ", "ក្រុមហ៊ុន", "ខ្មែរ", "គ្រូបង្រៀន", "អ្នកគ្រប់គ្រង"]


def test_every_page_is_within_its_weight_budget(site):
    weights = site_weights(site)
    assert set(weights) == {"index.html", "account-manager/index.html", "hostile/index.html",
                            "farmer/index.html"}
    for page, weight in weights.items():
        assert 20_000 < weight <= PAGE_BUDGET_BYTES, (page, weight)


def test_the_fonts_cover_every_character_the_site_shows(site):
    from fontTools.ttLib import TTFont

    covered = set()
    for font in site.glob("assets/*.woff2"):
        covered |= set(TTFont(font).getBestCmap())
    for page in _pages(site):
        text = html.unescape(re.sub(r"<[^>]*>", "", page.read_text(encoding="utf-8")))
        missing = {char for char in text if not char.isspace() and ord(char) not in covered}
        assert not missing, (page, missing)


def test_the_build_reports_each_page_weight(tmp_path, capsys):
    from pipeline.__main__ import main

    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / SHIPPED_SOURCE.name).write_bytes(SHIPPED_SOURCE.read_bytes())
    assert main(["site", "--jobs", "1", "--out", str(tmp_path / "out"), str(folder)]) == 0
    out = capsys.readouterr().out
    weights = site_weights(tmp_path / "out" / "site")
    for page, weight in weights.items():
        assert f"site/{page}: {weight / 1024:.0f} KB with fonts, CSS and script " \
               "(budget 200 KB)\n" in out
    # Built again with nothing changed: nothing is redone.
    assert main(["site", "--jobs", "1", "--out", str(tmp_path / "out"), str(folder)]) == 0
    assert "site: up to date (1 source" in capsys.readouterr().out


def test_the_site_is_reproducible(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / SHIPPED_SOURCE.name).write_bytes(SHIPPED_SOURCE.read_bytes())
    first = _build_site(folder, tmp_path / "one")
    second = _build_site(folder, tmp_path / "two")
    for path in first.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".css", ".js", ".woff2"):
            assert path.read_bytes() == (second / path.relative_to(first)).read_bytes(), path


def test_a_fair_file_groups_the_index(tmp_path):
    project = tmp_path / "project"
    folder = project / "sources"
    folder.mkdir(parents=True)
    write_source(folder, {"title": "កសិករ", "title_other": "Farmer"}, handout_id="farmer")
    write_source(folder, handout_id="account-manager")
    (project / "fairs").mkdir()
    (project / "fairs" / "phnom-penh.yaml").write_text(
        "name: ពិព័រណ៍អាជីព\ndate: 2027-02-20\nvenue: ភ្នំពេញ\n"
        "sections:\n  - heading: ពាណិជ្ជកម្ម\n    handouts: [account-manager]\n",
        encoding="utf-8")
    index = (_build_site(folder, tmp_path / "out") / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="group-1">ពាណិជ្ជកម្ម</h2>' in index
    assert '<h2 id="group-2">អាជីពផ្សេងទៀត</h2>' in index  # what the fair does not list
    assert index.index("account-manager/") < index.index("farmer/")


def test_the_qr_code_points_at_the_site_when_online_url_is_set(tmp_path, source_copy):
    from pipeline.load import load_source
    from pipeline.prepare import prepare
    from pipeline.validate import validate_sources

    source = source_copy()  # it has a more_info_url of its own
    handouts, _ = validate_sources([load_source(source, source.name)])
    settings = load_settings(online_url="https://careers.example.org/{id}/")
    assert prepare(handouts[0], settings).qr_url == \
        "https://careers.example.org/account-manager/"
    assert prepare(handouts[0], load_settings(online_url="")).qr_url == \
        "https://www.glassdoor.com/Job-Description/Account-Manager.htm"


def test_a_removed_handout_leaves_the_site(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / SHIPPED_SOURCE.name).write_bytes(SHIPPED_SOURCE.read_bytes())
    gone = write_source(folder, {"title": "កសិករ"}, handout_id="farmer")
    site = _build_site(folder, tmp_path / "out")
    assert (site / "farmer" / "index.html").exists()
    gone.unlink()
    report = build(sorted(folder.glob("*.yaml")), "site", load_settings(), tmp_path / "out",
                   whole_folders=True)
    assert not report.failed
    assert not (site / "farmer").exists()
    assert site / "farmer" / "index.html" in report.removed
    assert "farmer/" not in (site / "index.html").read_text(encoding="utf-8")
