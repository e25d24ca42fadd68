"""One sync pass: list every source, fetch what changed, record it in the state, rebuild the index.

The state file is the truth about which articles exist; the index is rebuilt from it with
``build_from_articles``, which re-encodes only articles whose content hash changed and writes
nothing when nothing changed. Deletions follow the rules in docs/sync.md ("Deletions"): an article goes only
when a complete listing of its source no longer has it, or its page answered 404/410 on two
syncs, or a ``.jsonl`` export marks it deleted; a failed or partial listing deletes nothing.
Each source releases only its own claims, and releases are held until every source was read:
a pass that would remove too large a share of the index stops before any of them is committed,
and a dry run works on a copy of the state and writes nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from indexer.build.builder import BuildOptions, BuildReport, build_from_articles, diff_articles
from indexer.build.stories.detect import STORY_RULES
from indexer.encoders.base import Encoder
from indexer.errors import ArticleReadError, BuildError, FetchError, IndexNotFoundError, PolysearchError, SourceError
from indexer.models import Article
from indexer.sources.fetching import Fetched, PoliteFetcher, RobotsDisallowed
from indexer.sources.listing import Listing, PageRef, url_article_id
from indexer.sources.pages import page_article
from indexer.sources.resolve import Source
from indexer.sources.state import STATE_FILE, PageState, SyncState, adopted_origin, copy_state, is_adopted
from indexer.store.reader import load_index

log = logging.getLogger(__name__)

LOCK_FILE = "sync.lock"
_GONE = frozenset({404, 410})
_HTML = frozenset({"text/html", "application/xhtml+xml", None})
# A page must answer 404/410 on this many syncs before its article is removed: one bad
# deploy or a moved page answered for a minute must not empty the archive.
GONE_SYNCS = 2
# The share of the index one pass may remove before it stops and asks for --allow-mass-delete.
DEFAULT_MAX_DELETE_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    """What a pass may do: ``dry_run`` writes nothing; ``prune_foreign`` drops articles only
    origins that are not among the sources hold; ``max_delete_share`` (``None``: no limit) stops a
    pass that would remove more than that share of the index."""

    dry_run: bool = False
    prune_foreign: bool = False
    max_delete_share: float | None = None

    def validate(self) -> None:
        share = self.max_delete_share
        if share is not None and not 0.0 <= share <= 1.0:
            raise BuildError(f"the largest share of the index to delete must be between 0 and 1, got {share}")


@dataclass(slots=True)
class SyncReport:
    """What a pass did: per-source outcome, pages fetched, and the index build's own report."""

    sources: dict[str, str] = field(default_factory=dict)
    fetched: int = 0
    not_modified: int = 0
    skipped_unchanged: int = 0
    failed_pages: int = 0
    deleted: list[str] = field(default_factory=list)
    build: BuildReport | None = None
    stopped: bool = False
    # Articles taken over from an index `polysearch index` built, on the first sync into it.
    adopted: int = 0
    # Ids another source also brought, with other text: the owner's copy was kept.
    conflicts: list[str] = field(default_factory=list)
    # Articles kept although no source of this pass brought them (``prune_foreign`` drops them).
    foreign: list[str] = field(default_factory=list)
    # A dry run: ``build`` says what a pass would add, update and remove; nothing was written.
    dry_run: bool = False
    # A dry run that a real pass would stop at: why (the mass-delete guard's line).
    would_stop: str | None = None

    @property
    def ok(self) -> bool:
        return all(outcome.startswith("ok") for outcome in self.sources.values())

    def failures(self) -> dict[str, str]:
        prefix = "failed: "
        return {n: o.removeprefix(prefix) for n, o in self.sources.items() if o.startswith(prefix)}


@dataclass(frozen=True, slots=True)
class _Visit:
    """One listed page as the state knew it before this pass fetched it."""

    ref: PageRef
    article_id: str
    known: PageState | None
    have: bool  # the state holds the page's article

    @property
    def kept(self) -> str | None:
        """The id the page stands for when this fetch brings no article: the stored one, if any."""
        return self.article_id if self.have else None


