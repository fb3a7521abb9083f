"""Khmer text preparation shared by the PDF and DOCX stages.

Khmer is written without spaces between words, and Pango (so WeasyPrint) and Word only break
lines at spaces, U+200B and ។. `insert_word_breaks` puts an invisible U+200B ZERO WIDTH SPACE
at each word boundary that ICU's Khmer dictionary finds, and nowhere else.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from icu4py.breakers import LineBreaker
from icu4py.locale import Locale

from .errors import SetupError

ZWSP = "\u200b"
# Forbids a line break on either side of it, and prints as nothing.
WORD_JOINER = "\u2060"
NBSP = "\u00a0"

# Words kept on one line, which ICU's dictionary splits: the reviewed list shipped with the
# package, and the office's own list at the project root (README: "Khmer").
SHIPPED_WORDS = Path(__file__).parent / "data" / "words.txt"
OFFICE_WORDS = Path(__file__).resolve().parent.parent / "words.txt"

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
# Pango breaks after ។ on its own, so ។ល។ ("etc.") needs a joiner to stay one sign.
_ET_CETERA_JOINED = "។" + WORD_JOINER + "ល។"
# Marks that belong to the word before them, even after a typed space.
_SPACE_BEFORE_MARK = re.compile(" +(?=[ៗ។៕៖])")
# A number written with spaces between groups of three digits: 10 000, ១០ ០០០.
_DIGIT = "0-9\u17e0-\u17e9"
_GROUPED_NUMBER = re.compile(f"(?<![{_DIGIT}])[{_DIGIT}]{{1,3}}(?: [{_DIGIT}]{{3}})+"
                             f"(?![{_DIGIT}])")
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


def read_word_list(path: Path) -> tuple[str, ...]:
    """Return the words of a word list: one a line, '#' starts a comment."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        raise SetupError(f"cannot read the word list {path.name}: {exc}") from exc
    words = []
    for number, line in enumerate(lines, start=1):
        word = line.split("#", 1)[0].strip()
        if not word:
            continue
        if any(c.isspace() for c in word) or not has_khmer(word):
            raise SetupError(f"{path.name}:{number}: '{word}' is not one Khmer word; write one "
                             "word a line, without spaces")
        words.append(word)
    return tuple(words)


@lru_cache(maxsize=1)
def kept_words() -> tuple[str, ...]:
    """Return the words never broken across lines: the shipped list and the office's."""
    return tuple(dict.fromkeys(read_word_list(SHIPPED_WORDS) + read_word_list(OFFICE_WORDS)))


@lru_cache(maxsize=8)
def _kept_pattern(words: tuple[str, ...]) -> re.Pattern | None:
    if not words:
        return None
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))


def insert_word_breaks(text: str, words: tuple[str, ...] | None = None) -> str:
    """Return the text with U+200B at every break between two Khmer words.

    Breaks next to a space, inside Latin text or URLs, inside a Khmer cluster or inside one
    of the kept `words` (default: `kept_words()`) get nothing; ZWSPs already in the text are
    dropped first so that the result does not depend on them.
    """
    words = kept_words() if words is None else words
    return _insert_word_breaks(text.replace(ZWSP, ""), words).replace(_ET_CETERA,
                                                                      _ET_CETERA_JOINED)


def _insert_word_breaks(text: str, words: tuple[str, ...]) -> str:
    if not has_khmer(text):
        return text
    if _REPETITION in text:
        # ICU's dictionary misreads the word before ៗ (កំពូលៗ → កំ|ពូលៗ): segment the text
        # around each ៗ on its own, keep ៗ with its word, and allow a break after it.
        parts = text.split(_REPETITION)
        out = _insert_word_breaks(parts[0], words)
        for part in parts[1:]:
            out += _REPETITION
            if part and is_khmer(part[0]) and part[0] not in _NO_BREAK_BEFORE:
                out += ZWSP
            out += _insert_word_breaks(part, words)
        return out
    pieces = _join_bare_finals(list(LineBreaker(text, _khmer_locale())))
    breaks, at = set(), len(pieces[0])
    for before, after in pairwise(pieces):
        if _may_break(before, after):
            breaks.add(at)
        at += len(after)
    pattern = _kept_pattern(words)
    for match in pattern.finditer(text) if pattern and breaks else ():
        breaks.difference_update(range(match.start() + 1, match.end()))
    return "".join(ZWSP + char if index in breaks else char for index, char in enumerate(text))


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


def bind_marks(text: str) -> str:
    """Return the text with no-break spaces where a line must not break at a typed space.

    Before ៗ, ។, ៕ and ៖: many writers type "ផ្សេង ៗ" or "ជំនាញ ។", and a line starting with
    the mark reads as nonsense (ៗ repeats the word before it). Inside a number whose digits
    are grouped by spaces (10 000, ១០ ០០០រៀល): a number split over two lines reads as two.
    """
    # After ។ or ៕ (which a line may break after) a no-break space alone still lets the line
    # break before it: "។ ។" needs a joiner too.
    text = _SPACE_BEFORE_MARK.sub(
        lambda space: (WORD_JOINER if text[space.start() - 1:space.start()] in ("។", "៕")
                       else "") + NBSP, text)
    return _GROUPED_NUMBER.sub(lambda number: number.group().replace(" ", NBSP), text)


def join_for_word_processors(text: str) -> str:
    """Return prepared text with U+2060 WORD JOINER wherever Word or LibreOffice could break
    a line that the PDF does not break.

    LibreOffice runs its own ICU breaker over Khmer (it started a line with ៗ: ផ្សេង|ៗ, and
    split kept words). Between two Khmer characters, any break ICU finds that the prepared
    text has no U+200B for gets a joiner, and so does each side of a no-break space next to
    Khmer: the DOCX then breaks where the PDF may, and nowhere else.
    """
    if not has_khmer(text):
        return text
    out = []
    for segment in re.split(f"([ {ZWSP}]+)", text):
        if not has_khmer(segment) or segment.isspace():
            out.append(segment)
            continue
        # Joiners already in the segment stay, and ICU finds no break next to them.
        joins, at = set(), 0
        for before, after in pairwise(LineBreaker(segment, _khmer_locale())):
            at += len(before)
            if _khmer_or_nbsp(before[-1]) and _khmer_or_nbsp(after[0]):
                joins.add(at)
        for index, char in enumerate(segment):
            if char == NBSP:
                if index > 0 and is_khmer(segment[index - 1]):
                    joins.add(index)
                if index + 1 < len(segment) and is_khmer(segment[index + 1]):
                    joins.add(index + 1)
        out.append("".join(WORD_JOINER + c if i in joins else c for i, c in enumerate(segment)))
    return "".join(out)


def _khmer_or_nbsp(char: str) -> bool:
    return is_khmer(char) or char == NBSP


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
    text = text.replace(ZWSP, "").replace(WORD_JOINER, "")
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
