"""The one exception base of the package: what the command line reports.

Owns ``DatagenError``. Each stage keeps its own exceptions beside it
(``ParamError``, ``MappingError``, ``SourceError``, ``FeedError``,
``DatabaseUnavailable``, ``ChapterFailed``, ``QualityGateFailed`` ...),
each a subclass of this one; the command line (``cli``) turns any of them
into one line on stderr and the exit status the class names, and nothing
else of the package's reaches a user as a traceback.
"""

from __future__ import annotations


class DatagenError(Exception):
    """A failure whose message is one line for the user."""

    #: the command's exit status: 2 for bad input or an unusable
    #: environment, 3 for a quality gate that found violations
    exit_status = 2
