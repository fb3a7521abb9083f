"""Khmer text preparation shared by the PDF and DOCX stages.

Khmer is written without spaces between words, and Pango (so WeasyPrint) and Word only break
lines at spaces, U+200B and ។. `insert_word_breaks` puts an invisible U+200B ZERO WIDTH SPACE
at each word boundary that ICU's Khmer dictionary finds, and nowhere else.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from icu4py.breakers import LineBreaker
from icu4py.locale import Locale

ZWSP = "\u200b"

# Characters that may not start a line: dependent vowels, signs and the coeng (U+17B4–U+17D3,
# U+17DD; ICU never breaks before them, this keeps us safe anyway), and the marks that belong
# to the word before them: ។ ៕ ៖ and the repetition sign ៗ (ICU breaks before ៗ).
_NO_BREAK_BEFORE = frozenset(chr(c) for c in (*range(0x17B4, 0x17D4), 0x17D4, 0x17D5, 0x17D6,
                                               0x17D7, 0x17DD))


# Invisible characters that take the script of the text around them.
_NEUTRAL = frozenset({ZWSP, "\u200c", "\u200d", "\u2060"})
_COENG = "\u17d2"
_REPETITION = "ៗ"
_ET_CETERA = "។ល។"
_SPACE_BEFORE_REPETITION = re.compile(" +(?=ៗ)")
# Signs that may follow a bare final consonant (បាត់: ត + ់).
_FINAL_SIGNS = frozenset(chr(c) for c in range(0x17C9, 0x17D2))

# Words that lean on the next one and must not end a line: ដ៏ ("which is", before an
# adjective: ដ៏ល្អ "good", ដ៏សំខាន់ "important").
_NO_BREAK_AFTER = ("ដ៏",)


# Characters that print as nothing: format characters (U+200B, U+2060, U+FEFF, bidi marks,
# the soft hyphen) and Khmer's two inherent vowels, which fonts draw empty.
_INVISIBLE_KHMER = frozenset("\u17b4\u17b5")


def invisible_only(text: str) -> bool:
    """Return whether the text would print as blank: only spaces and invisible characters."""
    return all(c.isspace() or c in _INVISIBLE_KHMER or unicodedata.category(c) == "Cf"
               for c in text)


def is_khmer(char: str) -> bool:
    """Return whether a character belongs to the Khmer script (letters, signs, digits)."""
    code = ord(char)
    return 0x1780 <= code <= 0x17FF or 0x19E0 <= code <= 0x19FF


def has_khmer(text: str) -> bool:
    """Return whether any character of the text is Khmer."""
    return any(is_khmer(c) for c in text)


@lru_cache(maxsize=1)
def _khmer_locale() -> Locale:
    return Locale("km")


def insert_word_breaks(text: str) -> str:
    """Return the text with U+200B at every break between two Khmer words.

    Breaks next to a space, inside Latin text or URLs, or inside a Khmer cluster get nothing;
    ZWSPs already in the text are dropped first so that the result does not depend on them.
    """
    text = text.replace(ZWSP, "")
    if not has_khmer(text):
        return text
    if _REPETITION in text:
        # ICU's dictionary misreads the word before ៗ (កំពូលៗ → កំ|ពូលៗ): segment the text
        # around each ៗ on its own, keep ៗ with its word, and allow a break after it.
        parts = text.split(_REPETITION)
        out = insert_word_breaks(parts[0])
        for part in parts[1:]:
            out += _REPETITION
            if part and is_khmer(part[0]) and part[0] not in _NO_BREAK_BEFORE:
                out += ZWSP
            out += insert_word_breaks(part)
        return out
    pieces = _join_bare_finals(list(LineBreaker(text, _khmer_locale())))
    out = [pieces[0]]
    for before, after in zip(pieces, pieces[1:], strict=False):
        if _may_break(before, after):
            out.append(ZWSP)
        out.append(after)
    return "".join(out)


def _may_break(before: str, after: str) -> bool:
    """Return whether a word break may go between two of ICU's pieces of Khmer text."""
    return (is_khmer(before[-1]) and is_khmer(after[0])
            and after[0] not in _NO_BREAK_BEFORE
            # never between a coeng and its consonant (ហ្វ្|រី prints a full-size រ)
            and not before.endswith(_COENG)
            and not before.endswith(_NO_BREAK_AFTER)
            and not (before.endswith("។") and after.startswith(_ET_CETERA[1:])))


def _join_bare_finals(pieces: list[str]) -> list[str]:
    """Join a piece that is one bare consonant (with a sign) to the piece before it.

    On words it does not know, ICU cuts off a syllable's final consonant (ម៉ា|ណែ|ត); a line
    that starts with that lone letter reads as nonsense.
    """
    joined = [pieces[0]]
    for piece in pieces[1:]:
        core = piece.rstrip()
        bare = (core and 0x1780 <= ord(core[0]) <= 0x17A2
                and all(c in _FINAL_SIGNS for c in core[1:]))
        if bare and is_khmer(joined[-1][-1]) and not joined[-1][-1].isspace():
            joined[-1] += piece
        else:
            joined.append(piece)
    return joined


def bind_repetition_signs(text: str) -> str:
    """Return the text with a space before ៗ made a no-break space.

    Many writers type "ផ្សេង ៗ"; at that space a line could break and the next one would
    start with ៗ, which repeats the word before it.
    """
    return _SPACE_BEFORE_REPETITION.sub("\u00a0", text)


def keep_last_words_together(text: str) -> str:
    """Drop the last word break of a paragraph, so that its last line is never one word."""
    last = text.rfind(ZWSP)
    if last == -1 or " " in text[last:]:
        return text
    return text[:last] + text[last + 1:]


def shorten(text: str, limit: int) -> str:
    """Return the text without word breaks, cut at a line-break opportunity to fit limit
    characters with a closing ellipsis (inside a word only when its first word is longer
    than the limit)."""
    text = text.replace(ZWSP, "")
    if len(text) <= limit:
        return text
    kept = ""
    for piece in LineBreaker(text, _khmer_locale()):
        if len(kept) + len(piece) > limit - 1:
            break
        kept += piece
    return (kept.rstrip() or text[:limit - 1]) + "…"


def script_runs(text: str) -> list[tuple[str, bool]]:
    """Split text into (run, is_khmer) pieces; spaces and ZWSP join the run before them.

    The DOCX stage puts each piece in its own run so Khmer takes the complex-script font
    and Latin text (URLs, English names, digits) the Latin one.
    """
    runs: list[tuple[list[str], bool]] = []  # lists of characters: joining strings is linear
    for char in text:
        # Joiners belong to the letters around them: ស៊‌ី shapes as one Khmer run.
        neutral = char.isspace() or char in _NEUTRAL
        khmer = is_khmer(char)
        if runs and (neutral or runs[-1][1] == khmer):
            runs[-1][0].append(char)
        else:
            runs.append(([char], khmer and not neutral))
    return [("".join(chars), khmer) for chars, khmer in runs]


_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def to_khmer_digits(text: str) -> str:
    """Return the text with Latin digits 0–9 written as Khmer digits ០–៩."""
    return text.translate(_KHMER_DIGITS)
