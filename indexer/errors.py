"""Named errors raised by the polysearch core; callers map them to exit codes or HTTP statuses."""

from __future__ import annotations


class PolysearchError(Exception):
    """Base class of every error the core raises on purpose."""


class ArticleReadError(PolysearchError):
    """An article file could not be read or decoded (the build skips it with a warning)."""


class IndexNotFoundError(PolysearchError):
    """There is no built index at the given directory."""


class IndexCorruptError(PolysearchError):
    """Index files are missing, truncated or do not match their manifest."""


class IndexMismatchError(PolysearchError):
    """The index was built with a different model, dimension or format than the one in use."""


class ModelLoadError(PolysearchError):
    """The embedding model named by the user or the manifest could not be loaded."""


class InvalidQueryError(PolysearchError):
    """A search request has an invalid value; ``field`` names the offending parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFoundError(PolysearchError):
    """An article or passage id that is not in the index."""


class BuildError(PolysearchError):
    """The index build cannot proceed (no readable articles, bad options, disk errors)."""


class SourceError(PolysearchError):
    """A sync source cannot be read or listed (bad path, unreachable site, not a feed or sitemap)."""


class FetchError(SourceError):
    """A web request failed, was refused by robots.txt, or would leave the hosts the sources name."""


class EngineError(PolysearchError):
    """An optional engine (Ray) is not installed, cannot be reached, or failed a job."""


class InsightsError(PolysearchError):
    """The query log cannot be read, or a report option is unusable."""