@dataclass(slots=True)
class _Pass:
    state: SyncState
    fetcher: PoliteFetcher
    report: SyncReport
    stop: threading.Event
    show_progress: bool
    # One fetch per URL per pass, even when a feed and a sitemap both list it.
    seen_urls: dict[str, str | None] = field(default_factory=dict)
    # Claims to release once every source was read: {source or origin: article ids}.
    releases: dict[str, set[str]] = field(default_factory=dict)

    def release_later(self, source: str, article_ids: set[str]) -> None:
        if article_ids:
            self.releases.setdefault(source, set()).update(article_ids)

    def take_source(self, source: Source, on_listing: Callable[[Source, Listing], None] | None) -> bool:
        """List one source and record what it holds; false when the pass was stopped within it."""
        try:
            listing = source.list(self.fetcher)
        except SourceError as exc:
            # The reason often starts with the source's own name; the report names it already.
            self.report.sources[source.name] = f"failed: {str(exc).removeprefix(source.name + ': ')}"
            # Info, not a warning: the report (or the one-line error) says it, once.
            log.info("source_failed", extra={"source": source.name, "reason": str(exc)})
            return True
        if on_listing is not None:
            on_listing(source, listing)
        self.take_articles(source, listing)
        finished = self.take_pages(source, listing.pages)
        listed = {a.id for a in listing.articles} | {
            self.seen_urls[p.url] for p in listing.pages if self.seen_urls.get(p.url) is not None
        }
        claimed = self.state.claimed(source.name)
        self.release_later(source.name, set(listing.deleted) & claimed)
        if not finished:
            self.report.sources[source.name] = "stopped"
            return False
        if listing.complete:
            self.release_later(source.name, claimed - listed)
            self.report.sources[source.name] = f"ok: {len(listed)} articles, complete listing"
        else:
            self.report.sources[source.name] = f"ok: {len(listed)} articles, partial listing (nothing deleted)"
        return True

    def take_articles(self, source: Source, listing: Listing) -> None:
        """Store what the source read; an id another source owns keeps its owner's text (docs/sync.md)."""
        for article in listing.articles:
            owner = self.state.owner(article.id)
            if owner is None or owner == source.name or is_adopted(owner):
                self.state.put_article(article, source=source.name)
                continue
            # Claimed all the same: the article stays while this source lists it, and this
            # source's copy is taken once the owner lets it go.
            self.state.claim(source.name, article.id)
            if self.state.article_hash(article.id) != article.content_hash:
                self.report.conflicts.append(article.id)
                log.warning("article_conflict", extra={"article": article.id, "source": source.name, "owner": owner})

    def prune_foreign(self, sources: Sequence[Source]) -> None:
        """Release every claim of an origin that is not one of ``sources``."""
        names = {s.name for s in sources}
        for origin in sorted(self.state.origins() - names):
            self.release_later(origin, self.state.claimed(origin))

    def commit_releases(self) -> None:
        for source in sorted(self.releases):
            self.report.deleted += self.state.release(source, self.releases[source])

    def take_pages(self, source: Source, pages: Sequence[PageRef]) -> bool:
        """Fetch what may have changed; false when the pass was stopped before the end."""
        bar = tqdm(pages, desc=f"sync {source.name}", unit="page", disable=not self.show_progress, leave=False)
        for ref in bar:
            if self.stop.is_set():
                return False
            if not self.fetcher.is_allowed_host(ref.url):
                log.warning("page_off_site", extra={"url": ref.url, "source": source.name})
                continue
            if ref.url not in self.seen_urls:
                self.seen_urls[ref.url] = self.take_page(ref, source.name)
            article_id = self.seen_urls[ref.url]
            if article_id is not None and self.state.article_hash(article_id) is not None:
                self.state.claim(source.name, article_id)
        return True

    def take_page(self, ref: PageRef, source: str) -> str | None:
        """Fetch one page if needed and store its article; the article id it stands for, if any."""
        article_id = url_article_id(ref.url)
        known = self.state.page(ref.url)
        visit = _Visit(ref, article_id, known, self.state.article_hash(article_id) is not None)
        if known is not None and visit.have and ref.lastmod is not None and ref.lastmod == known.lastmod:
            self.report.skipped_unchanged += 1
            return article_id
        try:
            fetched = self.fetcher.get(
                ref.url,
                etag=known.etag if known else None,
                last_modified=known.last_modified if known else None,
            )
        except RobotsDisallowed:
            log.info("page_disallowed", extra={"url": ref.url})
            return None
        except FetchError as exc:
            log.warning("page_failed", extra={"url": ref.url, "reason": str(exc)})
            self.report.failed_pages += 1
            return visit.kept
        if fetched.not_modified:
            return self._not_modified(visit, fetched)
        if fetched.status in _GONE:
            return self._gone(visit)
        if fetched.status != 200:
            log.warning("page_failed", extra={"url": ref.url, "status": fetched.status})
            self.report.failed_pages += 1
            return visit.kept
        self.report.fetched += 1
        return self._take_content(visit, fetched, source)

    def _not_modified(self, visit: _Visit, fetched: Fetched) -> str | None:
        """A 304: the stored article stands; validators the answer left out are kept from before."""
        self.report.not_modified += 1
        if not visit.have:
            # A page known to hold no article (a PDF, an index page) and still the same.
            return None
        known = visit.known
        etag = fetched.etag or (known.etag if known else None)
        modified = fetched.last_modified or (known.last_modified if known else None)
        self.state.put_page(PageState(visit.ref.url, visit.article_id, visit.ref.lastmod, etag, modified, 0))
        return visit.article_id

    def _gone(self, visit: _Visit) -> str | None:
        """A 404/410: counted, and the article released once the page was gone on ``GONE_SYNCS`` syncs."""
        gone = (visit.known.gone if visit.known else 0) + 1
        if gone >= GONE_SYNCS:
            for claimant in sorted(self.state.claimants(visit.article_id)):
                self.release_later(claimant, {visit.article_id})
            return None
        # No lastmod kept: the next sync must ask again, whatever the sitemap says.
        self.state.put_page(PageState(visit.ref.url, visit.article_id, None, None, None, gone))
        return visit.kept

    def _take_content(self, visit: _Visit, fetched: Fetched, source: str) -> str | None:
        """A 200: the page's article stored with the page's validators, or the page skipped."""
        page = PageState(visit.ref.url, visit.article_id, visit.ref.lastmod, fetched.etag, fetched.last_modified, 0)
        try:
            if fetched.media_type not in _HTML:
                raise ArticleReadError(f"{fetched.url}: {fetched.media_type or 'no content type'} is not an HTML page")
            article = page_article(
                fetched.content,
                article_id=visit.article_id,
                source=fetched.url,
                url=fetched.url,
                charset=fetched.charset,
                alternates=visit.ref.alternates,
            )
        except ArticleReadError as exc:
            log.warning("page_skipped", extra={"url": visit.ref.url, "reason": str(exc)})
            if not visit.have:
                # Remember its validators, so the next sync asks conditionally instead of downloading it again.
                self.state.put_page(page)
            return visit.kept
        # The article first, then the validators: a kill between the two only costs a refetch.
        self.state.put_article(article, source=source)
        self.state.put_page(page)
        return visit.article_id


