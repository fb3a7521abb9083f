"""Project settings (handouts.yaml): what is refused, with the message naming the file."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("url", "expected"), [
    ("ftp://example.org/{id}", "must be a full https:// address, not 'ftp://example.org/{id}'"),
    ("http://example.org/{id}", "must be a full https:// address, not 'http://example.org/{id}'"),
    ("javascript:alert(1)//{id}",
     "must be a full https:// address, not 'javascript:alert(1)//{id}'"),
    ("https://example.org/" + "a" * 200 + "/{id}",
     "is 225 characters long; at most 200 are allowed (a longer one makes a QR code too fine "
     "to scan)"),
    ("https://user:pw@example.org/{id}",
     "must not hold a user name or password (the part before '@')"),
    ("https://example.org/handouts", "must contain {id}, where each handout's id goes: "
                                     "'https://example.org/handouts' would send every QR code "
                                     "to the same page"),
])
def test_online_url_in_the_settings_is_checked(tmp_path, url, expected):
    from pipeline.config import load_settings
    from pipeline.errors import SetupError

    settings = tmp_path / "handouts.yaml"
    settings.write_text(f'organisation: X\nonline_url: "{url}"\n', encoding="utf-8")
    with pytest.raises(SetupError) as raised:
        load_settings(settings)
    assert str(raised.value) == (f"handouts.yaml: 'online_url' {expected}; or leave it empty "
                                 "(online_url: \"\") to print no QR code for handouts without "
                                 "more_info_url")


@pytest.mark.parametrize("url", ["", "https://example.org/handouts/{id}.pdf",
                                 "https://ខ្មែរ.com/{id}"])
def test_a_good_online_url_is_kept(tmp_path, url):
    from pipeline.config import load_settings

    settings = tmp_path / "handouts.yaml"
    settings.write_text(f'online_url: "{url}"\n', encoding="utf-8")
    assert load_settings(settings).online_url == url
