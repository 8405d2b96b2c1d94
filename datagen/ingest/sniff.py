"""What a file is, and its header: checked before any line is read.

Owns ``sniff`` (a file whose first bytes say it is not what the mapping
reads: a Parquet file read as CSV or the other way, a ``.gz`` that is not
gzip, gzip read as plain text, another archive or a workbook), ``header``
(the column names of a file's first record, read with a bounded size and
checked for byte-order marks, NUL bytes and bytes of another encoding; the
mapping's ``columns`` for a file without a header; columns apart by runs
of blanks) and ``column_names`` (every column the mapping reads is there,
once; a missing one is named with what the header has instead, and a
header that looks written with another delimiter says which).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from pathlib import Path

from ..escape import shown
from .reading import (
    MAX_HEADER_BYTES,
    UNDECODED,
    SourceError,
    compression,
    open_stream,
    read_error,
    where,
)
from .spec import Part

#: the first bytes of files that are not a CSV export: what each is
MAGIC = (
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel .xls workbook"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"%PDF-", "a PDF"),
)
#: the byte-order marks of the encodings that need one
BOMS = {"utf-16": (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE),
        "utf-32": (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)}
#: delimiters a header may turn out to be written with
DELIMITERS = (";", "\t", "|", ",")


def sniff(path: Path, part: Part) -> None:
    """Refuse, in one line, a file whose first bytes say it is not what
    the mapping reads: a Parquet file read as CSV (or the other way), a
    ``.gz`` that is not gzip, a gzip file read as plain text, another
    archive or a workbook (``MAGIC``)."""
    at = where(path)
    try:
        with open(path, "rb") as handle:
            start = handle.read(16)
            handle.seek(max(handle.seek(0, 2) - 4, 0))
            end = handle.read(4)
    except OSError as error:
        raise SourceError(f"{at}: cannot be read "
                          f"({error.strerror or error})") from None
    if not start:
        raise SourceError(f"{at}: empty (no header line)")
    what = next((name for magic, name in MAGIC if start.startswith(magic)),
                None)
    if part.format == "parquet":
        if not start.startswith(b"PAR1"):
            raise SourceError(
                f"{at}: not a Parquet file (it does not start with "
                "PAR1" + (f"; it looks like {what}" if what else "") + ")"
                + ("" if what else ": for a CSV export set format = "
                   "\"csv\" in the mapping's [source]"))
        if end != b"PAR1":
            raise SourceError(f"{at}: a Parquet file cut short (it does "
                              "not end with PAR1): was the copy complete?")
        return
    compressed = compression(path, part)
    gzipped = start.startswith(b"\x1f\x8b")
    if start.startswith(b"PAR1"):
        raise SourceError(
            f"{at}: looks like a Parquet file (it starts with PAR1), "
            "not CSV: set format = \"parquet\" in the mapping's [source]")
    if compressed == "gzip" and not gzipped:
        said = ("its name ends in .gz" if part.compression == "infer"
                else "the mapping says compression = \"gzip\"")
        raise SourceError(
            f"{at}: not gzip-compressed (it does not start with gzip's "
            f"bytes 1f 8b), though {said}: set compression = \"none\" in "
            "the mapping's [source] to read it as it is")
    if compressed is None and gzipped:
        raise SourceError(
            f"{at}: gzip-compressed (it starts with 1f 8b) but read as "
            "plain text: name it .gz or set compression = \"gzip\" in the "
            "mapping's [source]")
    if what and not gzipped:
        raise SourceError(f"{at}: looks like {what}, not a CSV file: "
                          "export the orders as CSV (or Parquet)")


def _head(path: Path, part: Part) -> tuple[bytes, bool]:
    """The first ``MAX_HEADER_BYTES`` of the (decompressed) file, and
    whether that is all of it."""
    try:
        with open_stream(path, part) as raw:
            head = raw.read(MAX_HEADER_BYTES + 1)
    except OSError as error:
        raise read_error(path, part, error, 0) from None
    return head[:MAX_HEADER_BYTES], len(head) <= MAX_HEADER_BYTES


def option(part: Part, key: str) -> str:
    """The mapping's key of one of a part's options."""
    return f"{'source' if part.name == 'lines' else part.name}.{key}"


def header(path: Path, part: Part) -> tuple[list[str], int, str]:
    """The column names of the first record, the physical lines that
    record spans (0 for a file without a header: the mapping's
    ``columns``) and the file's first line (``SourceError`` if there is no
    usable header)."""
    at = f"{where(path)}: line 0 (the header)"
    head, whole = _head(path, part)
    if not head:
        raise SourceError(f"{where(path)}: empty (no header line)")
    codec = codecs.lookup(part.encoding).name
    if codec in BOMS and not head.startswith(BOMS[codec]):
        raise SourceError(
            f"{at}: no byte-order mark, which encoding {codec} needs "
            f"to tell the order of its bytes: set encoding = \"{codec}-le\" "
            f"(or \"{codec}-be\") in the mapping's [source]")
    if codec not in BOMS:
        for name, marks in BOMS.items():
            if head.startswith(marks) and not (
                    name == "utf-16" and codec.startswith("utf-16")) and \
                    not (name == "utf-32" and codec.startswith("utf-32")):
                raise SourceError(
                    f"{at}: starts with a {name.upper()} byte-order "
                    f"mark, but the mapping reads {codec}: set encoding "
                    f"= \"{name}\" in the mapping's [source]")
    text = codecs.getincrementaldecoder(part.encoding)(
        errors="surrogateescape").decode(head, final=whole)
    consumed: list[str] = []

    def lines():
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    if "\x00" in text.partition("\n")[0]:
        raise SourceError(
            f"{at}: a NUL byte: not text in {codec} (a binary file, or "
            "another encoding such as utf-16?)")
    first = text.partition("\n")[0].rstrip("\r").lstrip("\ufeff")
    if not part.header:
        return list(part.columns), 0, first
    if part.blanks:
        if not whole and "\n" not in text:
            raise SourceError(
                f"{at}: no line end in the first {MAX_HEADER_BYTES >> 20} "
                "MiB: not a header")
        names = first.split()
        if not names:
            raise SourceError(f"{at}: blank: the column names must be the "
                              "file's first line (or set header = false "
                              "and name the columns)")
        return names, 1, first
    with field_limit(MAX_HEADER_BYTES + 1):
        try:
            record = next(csv.reader(lines(), delimiter=part.delimiter,
                                     quotechar=part.quote), None)
        except csv.Error as error:
            raise SourceError(f"{at}: {shown(error, 80)}") from None
    if record is None:
        raise SourceError(f"{where(path)}: empty (no header line)")
    if not whole and not consumed[-1].endswith(("\n", "\r")):
        raise SourceError(
            f"{at}: no line end in the first {MAX_HEADER_BYTES >> 20} "
            "MiB: not a CSV header (one very long line, or a quote that is "
            "never closed?)")
    if not record or not "".join(record).strip():
        raise SourceError(
            f"{at}: blank: the column names must be the file's first "
            "line (or set header = false and name the columns)")
    names = [name.strip().lstrip("\ufeff").strip() for name in record]
    bad = next((n for n in names if UNDECODED.search(n)), None)
    if bad is not None:
        raise SourceError(f"{at}: bytes that are not {part.encoding} "
                          f"in {shown(bad, 40)}")
    return names, len(consumed), first


def column_names(path: Path, header: list[str], wanted: list[str],
                 part: Part, first: str = "") -> list[str]:
    """The header's names for the reader: those the mapping reads as they
    are, the others replaced by names of their own (so that a repeated or
    odd name the mapping does not read is no matter)."""
    at = f"{where(path)}: line 0 (the header)"
    if not part.header:
        at = f"{where(path)}: {option(part, 'columns')}"
    missing = [c for c in wanted if c not in header]
    if missing and not part.header:
        raise SourceError(
            f"{at}: column {shown(missing[0], 40)} that the fields read is "
            "not one of the columns named")
    if missing:
        raise SourceError(
            f"{at}: column {shown(missing[0], 40)} that the mapping "
            f"names is not there ("
            f"{columns_seen(header, missing[0], part, first)})")
    for name in wanted:
        places = [i + 1 for i, n in enumerate(header) if n == name]
        if len(places) > 1:
            raise SourceError(
                f"{at}: column {shown(name, 40)} that the mapping reads "
                f"is there {len(places)} times (columns "
                f"{', '.join(map(str, places[:4]))})")
    return [name if name in wanted else f"\x00column {i}"
            for i, name in enumerate(header)]


def columns_seen(header: list[str], missing: str, part: Part,
                  first: str) -> str:
    """What the header has, in a few words: its count of columns, the
    delimiter it looks written with if that is another one, and the names
    like the one missing (else its first few), each a short quote."""
    import difflib
    count = f"the header has {len(header)} column" + (
        "s" if len(header) != 1 else "")
    key = option(part, "delimiter")
    if len(header) == 1:
        seen = [d for d in DELIMITERS if d in header[0]]
        if seen:
            return (f"{count} only: is the delimiter {shown(seen[0])}? "
                    f"({key})")
    for delimiter in DELIMITERS + ("blanks",):
        if delimiter == part.delimiter:
            continue
        names = [n.strip().strip(part.quote).strip() for n in (
            first.split() if delimiter == "blanks" else
            first.split(delimiter))]
        if missing in names and len(names) > 1:
            said = ("columns apart by blanks" if delimiter == "blanks" else
                    f"{shown(delimiter)}-separated")
            return (f"{count} read with {shown(part.delimiter)}; it looks "
                    f"{said} ({len(names)} columns): set {key} = "
                    + ('"blanks"' if delimiter == "blanks" else
                       shown(delimiter).replace("'", '"')))
    folded = {name.casefold(): name for name in header}
    close = difflib.get_close_matches(missing.casefold(), list(folded), n=3,
                                      cutoff=0.6)
    if close:
        return f"{count}; like it: " + ", ".join(
            shown(folded[name], 24) for name in close)
    some = ", ".join(shown(name, 20) for name in header[:4])
    return f"{count}: {some}" + (
        f" and {len(header) - 4} more" if len(header) > 4 else "")


@contextlib.contextmanager
def field_limit(limit: int):
    """The csv module's largest field (131072 characters by default) set
    to ``limit`` for a while."""
    before = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(before)


