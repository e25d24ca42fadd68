"""Which language a text is written in: Russian, English, Chinese, or something else.

The archive holds Russian and English news full of Chinese names, so only those three are
told apart. The script decides first (no Latin, Cyrillic or Han letters means ``other``); among
the three, py3langid's naive Bayes model restricted to ``en``/``ru``/``zh`` decides, which is
what keeps "визит JITRI в Сучжоу" Russian and "JITRI" English.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

Language = Literal["ru", "en", "zh", "other"]
LANGUAGES: tuple[Language, ...] = ("ru", "en", "zh", "other")
DETECTED: tuple[Language, ...] = ("en", "ru", "zh")

_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def _get_identifier() -> LanguageIdentifier:
    # Loading the model takes about a second: once per process, and only when first needed.
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(DETECTED))
            _identifier = identifier
        return _identifier


def script_of(char: str) -> str:
    """``latin``, ``cyrillic``, ``han`` or ``other`` for one character."""
    code = ord(char)
    if char.isascii():
        return "latin" if char.isalpha() else "other"
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FA1F:
        return "han"
    if 0x00C0 <= code <= 0x024F:
        return "latin"
    return "other"


def load_detector() -> None:
    """Load the detector's model now, so the first query does not wait a second for it."""
    _get_identifier()


# Queries repeat (the answerer and the service ask about the same one several times).
@functools.lru_cache(maxsize=8192)
def detect_language(text: str) -> Language:
    """The language ``text`` is written in; ``other`` when its letters are mostly of other scripts."""
    letters = [script_of(char) for char in text if char.isalpha()]
    known = sum(1 for script in letters if script != "other")
    if known == 0 or known * 2 < len(letters):
        return "other"
    label, _ = _get_identifier().classify(text)
    for language in DETECTED:
        if label == language:
            return language
    return "other"


def normalise_language(code: str | None) -> Language | None:
    """A language tag as a source states it ("ru-RU", "EN", "zh-Hans") read as one of ours."""
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    if primary in ("ru", "en", "zh"):
        return primary  # type: ignore[return-value]
    return "other" if primary.isalpha() else None
