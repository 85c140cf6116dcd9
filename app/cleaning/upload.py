"""A streaming, push-style parser for bulk cleaning uploads (CSV with a header, or NDJSON).

Feed the request body piece by piece: ``feed`` returns the rows completed by that piece and
keeps only the unfinished last line, so memory stays bounded by ``MAX_LINE_BYTES``. A
problem with the whole file raises a ``ProblemError``; a problem with one row yields a
``ParsedRow`` with a stable ``invalid`` reason code and parsing goes on.

CSV records are split on ``\\n``; physical lines are joined into one record while the count
of ``"`` seen so far is odd (RFC 4180 doubled quotes keep the parity), so quoted cells may
hold newlines. Blocks of complete lines without any ``"`` take a fast path: one decode,
one split, no per-line quote logic.

Whether CSV is really CSV is judged on the first ``SNIFF_BYTES`` (held back until then):

* it starts with ``{`` or ``[`` → JSON sent as CSV;
* the first line holds a NUL, or the sample holds a NUL and is not valid UTF-8 → binary
  (a stray NUL in a data row of a text file is only that row's ``bad_encoding``);
* the first line holds control characters other than tab and CR → binary;
* the first line has no ``,`` ``;`` or tab and is not valid UTF-8 → binary.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from typing import Any

import orjson

from app.problems import ProblemError

MAX_VALUE_CHARS = 1000
MAX_LINE_BYTES = 1 << 20  # longest record (all its physical lines) kept in memory
SNIFF_BYTES = 4096
_SLICE = 1 << 16
DELIMITERS = (",", ";", "\t")
_BOM = b"\xef\xbb\xbf"
_UNREAD = object()
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 13)) + b"\x7f"
# Lines of at most this many characters are surely at most MAX_LINE_BYTES long in UTF-8.
_SAFE_CHARS = (MAX_LINE_BYTES - 4) // 4

# Reasons a single row cannot be read (ParsedRow.invalid).
WRONG_COLUMN_COUNT = "wrong_column_count"
BAD_ENCODING = "bad_encoding"
BAD_JSON = "bad_json"
NOT_AN_OBJECT = "not_an_object"
BAD_VALUE = "bad_value"
MISSING_PERSONAL_ID = "missing_personal_id"
VALUE_TOO_LONG = "value_too_long"
UNTERMINATED_QUOTE = "unterminated_quote"
BAD_QUOTING = "bad_quoting"


class UploadFormat(StrEnum):
    CSV = "csv"
    NDJSON = "ndjson"


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One data row: 1-based ``number``, mapped ``values`` or an ``invalid`` reason."""

    number: int
    values: dict[str, str]
    invalid: str | None = None


class EmptyUploadError(ProblemError):
    status_code = HTTPStatus.BAD_REQUEST
    code = "EMPTY_FILE"
    title = "Empty file"


class NotCsvError(ProblemError):
    status_code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "NOT_CSV"
    title = "Not a CSV file"


class NotNdjsonError(ProblemError):
    status_code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "NOT_NDJSON"
    title = "Not an NDJSON file"


class MissingColumnsError(ProblemError):
    status_code = HTTPStatus.BAD_REQUEST
    code = "MISSING_COLUMNS"
    title = "Missing columns"


class BadEncodingError(ProblemError):
    status_code = HTTPStatus.BAD_REQUEST
    code = "BAD_ENCODING"
    title = "Bad encoding"


class UploadTooLargeError(ProblemError):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "UPLOAD_TOO_LARGE"
    title = "Upload too large"


class TooManyRowsError(ProblemError):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "TOO_MANY_ROWS"
    title = "Too many rows"


def _valid_utf8_prefix(data: bytes) -> bool:
    """Whether ``data`` is UTF-8, allowing a character cut off at the end."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _check_csv_sample(sample: bytes) -> None:
    """Raise ``NotCsvError`` when the first bytes show the body is not text CSV."""
    start = sample.lstrip()
    if not start:
        return
    if start[:1] in (b"{", b"["):
        raise NotCsvError(
            "The file starts with '{' or '[': it looks like JSON, not CSV. Send CSV with a "
            "header row, or send one JSON object per line with format=ndjson."
        )
    first = start.split(b"\n", 1)[0]
    binary = (
        b"\0" in first
        or (b"\0" in sample and not _valid_utf8_prefix(sample))
        or first.translate(None, _CONTROL) != first
        or (not any(d.encode() in first for d in DELIMITERS) and not _valid_utf8_prefix(first))
    )
    if binary:
        raise NotCsvError(
            "The file looks binary (for example a spreadsheet, archive or UTF-16 text), not "
            "CSV. Export it as CSV in UTF-8 with a header row and upload that."
        )


def _detect_delimiter(line: str) -> str:
    """The most frequent of ``,`` ``;`` and tab outside quotes; ``,`` when none (or a tie)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of a tie
    return best if counts[best] else ","


