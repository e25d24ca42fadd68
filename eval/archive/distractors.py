"""The archive-scale distractor corpus: real news items and encyclopedia pages from gensim's test data.

``python -m eval.archive.distractors OUT_DIR`` writes one article file per text: the 300 ABC news items
of the Lee background corpus and the 50 of the Lee similarity corpus (``lee-bg-NNN.txt``,
``lee-NNN.txt``), and the lead of every real page of the shortened English Wikipedia dump
(``wiki-<slug>.txt``). The text is read from the installed ``gensim`` package's files; nothing is
downloaded, and the same gensim version always gives byte-identical files. None of it is about
the university, so in an evaluation no distractor passage is ever relevant.
"""

from __future__ import annotations

import argparse
import bz2
import importlib.util
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.errors import EvalError

LEE_FILES = (("lee-bg", "lee_background.cor"), ("lee", "lee.cor"))
WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
# A page's lead and first sections: an encyclopedia article of news length, not a 40-page essay.
WIKI_MAX_CHARS = 4000
TITLE_MAX_WORDS = 12

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'A-Z0-9])")
_MARKUP = re.compile(r"'{2,}")
_EMPTY_BRACKETS = re.compile(r"\(\s*[,;]?\s*\)")
_SPACES = re.compile(r"[ \t]+")
# Lines that survive gensim's markup filter but are table, file or list debris rather than prose.
_DEBRIS = re.compile(r"^([|!{}=*#:;]|thumb\b|File:|Image:|Category:)", re.I)


@dataclass(frozen=True, slots=True)
class Distractor:
    """One article file: its id (the file stem), title and body paragraphs."""

    id: str
    title: str
    paragraphs: tuple[str, ...]

    def render(self) -> str:
        return self.title + "\n\n" + "\n\n".join(self.paragraphs) + "\n"


def test_data_dir() -> Path:
    """gensim's ``test/test_data`` folder, located without importing gensim (and numpy, scipy)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise EvalError("the distractor corpus needs gensim: pip install 'polysearch[eval]' (gensim==4.4.0)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "test" / "test_data"
    if not folder.is_dir():
        raise EvalError(f"{folder} is missing: this gensim ships no test data")
    return folder


def _lee_title(text: str) -> str:
    # The Lee items have no headlines; the lede's first words serve, as a news index would show them.
    first = _SENTENCE_END.split(text, maxsplit=1)[0]
    words = first.split()
    return " ".join(words[:TITLE_MAX_WORDS]) + (" ..." if len(words) > TITLE_MAX_WORDS else "")


def lee_items(folder: Path) -> Iterator[Distractor]:
    for prefix, name in LEE_FILES:
        # The files are Latin-1 (lee.cor has a pound sign as byte 0xA3), not UTF-8.
        lines = (folder / name).read_text(encoding="latin-1").splitlines()
        for number, line in enumerate((line.strip() for line in lines if line.strip()), start=1):
            text = _SPACES.sub(" ", line)
            yield Distractor(id=f"{prefix}-{number:03d}", title=_lee_title(text), paragraphs=(text,))


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _clean_paragraphs(text: str, max_chars: int) -> tuple[str, ...]:
    kept: list[str] = []
    size = 0
    for raw in text.split("\n"):
        line = _SPACES.sub(" ", _EMPTY_BRACKETS.sub("", _MARKUP.sub("", raw))).strip()
        # Section headings ("== History ==") and captions are not prose; a paragraph ends in a stop.
        if not line or _DEBRIS.match(line) or len(line) < 60 or not line.endswith((".", '"', ")")):
            continue
        if kept and size + len(line) > max_chars:
            break
        kept.append(line)
        size += len(line)
    return tuple(kept)


def wiki_pages(folder: Path, *, max_chars: int = WIKI_MAX_CHARS) -> Iterator[Distractor]:
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    seen: set[str] = set()
    with bz2.open(folder / WIKI_FILE) as dump:
        for title, text, _page_id in extract_pages(dump):
            if text.lstrip().lower().startswith("#redirect"):
                continue
            slug = _slug(title)
            paragraphs = _clean_paragraphs(filter_wiki(text), max_chars)
            if not slug or slug in seen or not paragraphs:
                continue
            seen.add(slug)
            yield Distractor(id=f"wiki-{slug}", title=title, paragraphs=paragraphs)


def distractors(*, every: int = 1) -> list[Distractor]:
    """The whole corpus in a fixed order, or every ``every``-th item of it (a smaller, still mixed set)."""
    folder = test_data_dir()
    items = [*lee_items(folder), *wiki_pages(folder)]
    return items[::every]


def write_distractors(out_dir: Path, items: Sequence[Distractor]) -> int:
    """Write the files, leaving a file whose bytes are already right untouched; returns the count."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for item in items:
        path = out_dir / f"{item.id}.txt"
        data = item.render().encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
    return len(items)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.archive.distractors", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder to write the article files into")
    parser.add_argument("--every", type=int, default=1, help="keep every N-th item only (CI's smaller set)")
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error("--every must be at least 1")
    try:
        count = write_distractors(args.out_dir, distractors(every=args.every))
    except (EvalError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {count} distractor articles to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
