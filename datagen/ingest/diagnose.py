"""Finding the line that pyarrow's CSV reader could not read.

Owns ``diagnose``: pyarrow's errors do not name the line, so on one the
file is read again, record by record, with the standard library's csv
module (counting lines as records as pyarrow does: a quoted line break is
no new line, a blank line is none), to name the line and say what is
wrong with it in one line: fields more or fewer than the header's (a
quote never closed, a value running over lines), bytes of another
encoding in a column the mapping reads, a line longer than a line of an
export holds.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..escape import shown
from .reading import (
    BLOCK_BYTES,
    MAX_LINE_CHARS,
    UNDECODED,
    SourceError,
    open_stream,
    read_error,
    reason,
    where,
)
from .sniff import field_limit
from .spec import Part


class _LineTooLong(Exception):
    pass


def diagnose(path: Path, part: Part, header: list[str],
              header_lines: int, error: BaseException) -> SourceError:
    """Find the line that pyarrow could not read, with the standard
    library's csv module, counting lines as records as pyarrow does."""
    at = where(path)
    wanted = {i for i, name in enumerate(header)
              if name in part.source_columns()}
    straddles = "straddling" in str(error)
    line_no = 0
    try:
        with open_stream(path, part) as raw, field_limit(MAX_LINE_CHARS):
            text = io.TextIOWrapper(io.BufferedReader(raw),
                                    encoding=part.encoding,
                                    errors="surrogateescape", newline="")

            def physical():
                while True:
                    line = text.readline(MAX_LINE_CHARS)
                    if not line:
                        return
                    if len(line) >= MAX_LINE_CHARS and \
                            not line.endswith(("\n", "\r")):
                        raise _LineTooLong
                    yield line

            lines = physical()
            for _ in range(header_lines):
                next(lines, None)
            records = csv.reader(lines, delimiter=part.delimiter,
                                 quotechar=part.quote)
            last_physical = records.line_num
            for fields in records:
                spans = records.line_num - last_physical
                last_physical = records.line_num
                if not fields:
                    continue        # a blank line is not a line
                line_no += 1
                if len(fields) != len(header):
                    runs_on = spans > 1 and next(records, None) is None
                    quote = shown(part.quote)
                    return SourceError(
                        f"{at}: line {line_no}: {len(fields)} field"
                        f"{'s' if len(fields) != 1 else ''} where the header "
                        f"has {len(header)}" + (
                            f" (a quote {quote} opened in it is never "
                            "closed: it runs on to the end of the file)"
                            if runs_on else
                            f" (a quoted value in it runs over {spans} "
                            f"lines: a quote {quote} not closed where it "
                            "should be?)" if spans > 1 else ""))
                for index in sorted(wanted):
                    if UNDECODED.search(fields[index]):
                        return SourceError(
                            f"{at}: line {line_no}: column "
                            f"{shown(header[index], 40)}: bytes that are "
                            f"not {part.encoding}")
                if straddles and sum(map(len, fields)) > BLOCK_BYTES:
                    return SourceError(
                        f"{at}: line {line_no}: longer than "
                        f"{BLOCK_BYTES >> 20} MiB, more than a line of an "
                        "export holds (a quote that is never closed?)")
    except _LineTooLong:
        return SourceError(
            f"{at}: line {line_no + 1}: longer than "
            f"{MAX_LINE_CHARS >> 20} MiB without a line end, more than a "
            "line of an export holds (not a CSV file?)")
    except csv.Error as bad:
        if "field larger than field limit" in str(bad):
            return SourceError(
                f"{at}: line {line_no + 1}: a field longer than "
                f"{MAX_LINE_CHARS >> 20} MiB: a quote "
                f"{shown(part.quote)} opened in it that is never closed?")
        return SourceError(f"{at}: line {line_no + 1}: {shown(bad, 80)}")
    except OSError as bad:
        return read_error(path, part, bad, line_no)
    if isinstance(error, UnicodeError):
        return SourceError(f"{at}: bytes that are not {part.encoding} "
                           f"({reason(error)})")
    if straddles:
        return SourceError(
            f"{at}: a line longer than {BLOCK_BYTES >> 20} MiB, more "
            "than a line of an export holds (a quote that is never closed?)")
    return SourceError(f"{at}: cannot be read as CSV: {reason(error)}")


