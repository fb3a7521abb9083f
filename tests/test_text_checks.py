"""Khmer text checks: exact diagnostics for a table of inputs, and the safe fixes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, SHIPPED_SOURCE
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.load import load_source
from pipeline.text_checks import apply_edits, check_text, read_source_text


def _findings(tmp_path, value: str, key: str = "tips", language: str = "km", extra: str = "",
              coeng_da: bool = False):
    path = tmp_path / "x.yaml"
    path.write_text(f"language: {language}\n{extra}{key}:\n  - {value}\n", encoding="utf-8")
    return check_text(load_source(path, "x.yaml"), read_source_text(path), coeng_da)


def _messages(tmp_path, value: str, **kwargs) -> list[str]:
    return [str(f.diagnostic) for f in _findings(tmp_path, value, **kwargs)]


VALID = [
    "អ្នកគ្រប់គ្រងគណនី",  # coeng stacks and ro-subscript
    "ស្ត្រី កុំ ពេះ ខ្មែរ ផ្តល់",  # coeng ta, ុំ, ះ, vowel before the base
    "ប្រាក់ខែគោល $43,000 ដល់ $95,000 ក្នុងមួយឆ្នាំ 2-3 ឆ្នាំ",
    "Account Manager: Job Description & Career Requirements",
    # coeng DA is the standard spelling of many words: reported only on request
    "ផ្ដល់ បណ្ដុះបណ្ដាល",
    # one space before ។ or ៖ is a common published style, and prints well
    "ជំនាញ ។", "ដូចខាងក្រោម ៖", "រតនគីរី ៖ ក្រសួង",
]


@pytest.mark.parametrize("value", VALID)
def test_valid_text_has_no_findings(tmp_path, value):
    assert _messages(tmp_path, value) == []


CASES = [
    # errors: the handout would print wrongly
    ("ក ្ក", "x.yaml:3:7: error: broken Khmer cluster '្ក' (U+17D2 U+1780) would print with a "
             "dotted circle [khmer.dotted-circle]"),
    ("កាា", "x.yaml:3:5: error: broken Khmer cluster 'កាា' (U+1780 U+17B6 U+17B6) would print "
            "with a dotted circle [khmer.dotted-circle]"),
    ("ការងារ 中", "x.yaml:3:12: error: character '中' (U+4E2D) is not in Noto Sans Regular "
                 "[glyph.missing]"),
    ("GñkRKb;RKgKNnI CaGñkCMnaj", "x.yaml:3:5: error: 'tips' looks like legacy Limon-font text "
                                  "('GñkRKb;RKgKNnI'), not Unicode Khmer; retype it with a "
                                  "Unicode Khmer keyboard [khmer.legacy-font]"),
    # broken clusters HarfBuzz draws without a dotted circle, wrongly all the same
    ("ការងារ្ ល្អ", "x.yaml:3:11: error: broken Khmer cluster 'ងារ្' (U+1784 U+17B6 U+179A "
                    "U+17D2): coeng is not followed by a base; it would print wrongly "
                    "[khmer.broken-cluster]"),
    ("កំំ", "x.yaml:3:6: error: broken Khmer cluster 'កំំ' (U+1780 U+17C6 U+17C6): the same "
            "sign twice; it would print wrongly [khmer.broken-cluster]"),
    # Limon text pasted into a Khmer sentence
    ("ការងារ GñkRKb;RKgKNnI CaGñkCMnaj eFVIkar",
     "x.yaml:3:12: error: 'tips' looks like legacy Limon-font text ('GñkRKb;RKgKNnI'), not "
     "Unicode Khmer; retype it with a Unicode Khmer keyboard [khmer.legacy-font]"),
    # warnings: prints fine, breaks search and sorting
    ("កេីត", "x.yaml:3:5: warning: misordered Khmer cluster 'កេី' (U+1780 U+17C1 U+17B8); "
             "write 'កើ' (U+1780 U+17BE) [khmer.cluster-order]"),
    ("ក្រ្កម", "x.yaml:3:5: warning: misordered Khmer cluster 'ក្រ្ក' (U+1780 U+17D2 U+179A "
               "U+17D2 U+1780); write 'ក្ក្រ' (U+1780 U+17D2 U+1780 U+17D2 U+179A) "
               "[khmer.cluster-order]"),
    ("ប៉្លង", "x.yaml:3:5: warning: misordered Khmer cluster 'ប៉្ល' (U+1794 U+17C9 U+17D2 "
              "U+179B); write 'ប្ល៉' (U+1794 U+17D2 U+179B U+17C9) [khmer.cluster-order]"),
    ("សហការី។ជំនាញ", "x.yaml:3:11: warning: no space after '។' before the next sentence "
                     "[khmer.space-after-stop]"),
    ("ជំនាញ  ល្អ", "x.yaml:3:10: warning: double space [text.double-space]"),
    ("ជំនាញ  ។", "x.yaml:3:10: warning: double space [text.double-space]"),
    ("គណ\u200bនី", "x.yaml:3:7: warning: invisible character U+200B ZERO WIDTH SPACE; the "
                   "build adds word breaks itself [text.invisible]"),
    ("Account\u200dManager", "x.yaml:3:12: warning: invisible character U+200D ZERO WIDTH "
                             "JOINER [text.invisible]"),
    ("គណ\ufeffនី", "x.yaml:3:7: warning: invisible character U+FEFF ZERO WIDTH NO-BREAK SPACE "
                   "[text.invisible]"),
    ("យ៉ាងតិច ២ ឆ្នាំ", "x.yaml:3:13: warning: Khmer digit '២' in a handout that uses "
                          "Latin digits (digits: latin); use one kind of digit throughout "
                          "[khmer.mixed-digits]"),
    ("Account\u200fManager", "x.yaml:3:12: warning: invisible character U+200F RIGHT-TO-LEFT "
                             "MARK [text.invisible]"),
    # a bidirectional override prints "Account reganaM" reversed: an error, and fixable
    ("Account \u202ereganaM", "x.yaml:3:13: error: bidirectional control U+202E reorders the "
                              "text around it when printed; delete it [text.bidi-control]"),
    ("ការងារ {average}", "x.yaml:3:12: warning: '{average}' is filled in only in the salary "
                        "'narrative'; here it prints as typed [salary.placeholder]"),
]


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_diagnostic(tmp_path, value, expected):
    assert _messages(tmp_path, value) == [expected]


def test_latin_digits_in_a_khmer_digit_handout(tmp_path):
    # One warning per text, counting the others: a page of dates once gave 34 warnings.
    assert _messages(tmp_path, "យ៉ាងតិច 2-3 ឆ្នាំ ឬ 10", extra="digits: khmer\n") == [
        "x.yaml:4:13: warning: Latin digit '2' (and 2 more numbers in this text) in a handout "
        "that uses Khmer digits (digits: khmer); use one kind of digit throughout "
        "[khmer.mixed-digits]"]


def test_coeng_da_is_reported_only_on_request(tmp_path):
    assert _messages(tmp_path, "ផ្ដល់") == []
    assert [str(f.diagnostic) for f in _findings(tmp_path, "ផ្ដល់", coeng_da=True)] == [
        "x.yaml:3:6: warning: coeng DA '្ដ' (U+17D2 U+178A): check that coeng TA '្ត' "
        "(U+17D2 U+178F) is not meant; this is never changed automatically [khmer.coeng-da]"]


def test_english_fields_are_not_legacy_text(tmp_path):
    assert _messages(tmp_path, "McDonald's PayScale", key="title_other") == []


@pytest.mark.parametrize("value", [
    "Microsoft PowerPoint", "LinkedIn", "YouTube, iPhone, eBay.", "MySQL (iOS)", "McDonald's",
    "iOS/Android", "JavaScript/TypeScript", "Don't give up", "O'Reilly", "SAP's ERP",
    "L'Oréal", "https://www.LinkedIn.com", "ការងារ IT និង HR នៅ Microsoft Office",
    # a joiner after the shifter is allowed (ស៊‌ី): no dotted circle, only the invisible note
])
def test_names_in_camel_case_are_not_legacy_text(tmp_path, value):
    # Brand names in a Khmer handout's tips once stopped the build as "Limon text".
    assert _messages(tmp_path, value) == []


def test_a_vowel_on_a_digit_is_a_broken_cluster(tmp_path):
    assert _messages(tmp_path, "១ា", extra="digits: khmer\n") == [
        "x.yaml:4:6: error: broken Khmer cluster '១ា' (U+17E1 U+17B6): U+17B6 has no base "
        "before it; it would print wrongly [khmer.broken-cluster]"]


def test_a_joiner_inside_a_cluster_is_not_a_broken_cluster(tmp_path):
    assert [f.diagnostic.rule for f in _findings(tmp_path, "ស៊\u200cី")] == ["text.invisible"]


@pytest.mark.parametrize("value", ["ចេក ស្វាយ ម្នាស់ ។ល។", "ម្នាស់។ល។ និងបន្លែ"])
def test_et_cetera_sign_is_left_alone(tmp_path, value):
    assert _messages(tmp_path, value) == []


def test_a_long_latin_run_is_checked_quickly(tmp_path):
    # A 40,000-letter word made the Limon pattern backtrack for 20 s (quadratic); with
    # possessive quantifiers it is linear. No timing here: a regression shows as a hang.
    value = "aB;" * 13000 + "x"
    assert [f.diagnostic.rule for f in _findings(tmp_path, value)] == ["khmer.legacy-font"]


@pytest.mark.parametrize(("value", "fixed"), [
    ("កេីត", "កើត"), ("ក្រ្កម", "ក្ក្រម"), ("សហការី។ជំនាញ", "សហការី។ ជំនាញ"),
    ("ជំនាញ  ល្អ", "ជំនាញ ល្អ"), ("ជំនាញ  ។", "ជំនាញ ។"), ("គណ\u200bនី", "គណនី"),
    ("Account \u202ereganaM", "Account reganaM"), ("ជំនាញ\u200e", "ជំនាញ"),
])
def test_fix(tmp_path, value, fixed):
    path = tmp_path / "x.yaml"
    path.write_text(f"# keep me\nlanguage: km\ntips:\n  - {value}  # and me\n", encoding="utf-8")
    findings = _findings_at(path)
    text, _ = apply_edits(read_source_text(path), [f.edit for f in findings if f.edit])
    assert text == f"# keep me\nlanguage: km\ntips:\n  - {fixed}  # and me\n"


def _findings_at(path):
    return check_text(load_source(path, "x.yaml"), read_source_text(path))


@pytest.mark.parametrize("value", ["ផ្ដល់", "Account\u200dManager", "យ៉ាងតិច ២ ឆ្នាំ"])
def test_ambiguous_findings_are_never_fixed(tmp_path, value):
    assert [f.edit for f in _findings(tmp_path, value, coeng_da=True)] == [None]


def test_a_joiner_is_never_moved_to_another_letter(tmp_path):
    # pheasa would put the ZWNJ after ក, where it shapes a different pair of letters.
    findings = _findings(tmp_path, "ក\u200dខ\u200c")
    assert [(f.diagnostic.rule, f.edit) for f in findings if f.diagnostic.rule ==
            "khmer.cluster-order"] == [("khmer.cluster-order", None)]


def test_double_quoted_escapes_are_reported_but_not_fixed(tmp_path):
    findings = _findings(tmp_path, '"\\u1780\\u17c1\\u17b8"')
    assert [f.diagnostic.rule for f in findings] == ["khmer.cluster-order"]
    assert findings[0].edit is None


KHMER_LETTERS = st.sampled_from([chr(c) for c in range(0x1780, 0x17DE)] + [" ", "។", "\u200b"])


@settings(max_examples=200, deadline=None)
@given(st.text(KHMER_LETTERS, min_size=1, max_size=30))
def test_fix_is_idempotent_and_keeps_every_khmer_letter(value):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.yaml"
        path.write_text(f"language: km\ntips:\n  - '{value}'\n", encoding="utf-8")
        text = read_source_text(path)
        for _ in range(5):
            edits = [f.edit for f in _findings_at(path) if f.edit]
            if not edits:
                break
            text, _ = apply_edits(text, edits)
            path.write_text(text, encoding="utf-8")
        assert [f.edit for f in _findings_at(path) if f.edit] == []
        letters = sorted(c for c in value if 0x1780 <= ord(c) <= 0x17B3)
        fixed = load_source(path).root.value[1][1].value[0].value
        assert sorted(c for c in fixed if 0x1780 <= ord(c) <= 0x17B3) == letters


def test_fix_command_repairs_the_seed_and_check_strict_passes(tmp_path):
    source = tmp_path / "account-manager.yaml"
    source.write_text(SHIPPED_SOURCE.read_text(encoding="utf-8").replace(
        "សហការី។ ជំនាញ", "សហការី។ជំនាញ"), encoding="utf-8")
    run = [sys.executable, "-m", "pipeline"]
    first = subprocess.run([*run, "fix", str(source)], capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    assert ": fixed: added a space after '។' [khmer.space-after-stop]" in first.stdout
    assert "សហការី។ ជំនាញ" in source.read_text(encoding="utf-8")
    second = subprocess.run([*run, "fix", str(source)], capture_output=True, text=True, cwd=ROOT)
    assert "fixed:" not in second.stdout
    strict = subprocess.run([*run, "check", "--strict", str(source)], capture_output=True,
                            text=True, cwd=ROOT)
    assert strict.returncode == 0, strict.stderr


def test_check_fails_on_a_dotted_circle_with_line_and_column(source_copy):
    source = source_copy({"tips": ["ការងារ ្ក"]})
    result = subprocess.run([sys.executable, "-m", "pipeline", "check", str(source)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    lines = source.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "ការងារ ្ក" in text)
    column = lines[line - 1].index("្ក") + 1
    assert result.stderr == (
        f"{source}:{line}:{column}: error: broken Khmer cluster '្ក' (U+17D2 U+1780) would "
        "print with a dotted circle [khmer.dotted-circle]\n")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_check_strict_passes_on_the_shipped_sources():
    result = subprocess.run(["make", "--no-print-directory", "check", "STRICT=1"],
                            capture_output=True, text=True, cwd=ROOT)
    assert (result.returncode, result.stderr) == (0, "")
    shipped = len(list((ROOT / "sources").glob("*.yaml")))
    assert result.stdout.endswith(f"checked {shipped} sources: 0 errors, 0 warnings\n")


# --- issue 9: the same results, with less work -----------------------------------------------

_QUADRATIC_ADDRESS = re.compile(r"\S+://\S+|www\.\S+|\S+@\S+\.\S+")


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("aw.:/@ x"), max_size=14))
def test_addresses_are_stripped_as_the_old_pattern_did(text):
    # strip_addresses replaced a pattern that backtracked quadratically on long words; it must
    # find exactly the addresses that pattern found.
    from pipeline.text_checks import strip_addresses

    assert strip_addresses(text) == _QUADRATIC_ADDRESS.sub(" ", text)


def test_an_address_at_the_end_of_a_long_word_is_still_found():
    from pipeline.text_checks import strip_addresses

    assert strip_addresses("see " + "a" * 100_000 + "://x.org now") == "see   now"
    assert strip_addresses("a" * 100_000) == "a" * 100_000


def test_a_long_run_of_letters_is_not_legacy_text_and_legacy_after_it_is(tmp_path):
    # The Limon pattern now starts only where a run of letters starts: what it finds after a
    # long run must not change.
    assert _messages(tmp_path, "ការងារ " + "a" * 50_000) == []
    assert [f.diagnostic.rule for f in _findings(tmp_path, "a" * 50_000 + " aB;c eF;g hI;j")] == [
        "khmer.legacy-font"]


def test_the_cluster_order_report_is_built_once_and_only_for_text_it_changes(tmp_path,
                                                                            monkeypatch):
    import pheasa

    from pipeline import text_checks

    calls = []
    normalize = pheasa.normalize

    def counting(text, **options):
        calls.append(options.get("report", False))
        return normalize(text, **options)

    monkeypatch.setattr(text_checks.pheasa, "normalize", counting)
    path = tmp_path / "x.yaml"
    path.write_text("language: km\ntitle: អ្នកគ្រប់គ្រងគណនី\ntips:\n  - កេីត\n  - ការងារ\n",
                    encoding="utf-8")
    rules = [f.diagnostic.rule for f in _findings_at(path)]
    assert rules == ["khmer.cluster-order"]
    assert calls.count(True) == 1  # for កេីត only, once
    assert calls.count(False) == 3  # the cheap check, once per Khmer field


def test_a_long_legacy_word_is_quoted_in_part(tmp_path):
    assert _messages(tmp_path, "aB;" * 5_000 + " x y") == [
        "x.yaml:3:5: error: 'tips' looks like legacy Limon-font text ('" + ("aB;" * 27)[:79] +
        "…'), not Unicode Khmer; retype it with a Unicode Khmer keyboard [khmer.legacy-font]"]
