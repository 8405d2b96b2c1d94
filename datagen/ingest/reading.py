"""The ground the readers share: their error, their limits, opening a file.

Owns ``SourceError`` (a file that cannot be read as mapped; one line that
names the file, the line and the column, quoting values only through
``escape.shown``), the limits every reader holds a file to (the bytes it
reads at a time, the longest header and line, what the warehouse's
columns hold), opening a part's file as its compression says, and the
short words for an error of the disk or of a gzip stream.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from ..errors import DatagenError
from ..escape import shown, shown_path
from .spec import Part

#: data lines per block
BLOCK_LINES = 100_000
#: bytes the CSV reader reads at a time; a line (a record) may be at most
#: about twice this long (pyarrow: "straddling object")
BLOCK_BYTES = 1 << 22
#: a header line is at most this long (a longer first line is no header)
MAX_HEADER_BYTES = 1 << 20
#: the longest line ``diagnose`` reads (longer than any line the reader
#: accepts, so that it finds the line the reader refused)
MAX_LINE_CHARS = 2 * BLOCK_BYTES
#: what the warehouse holds: quantities are integers, amounts numeric(12,2)
MAX_QUANTITY = 2 ** 31 - 1
MAX_AMOUNT = 10 ** 10
#: the years a date may have (dim_date's key is yyyymmdd as an integer)
YEARS = (1, 9999)
#: fields the warehouse keeps unique (a btree index), and their longest
#: value: an index entry holds at most 2,704 bytes, and 500 characters of
#: up to 4 bytes each fit (a longer one is no id: a column mapped wrongly?)
KEY_FIELDS = ("order_number", "sku", "customer_code", "email", "channel")
MAX_KEY_CHARS = 500
#: bytes a decoder could not read, as ``surrogateescape`` keeps them
UNDECODED = re.compile("[\udc80-\udcff]")


class SourceError(DatagenError, ValueError):
    """The file cannot be read as mapped; the message is one line."""


def where(path) -> str:
    """A file's path as an error line quotes it."""
    return shown_path(path)


def compression(path: Path, part: Part) -> str | None:
    if part.compression == "gzip" or (
            part.compression == "infer" and path.suffix.lower() == ".gz"):
        return "gzip"
    return None


def open_stream(path: Path, part: Part):
    """The file's bytes, decompressed as the part says."""
    return pa.input_stream(str(path), compression=compression(path, part))


def reason(error: BaseException) -> str:
    """An error's text as a short quote, without the line pyarrow echoes
    after "Expected N columns, got M:"."""
    text = " ".join(str(error).split())
    text = re.sub(r"(Expected \d+ columns, got \d+):.*", r"\1", text)
    return shown(text, 80)


def read_error(path: Path, part: Part, error: OSError,
               lines: int) -> SourceError:
    """A file that stops being readable: a gzip stream cut short or
    damaged, or an error of the disk."""
    after = f" after line {lines}" if lines else ""
    if compression(path, part) == "gzip":
        return SourceError(
            f"{where(path)}: not a whole gzip file ({reason(error)}"
            f"{after}): was it cut short?")
    return SourceError(f"{where(path)}: cannot be read{after} "
                       f"({reason(error)})")