class UploadParser:
    """Parse an upload pushed piece by piece; see the module docstring."""

    def __init__(
        self,
        fmt: UploadFormat,
        mapping: Mapping[str, str],
        required: Collection[str],
        *,
        max_bytes: int,
        max_rows: int,
    ) -> None:
        self._fmt = UploadFormat(fmt)
        self._mapping = dict(mapping)
        self._required = frozenset(required)
        self._max_bytes = max_bytes
        self._max_rows = max_rows
        self._check_id = "personal_id" in self._mapping
        self._bytes = 0
        self._rows = 0
        self._sample: bytearray | None = bytearray()  # held back until SNIFF_BYTES
        self._tail = bytearray()  # the unfinished last physical line
        self._skipping = False  # discarding the rest of an over-long line
        self._open: list[bytes] = []  # physical lines of a record inside quotes
        self._open_size = 0
        self._odd = False
        self._started = False  # CSV header read / first NDJSON line seen
        self._header: list[str] | None = None
        self._delimiter = ","
        self._width = 0
        self._columns: list[tuple[str, int]] = []
        self._closed = False

    @property
    def rows(self) -> int:
        return self._rows

    @property
    def bytes_read(self) -> int:
        return self._bytes

    @property
    def header(self) -> list[str] | None:
        return None if self._header is None else list(self._header)

    def feed(self, data: bytes) -> list[ParsedRow]:
        """Take the next piece of the body; return the rows it completed."""
        if self._closed:
            raise RuntimeError("feed() after close()")
        self._bytes += len(data)
        if self._bytes > self._max_bytes:
            raise UploadTooLargeError(
                f"The upload is larger than the limit of {self._max_bytes:,} bytes. "
                "Split the file into smaller files and upload each as its own job.",
                extensions={"max_bytes": self._max_bytes},
            )
        if self._sample is not None:
            self._sample += data
            if len(self._sample) < SNIFF_BYTES:
                return []
            data = self._end_sample()
        out: list[ParsedRow] = []
        for start in range(0, len(data), _SLICE):  # cache-sized slices parse faster
            self._consume(data[start : start + _SLICE], out)
        return out

    def close(self) -> list[ParsedRow]:
        """End of body: return the last rows; raise ``EmptyUploadError`` for an empty file."""
        if self._closed:
            return []
        self._closed = True
        out: list[ParsedRow] = []
        if self._sample is not None:
            self._consume(self._end_sample(), out)
        if self._tail and not self._skipping:
            block = bytes(self._tail) + b"\n"
            self._tail.clear()
            self._lines(block, out)
        if self._open:
            if not self._started:
                raise NotCsvError(
                    'The header row opens a quote (") that is never closed. '
                    "Fix the quoting of the header row and upload the file again."
                )
            self._open, self._open_size, self._odd = [], 0, False
            out.append(ParsedRow(self._next(), {}, UNTERMINATED_QUOTE))
        if not self._started:
            what = "is empty" if self._bytes == 0 else "holds only blank lines"
            need = (
                "a header row and one line per record"
                if self._fmt is UploadFormat.CSV
                else "one JSON object per line"
            )
            raise EmptyUploadError(f"The file {what}. Upload a file with {need}.")
        return out

    # -- framing ---------------------------------------------------------------------------

    def _end_sample(self) -> bytes:
        assert self._sample is not None
        sample = bytes(self._sample)
        self._sample = None
        if sample.startswith(_BOM):
            sample = sample[len(_BOM) :]
        if self._fmt is UploadFormat.CSV:
            _check_csv_sample(sample[:SNIFF_BYTES])
        return sample

    def _consume(self, data: bytes, out: list[ParsedRow]) -> None:
        """Split ``data`` into complete lines (handled now) and an unfinished tail (kept)."""
        if self._skipping:
            newline = data.find(b"\n")
            if newline < 0:
                return
            self._skipping = False
            data = data[newline + 1 :]
        last = data.rfind(b"\n")
        if last < 0:
            self._tail += data
        else:
            block = bytes(self._tail) + data[: last + 1] if self._tail else data[: last + 1]
            self._tail = bytearray(data[last + 1 :])
            self._lines(block, out)
        if self._open_size + len(self._tail) > MAX_LINE_BYTES:
            self._too_long(bytes(self._tail[:64]), out)
            self._tail.clear()
            self._skipping = True

    def _too_long(self, start: bytes, out: list[ParsedRow]) -> None:
        """A record longer than MAX_LINE_BYTES: one ``value_too_long`` row, never buffered."""
        if not self._started:
            if self._fmt is UploadFormat.CSV:
                raise NotCsvError(
                    f"The first line is longer than {MAX_LINE_BYTES:,} bytes, so it is not a "
                    "CSV header row. Upload CSV with a header row and one record per line."
                )
            self._first_json_line(start)
        self._open, self._open_size, self._odd = [], 0, False
        out.append(ParsedRow(self._next(), {}, VALUE_TOO_LONG))

    def _next(self) -> int:
        self._rows += 1
        if self._rows > self._max_rows:
            raise TooManyRowsError(
                f"The file has more than {self._max_rows:,} rows, the limit for one job. "
                "Split it into smaller files and upload each as its own job.",
                extensions={"max_rows": self._max_rows},
            )
        return self._rows

    def _lines(self, block: bytes, out: list[ParsedRow]) -> None:
        """Handle ``block``: complete physical lines, each ending with ``\\n``."""
        if self._fmt is UploadFormat.NDJSON:
            self._ndjson(block, out)
            return
        if self._started and not self._open and b'"' not in block:
            try:
                text = block.decode()
            except UnicodeDecodeError:
                pass
            else:
                if "\0" not in text:
                    if "\r" in text:
                        text = text.replace("\r\n", "\n")
                    lines = text.split("\n")
                    lines.pop()
                    if len(block) <= MAX_LINE_BYTES or max(map(len, lines)) <= _SAFE_CHARS:
                        self._fast(lines, out)
                        return
        self._careful(block, out)

    # -- CSV -------------------------------------------------------------------------------

    def _fast(self, lines: list[str], out: list[ParsedRow]) -> None:
        """Quote-free, decodable lines: split each on the delimiter."""
        delimiter, width, columns = self._delimiter, self._width, self._columns
        for line in lines:
            if not line or line.isspace():
                continue
            out.append(self._cells_row(self._next(), line.split(delimiter), width, columns))

    def _careful(self, block: bytes, out: list[ParsedRow]) -> None:
        """Join physical lines while inside quotes, then read each record."""
        lines = block.split(b"\n")
        lines.pop()
        for line in lines:
            size = len(line)
            if line.endswith(b"\r"):
                line = line[:-1]
            if self._open:
                self._open.append(line)
                self._open_size += size
                if self._open_size > MAX_LINE_BYTES:
                    self._too_long(self._open[0][:64], out)
                    continue
                self._odd ^= bool(line.count(b'"') & 1)
                if self._odd:
                    continue
                record = b"\n".join(self._open)
                self._open, self._open_size = [], 0
            elif size > MAX_LINE_BYTES:
                self._too_long(line[:64], out)
                continue
            elif line.count(b'"') & 1:
                self._open, self._open_size, self._odd = [line], size, True
                continue
            else:
                record = line
            self._record(record, out)

    def _record(self, record: bytes, out: list[ParsedRow]) -> None:
        try:
            text = record.decode()
        except UnicodeDecodeError:
            if not self._started:
                raise BadEncodingError(
                    "The header row is not valid UTF-8. Save the file as CSV UTF-8 "
                    "(in Excel: 'CSV UTF-8 (Comma delimited)') and upload it again."
                ) from None
            out.append(ParsedRow(self._next(), {}, BAD_ENCODING))
            return
        if not text or text.isspace():
            return
        if not self._started:
            self._read_header(text)
            return
        number = self._next()
        if "\0" in text:
            out.append(ParsedRow(number, {}, BAD_ENCODING))
            return
        if '"' not in text:
            cells = text.split(self._delimiter)
        else:
            try:
                cells = next(csv.reader([text], delimiter=self._delimiter))
            except csv.Error as error:
                code = VALUE_TOO_LONG if "field limit" in str(error) else BAD_QUOTING
                out.append(ParsedRow(number, {}, code))
                return
        out.append(self._cells_row(number, cells, self._width, self._columns))

    def _cells_row(
        self, number: int, cells: list[str], width: int, columns: list[tuple[str, int]]
    ) -> ParsedRow:
        if len(cells) != width:
            return ParsedRow(number, {}, WRONG_COLUMN_COUNT)
        values: dict[str, str] = {}
        for field, index in columns:
            value = cells[index].strip()
            if value:
                if len(value) > MAX_VALUE_CHARS:
                    return ParsedRow(number, {}, VALUE_TOO_LONG)
                values[field] = value
        if self._check_id and "personal_id" not in values:
            return ParsedRow(number, {}, MISSING_PERSONAL_ID)
        return ParsedRow(number, values)

    def _read_header(self, text: str) -> None:
        if "\0" in text:
            raise NotCsvError("The header row holds NUL bytes; the file is not text CSV.")
        self._delimiter = _detect_delimiter(text)
        try:
            cells = next(csv.reader([text], delimiter=self._delimiter))
        except csv.Error:
            raise NotCsvError(
                "The header row cannot be read as CSV. Check its quoting and upload again."
            ) from None
        header = [cell.strip() for cell in cells]
        header[0] = header[0].lstrip("\ufeff").strip()
        exact: dict[str, int] = {}
        index: int | None
        folded: dict[str, int] = {}
        for index, name in enumerate(header):
            exact.setdefault(name, index)
            folded.setdefault(name.casefold(), index)
        columns: list[tuple[str, int]] = []
        missing: list[tuple[str, str]] = []
        for field, column in self._mapping.items():
            index = exact.get(column)
            if index is None:
                index = folded.get(column.strip().casefold())
            if index is not None:
                columns.append((field, index))
            elif field in self._required:
                missing.append((field, column))
        missing += [(field, field) for field in sorted(self._required - self._mapping.keys())]
        if missing:
            said = " ".join(f"The header has no column '{col}' for {fld}." for fld, col in missing)
            raise MissingColumnsError(
                f"{said} Columns found: {', '.join(header)}. Map your column with "
                + ", ".join(f"map={fld}:<your column>" for fld, _ in missing)
                + ".",
                extensions={"missing": [col for _, col in missing], "header": header},
            )
        self._header, self._width, self._columns = header, len(header), columns
        self._started = True

    # -- NDJSON ----------------------------------------------------------------------------

    def _first_json_line(self, line: bytes) -> None:
        if not line.lstrip().startswith(b"{"):
            raise NotNdjsonError(
                "The first line is not a JSON object, so the file is not NDJSON. Send one "
                "JSON object per line, or send CSV with format=csv."
            )
        self._started = True

    def _ndjson(self, block: bytes, out: list[ParsedRow]) -> None:
        lines = block.split(b"\n")
        lines.pop()
        for line in lines:
            if len(line) > MAX_LINE_BYTES:
                self._too_long(line[:64], out)
                continue
            if not line.strip():
                continue
            if not self._started:
                self._first_json_line(line)
            number = self._next()
            out.append(self._json_row(number, line))

    def _json_row(self, number: int, line: bytes, *, exact: bool = False) -> ParsedRow:
        if b"\0" in line:
            return ParsedRow(number, {}, BAD_ENCODING)
        item: Any = _UNREAD
        if not exact:  # orjson is fast; the standard library keeps every digit of big integers
            with contextlib.suppress(orjson.JSONDecodeError):
                item = orjson.loads(line)
        if item is _UNREAD:
            try:
                item = json.loads(line.decode())
            except UnicodeDecodeError:
                return ParsedRow(number, {}, BAD_ENCODING)
            except (ValueError, RecursionError):
                return ParsedRow(number, {}, BAD_JSON)
        if not isinstance(item, dict):
            return ParsedRow(number, {}, NOT_AN_OBJECT)
        values: dict[str, str] = {}
        folded: dict[str, Any] | None = None
        for field, key in self._mapping.items():
            if key in item:
                value = item[key]
            else:
                if folded is None:
                    folded = {str(k).casefold(): v for k, v in reversed(item.items())}
                value = folded.get(key.casefold())
            if value is None:
                continue
            if isinstance(value, str):
                text = value.strip()
            elif isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, float) and not exact and abs(value) >= 2**63:
                return self._json_row(number, line, exact=True)  # orjson made an int a float
            elif isinstance(value, int | float):
                text = str(value)
            else:
                return ParsedRow(number, {}, BAD_VALUE)
            if "\0" in text:
                return ParsedRow(number, {}, BAD_ENCODING)
            if len(text) > MAX_VALUE_CHARS:
                return ParsedRow(number, {}, VALUE_TOO_LONG)
            if text:
                values[field] = text
        if self._check_id and "personal_id" not in values:
            return ParsedRow(number, {}, MISSING_PERSONAL_ID)
        return ParsedRow(number, values)