@dataclass(slots=True)
class EncoderLoader:
    """The model, loaded only when something must be encoded: an unchanged sync never loads it."""

    name: str
    factory: Callable[[], Encoder]
    _loaded: Encoder | None = None

    def load(self) -> Encoder:
        if self._loaded is None:
            self._loaded = self.factory()
        return self._loaded


def _up_to_date(out_dir: Path, articles: list[Article], model_name: str, options: BuildOptions) -> BuildReport | None:
    """The build's report when the live index already holds exactly these articles, else ``None``.

    The index is loaded and verified as the builder would, but no model is needed to see that
    nothing changed: same model name, chunking and article hashes in the same order.
    """
    try:
        live = load_index(out_dir)
    except PolysearchError:
        return None
    manifest = live.manifest
    chunking = options.chunk_params()
    same_kind = options.dense_kind is None or options.dense_kind == manifest.dense_index
    hashes = [(a.id, a.content_hash) for a in articles]
    if manifest.model.name != model_name or manifest.chunking != chunking or not same_kind:
        return None
    if manifest.stories != STORY_RULES:
        # Built before the story rules it would run now: the build writes the groups anew.
        return None
    if list(manifest.articles.items()) != hashes:
        return None
    return BuildReport(
        version=manifest.version, unchanged=[a.id for a in articles], passages=len(live.passages), written=False
    )


