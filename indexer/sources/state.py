"""The sync state beside the index: articles, which source claims them, and what each page last said.

One SQLite file (``sync-state.sqlite`` in the index directory; never ``v-*`` or ``.tmp-*``,
which the store owns). SQLite's journal makes every commit atomic and durable, so a sync killed
at any point leaves the last committed state; the sync commits after each page, and the index
is always rebuilt from the articles held here, so the next sync continues where one stopped.
A write that would change nothing is skipped, so an unchanged site leaves the file untouched.

Ownership: a claim says a source brought an article in; an article stays while any claim on it
does. Its owner is its earliest claim (claims are rows, so insertion order is their rowid order),
except that an origin adopted from an index ``polysearch index`` built gives way to any source:
it has no listing that would ever refresh its copy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import msgspec

from indexer.errors import BuildError
from indexer.models import Article

STATE_FILE = "sync-state.sqlite"
# Origins that are not ``--source``s: the articles of an index ``polysearch index`` built, adopted
# by the first sync into it. No source name starts so (paths are absolute, URLs are http(s)).
ADOPTED_PREFIX = "index:"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS claims (source TEXT NOT NULL, article_id TEXT NOT NULL, PRIMARY KEY (source, article_id));
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY, article_id TEXT NOT NULL, lastmod TEXT, etag TEXT, last_modified TEXT,
    gone INTEGER NOT NULL DEFAULT 0
);
"""
# Added later, so created on its own: state files written before it hold no such table.
_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


def adopted_origin(index_dir: Path) -> str:
    """The origin recorded for the articles a sync finds in an index it did not build."""
    return f"{ADOPTED_PREFIX}{index_dir.resolve()}"


def is_adopted(origin: str) -> bool:
    return origin.startswith(ADOPTED_PREFIX)


def copy_state(path: Path, into: Path) -> None:
    """A consistent copy of the state file at ``path`` (read-only there), for a dry run to work on."""
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(into)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    except sqlite3.Error as exc:
        # A state left mid-write by a killed sync needs a writer to roll it back: a real sync.
        raise BuildError(f"cannot read the sync state {path} ({exc}); a sync without --dry-run repairs it") from exc


def holds_sync_state(index_dir: Path) -> bool:
    """Whether ``polysearch sync`` maintains this index (``polysearch index`` must not overwrite it)."""
    return (index_dir / STATE_FILE).is_file()


@dataclass(frozen=True, slots=True)
class PageState:
    """What a page answered last time: its validators, sitemap lastmod and 404/410 count."""

    url: str
    article_id: str
    lastmod: str | None
    etag: str | None
    last_modified: str | None
    gone: int


