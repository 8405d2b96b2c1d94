"""Reading a file whose columns are apart by runs of blanks, in blocks.

Owns ``blank_tables``: the lines of a file aligned by spaces or tabs
(``delimiter = "blanks"``: a purchase log, a report printed to a file),
with a header line or with the columns the mapping names, as tables of
the text columns the mapping reads, ``BLOCK_BYTES`` of the file at a time
so that memory stays flat. Each line is split at every run of blanks
(leading and trailing blanks are no column), so a value holds no blank;
a value written between the mapping's quote characters has them taken
off. A line with more or fewer values than there are columns stops the
import in one line that names it. Blank lines are not counted.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..escape import shown
from .reading import (
    BLOCK_BYTES,
    MAX_LINE_CHARS,
    SourceError,
    open_stream,
    read_error,
    where,
)
from .spec import Part


def _lines(path: Path, part: Part, header_lines: int) -> Iterator[list[str]]:
    """The file's lines after the header, a block of whole lines at a
    time (line ends and blank lines kept: the caller counts)."""
    decoder = codecs.getincrementaldecoder(part.encoding)()
    rest = ""
    skip = header_lines
    done = 0        # physical lines handed on, for an error's line
    with open_stream(path, part) as raw:
        while True:
            chunk = raw.read(BLOCK_BYTES)
            try:
                text = rest + decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                seen = (rest + decoder.decode(
                    chunk[:error.start], final=False)).count("\n")
                raise SourceError(
                    f"{where(path)}: physical line {done + seen + 1}: bytes "
                    f"that are not {part.encoding} ({error.reason})"
                ) from None
            lines = text.split("\n")
            rest = lines.pop() if chunk else ""
            if len(rest) > MAX_LINE_CHARS:
                raise SourceError(
                    f"{where(path)}: a line longer than "
                    f"{MAX_LINE_CHARS >> 20} MiB without a line end: not a "
                    "file of lines")
            if skip:
                lines, skip = lines[skip:], max(0, skip - len(lines))
            done += len(lines)
            if lines:
                yield lines
            if not chunk:
                if rest:
                    yield [rest]
                return


def blank_tables(path: Path, part: Part, header: list[str],
                 header_lines: int) -> Iterator[pa.Table]:
    """The file's lines as tables of the text columns the part reads."""
    wanted = part.source_columns()
    places = {name: header.index(name) for name in wanted}
    count = len(header)
    line_no = 0
    quote = part.quote
    try:
        for lines in _lines(path, part, header_lines):
            text = pc.utf8_trim_whitespace(pa.array(lines, pa.string()))
            text = text.filter(pc.not_equal(text, ""))
            if not len(text):
                continue
            values = pc.split_pattern_regex(text, r"[ \t\r\f\v]+")
            sizes = pc.list_value_length(values)
            wrong = pc.not_equal(sizes, count)
            if pc.any(wrong).as_py():
                index = pc.index(wrong, True).as_py()
                got = sizes[index].as_py()
                raise SourceError(
                    f"{where(path)}: line {line_no + index + 1}: {got} "
                    f"values where there are {count} columns: "
                    f"{shown(text[index].as_py(), 40)} (columns apart by "
                    "blanks: does a value hold a blank?)")
            columns = {}
            for name, place in places.items():
                column = pc.list_element(values, place)
                if quote:
                    column = pc.replace_substring_regex(
                        column, f"^\\{quote}(.*)\\{quote}$", r"\1")
                columns[name] = column
            line_no += len(text)
            yield pa.table(columns)
    except OSError as error:
        raise read_error(path, part, error, line_no) from None