@contextlib.contextmanager
def _only_sync(out_dir: Path) -> Iterator[None]:
    """Hold ``out_dir``'s sync lock: a cron run that overlaps a slow one stops with one line."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / LOCK_FILE).open("a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another polysearch sync is running on {out_dir}") from None
        yield


@contextlib.contextmanager
def _state_for(out_dir: Path, *, dry_run: bool) -> Iterator[SyncState]:
    """The state a pass works on: the real one under the sync lock, or for a dry run a copy
    (no lock, no file created beside the index: a dry run writes nothing there)."""
    if not dry_run:
        with _only_sync(out_dir), SyncState(out_dir / STATE_FILE) as state:
            yield state
        return
    with tempfile.TemporaryDirectory(prefix="polysearch-dry-run-") as scratch:
        copy = Path(scratch) / STATE_FILE
        if (out_dir / STATE_FILE).is_file():
            copy_state(out_dir / STATE_FILE, copy)
        with SyncState(copy) as state:
            yield state


def _adopt(state: SyncState, out_dir: Path) -> int:
    """On the first sync into an index, take over the articles it holds (``polysearch index``'s)
    as one origin's: they are never deleted by a source, only by ``--prune-foreign``."""
    if state.adopted():
        return 0
    try:
        live = load_index(out_dir)
    except IndexNotFoundError:
        return state.adopt([], origin=adopted_origin(out_dir))
    except PolysearchError as exc:
        # Rebuilding from the sources alone would drop whatever the damaged index holds.
        raise BuildError(
            f"cannot read the index at {out_dir} to take over its articles ({exc}); "
            "`polysearch index --verify` says what is wrong"
        ) from exc
    return state.adopt(live.articles.values(), origin=adopted_origin(out_dir))


def _source_failures(report: SyncReport) -> SourceError:
    failed = report.failures()
    if len(failed) == 1:
        name, reason = next(iter(failed.items()))
        return SourceError(f"source {name} failed: {reason}")
    listed = "; ".join(f"{name}: {reason}" for name, reason in failed.items())
    return SourceError(f"{len(failed)} sources failed ({listed})")


def _mass_delete(removing: list[str], total: int, share: float | None) -> str | None:
    """Why a pass must stop, when it would empty much of the index (a wrong folder or a broken site looks like that)."""
    if share is None or total == 0 or len(removing) <= share * total:
        return None
    return (
        f"this sync would remove {len(removing)} of {total} articles ({len(removing) / total:.0%}, "
        f"more than {share:.0%}); nothing was removed and the index is unchanged; "
        "--allow-mass-delete lets it through"
    )


def _plan(out_dir: Path, articles: list[Article]) -> BuildReport:
    """What building ``articles`` would change in the live index, without building it."""
    try:
        live = load_index(out_dir)
        old, version = dict(live.manifest.articles), live.version
    except PolysearchError:
        old, version = {}, ""
    return diff_articles(articles, old, version)


def sync_once(
    sources: Sequence[Source],
    out_dir: Path,
    encoder: Encoder | EncoderLoader,
    options: BuildOptions,
    *,
    fetcher: PoliteFetcher,
    stop: threading.Event | None = None,
    on_listing: Callable[[Source, Listing], None] | None = None,
    policy: SyncPolicy | None = None,
) -> SyncReport:
    """List every source, record what changed in the state, then rebuild the index from the state."""
    options.validate()
    policy = policy or SyncPolicy()
    policy.validate()
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError(f"index directory {out_dir} exists and is not a directory")
    report = SyncReport(dry_run=policy.dry_run)
    stop = stop or threading.Event()
    with _state_for(out_dir, dry_run=policy.dry_run) as state:
        report.adopted = _adopt(state, out_dir)
        total = len(state.article_ids())
        run = _Pass(state, fetcher, report, stop, options.show_progress)
        for source in sources:
            if stop.is_set() or not run.take_source(source, on_listing):
                report.stopped = True
                break
        if stop.is_set():
            # Everything taken so far is committed in the state; the next sync builds from it.
            # No release is: the next pass decides them again from complete listings.
            report.stopped = True
            return report
        if policy.prune_foreign:
            run.prune_foreign(sources)
        removing = state.would_remove(run.releases)
        failed = report.failures()
        if failed and not state.article_ids() - set(removing):
            # Nothing to index because a source failed: the failure is the whole story.
            raise _source_failures(report)
        report.would_stop = _mass_delete(removing, total, policy.max_delete_share)
        if report.would_stop is not None and not policy.dry_run:
            raise BuildError(report.would_stop)
        run.commit_releases()
        report.foreign = state.held_only_by(state.origins() - {s.name for s in sources})
        articles = state.articles()
        if not articles:
            raise BuildError("the sources hold no articles; nothing to index")
        if policy.dry_run:
            report.build = _plan(out_dir, articles)
            return report
        report.build = _up_to_date(out_dir, articles, encoder.name, options)
        if report.build is None:
            real = encoder.load() if isinstance(encoder, EncoderLoader) else encoder
            report.build = build_from_articles(articles, out_dir, real, options)
    _log_done(report, report.build)
    return report


def _log_done(report: SyncReport, build: BuildReport) -> None:
    log.info(
        "sync_done",
        extra={
            "fetched": report.fetched,
            "not_modified": report.not_modified,
            "skipped_unchanged": report.skipped_unchanged,
            "failed_pages": report.failed_pages,
            "deleted": len(report.deleted),
            "written": build.written,
            "version": build.version,
        },
    )