class SyncState:
    """The state file, opened for one sync."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # The default (deferred) transactions: each ``with self._db`` block commits as one.
        self._db = sqlite3.connect(path)
        # Rollback journal + FULL sync: a commit survives a kill or power loss, or never happened.
        self._db.execute("PRAGMA journal_mode=DELETE")
        self._db.execute("PRAGMA synchronous=FULL")
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name='articles'").fetchone():
            self._db.executescript(_SCHEMA)
        self._db.execute(_META)
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder(Article)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SyncState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Reads

    def articles(self) -> list[Article]:
        """Every article to index, in id order (the builder keeps this order)."""
        rows = self._db.execute("SELECT record FROM articles ORDER BY id").fetchall()
        return [self._decoder.decode(row[0]) for row in rows]

    def article_hash(self, article_id: str) -> str | None:
        row = self._db.execute("SELECT content_hash FROM articles WHERE id=?", (article_id,)).fetchone()
        return None if row is None else str(row[0])

    def claimed(self, source: str) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT article_id FROM claims WHERE source=?", (source,))}

    def claimants(self, article_id: str) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT source FROM claims WHERE article_id=?", (article_id,))}

    def owner(self, article_id: str) -> str | None:
        """Who supplies the article's text: its earliest claim, an adopted origin only when alone."""
        row = self._db.execute(
            "SELECT source FROM claims WHERE article_id=? ORDER BY source LIKE ? || '%', rowid LIMIT 1",
            (article_id, ADOPTED_PREFIX),
        ).fetchone()
        return None if row is None else str(row[0])

    def origins(self) -> set[str]:
        """Every source or adopted origin that claims an article."""
        return {r[0] for r in self._db.execute("SELECT DISTINCT source FROM claims")}

    def article_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT id FROM articles")}

    def held_only_by(self, origins: set[str]) -> list[str]:
        """Articles every claim of which is one of ``origins`` (what releasing them all would remove)."""
        held: dict[str, bool] = {}
        for article_id, source in self._db.execute("SELECT article_id, source FROM claims"):
            held[article_id] = held.get(article_id, True) and source in origins
        return sorted(a for a, only in held.items() if only)

    def would_remove(self, releases: Mapping[str, set[str]]) -> list[str]:
        """The articles ``release`` of every ``{source: ids}`` would remove: each of their claims released."""
        ids = set().union(*releases.values()) if releases else set()
        return sorted(a for a in ids if all(a in releases.get(s, ()) for s in self.claimants(a)))

    def adopted(self) -> bool:
        """Whether the first sync into this index has taken over the articles it already held."""
        return self._db.execute("SELECT 1 FROM meta WHERE key='adopted'").fetchone() is not None

    def adopt(self, articles: Iterable[Article], *, origin: str) -> int:
        """Record the live index's articles the state lacks as ``origin``'s, in one transaction; how many."""
        taken = 0
        with self._db:
            for article in articles:
                if self.article_hash(article.id) is not None:
                    continue
                self._db.execute(
                    "INSERT INTO articles (id, content_hash, record) VALUES (?, ?, ?)",
                    (article.id, article.content_hash, self._encoder.encode(article)),
                )
                self._db.execute(
                    "INSERT OR IGNORE INTO claims (source, article_id) VALUES (?, ?)", (origin, article.id)
                )
                taken += 1
            # In the same transaction: a sync killed here adopts again next time, never half.
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('adopted', ?)", (origin,))
        return taken

    def page(self, url: str) -> PageState | None:
        row = self._db.execute(
            "SELECT url, article_id, lastmod, etag, last_modified, gone FROM pages WHERE url=?", (url,)
        ).fetchone()
        return None if row is None else PageState(*row)

    # Writes: each is its own committed transaction, and a no-op when nothing would change.

    def put_article(self, article: Article, *, source: str) -> bool:
        """Store ``article`` claimed by ``source``; true when its content is new or changed."""
        changed = self.article_hash(article.id) != article.content_hash
        with self._db:
            if changed:
                self._db.execute(
                    "INSERT OR REPLACE INTO articles (id, content_hash, record) VALUES (?, ?, ?)",
                    (article.id, article.content_hash, self._encoder.encode(article)),
                )
            self._db.execute("INSERT OR IGNORE INTO claims (source, article_id) VALUES (?, ?)", (source, article.id))
        return changed

    def claim(self, source: str, article_id: str) -> None:
        with self._db:
            self._db.execute("INSERT OR IGNORE INTO claims (source, article_id) VALUES (?, ?)", (source, article_id))

    def put_page(self, page: PageState) -> None:
        if self.page(page.url) == page:
            return
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO pages (url, article_id, lastmod, etag, last_modified, gone) "
                "VALUES (?,?,?,?,?,?)",
                (page.url, page.article_id, page.lastmod, page.etag, page.last_modified, page.gone),
            )

    def release(self, source: str, article_ids: set[str]) -> list[str]:
        """Drop ``source``'s claims on ``article_ids``; remove and return the articles no source claims now."""
        removed: list[str] = []
        if not article_ids:
            return removed
        with self._db:
            for article_id in sorted(article_ids):
                self._db.execute("DELETE FROM claims WHERE source=? AND article_id=?", (source, article_id))
                if not self._db.execute("SELECT 1 FROM claims WHERE article_id=?", (article_id,)).fetchone():
                    self._db.execute("DELETE FROM articles WHERE id=?", (article_id,))
                    self._db.execute("DELETE FROM pages WHERE article_id=?", (article_id,))
                    removed.append(article_id)
        return removed
