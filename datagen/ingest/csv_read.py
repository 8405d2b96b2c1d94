"""Reading a CSV file's records in blocks, with pyarrow's streaming reader.

Owns ``csv_tables``: the records of a delimited file (any delimiter,
quote and encoding, gzip or not, with a header line or with the columns
the mapping names), ``BLOCK_LINES`` or a little more at a time, as tables
of the text columns the mapping reads, so that memory stays flat whatever
the file's size. A line is a record: a quoted line break does not start a
new one, blank lines are not counted. pyarrow's own errors do not name the
line, so on one the file is read again by ``diagnose`` to find it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from .diagnose import diagnose
from .reading import (
    BLOCK_BYTES,
    BLOCK_LINES,
    SourceError,
    open_stream,
    read_error,
    reason,
    where,
)
from .spec import Part


def csv_tables(path: Path, part: Part, header: list[str],
               header_lines: int, names: list[str]) -> Iterator[pa.Table]:
    """The file's records, ``BLOCK_LINES`` or a little more at a time, as
    tables of text columns (only those the part reads)."""
    wanted = part.source_columns()
    read = rows = 0
    try:
        reader = pa_csv.open_csv(
            open_stream(path, part),
            read_options=pa_csv.ReadOptions(
                encoding=part.encoding, block_size=BLOCK_BYTES,
                use_threads=True, column_names=names,
                skip_rows=header_lines),
            parse_options=pa_csv.ParseOptions(
                delimiter=part.delimiter, quote_char=part.quote,
                newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={c: pa.string() for c in wanted},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
                include_columns=wanted))
        pending: list[pa.RecordBatch] = []
        for batch in reader:
            pending.append(batch)
            rows += batch.num_rows
            if rows >= BLOCK_LINES:
                yield pa.Table.from_batches(pending)
                read += rows
                pending, rows = [], 0
        if pending:
            yield pa.Table.from_batches(pending)
    except (pa.ArrowInvalid, UnicodeError) as error:
        raise diagnose(path, part, header, header_lines, error) from None
    except OSError as error:
        raise read_error(path, part, error, read + rows) from None
    except pa.ArrowException as error:
        raise SourceError(f"{where(path)}: cannot be read as CSV: "
                          f"{reason(error)}") from None
