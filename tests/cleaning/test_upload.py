from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cleaning.upload import (
    MAX_LINE_BYTES,
    SNIFF_BYTES,
    BadEncodingError,
    EmptyUploadError,
    MissingColumnsError,
    NotCsvError,
    NotNdjsonError,
    ParsedRow,
    TooManyRowsError,
    UploadFormat,
    UploadParser,
    UploadTooLargeError,
)
from app.problems import ProblemError

MAPPING = {"personal_id": "id_number", "full_name": "full_name", "phone": "msisdn"}
HEADER = b"id_number,full_name,msisdn\n"


def parser(
    fmt: UploadFormat = UploadFormat.CSV,
    mapping: dict[str, str] | None = None,
    *,
    max_bytes: int = 10**9,
    max_rows: int = 10**6,
) -> UploadParser:
    return UploadParser(
        fmt,
        MAPPING if mapping is None else mapping,
        {"personal_id"} if fmt is UploadFormat.CSV else (),
        max_bytes=max_bytes,
        max_rows=max_rows,
    )


def feed_all(p: UploadParser, data: bytes, sizes: list[int]) -> list[ParsedRow]:
    """Feed ``data`` in pieces of ``sizes`` (cycled), then close."""
    rows: list[ParsedRow] = []
    start = turn = 0
    while start < len(data):
        size = sizes[turn % len(sizes)]
        rows += p.feed(data[start : start + size])
        start, turn = start + size, turn + 1
    return rows + p.close()


def parse(
    data: bytes,
    *,
    piece: int = 0,
    fmt: UploadFormat = UploadFormat.CSV,
    mapping: dict[str, str] | None = None,
    max_rows: int = 10**6,
) -> list[ParsedRow]:
    """Parse ``data`` fed whole (``piece=0``) or in pieces of ``piece`` bytes."""
    return feed_all(parser(fmt, mapping, max_rows=max_rows), data, [piece or len(data) or 1])


def ok(number: int, **values: str) -> ParsedRow:
    return ParsedRow(number, values)


def bad(number: int, code: str) -> ParsedRow:
    return ParsedRow(number, {}, code)


# -- CSV ---------------------------------------------------------------------------------


def test_csv_happy_path_with_mapping_and_bom() -> None:
    data = (
        "\ufeffextra,msisdn,id_number,full_name\n"
        "x,0912345678,001085895359,Nguyễn Văn Minh\n"
        "y,, 079199000123 ,  Trần Thị Hoa  \n"
    ).encode()
    p = parser()
    assert p.feed(data) == []  # held back until SNIFF_BYTES or close
    assert p.close() == [
        ok(1, personal_id="001085895359", full_name="Nguyễn Văn Minh", phone="0912345678"),
        ok(2, personal_id="079199000123", full_name="Trần Thị Hoa"),
    ]
    assert p.header == ["extra", "msisdn", "id_number", "full_name"]
    assert p.rows == 2
    assert p.bytes_read == len(data)


def test_rows_come_out_as_pieces_arrive() -> None:
    p = parser()
    rows = p.feed(HEADER + b"001,A,1\n" * 600)  # more than SNIFF_BYTES
    assert len(rows) == 600
    assert rows[-1] == ok(600, personal_id="001", full_name="A", phone="1")
    assert p.feed(b"002,B") == []
    assert p.feed(b",2\n003") == [ok(601, personal_id="002", full_name="B", phone="2")]
    assert p.close() == [bad(602, "wrong_column_count")]  # "003" alone has one cell
    assert p.rows == 602


def test_crlf_line_endings() -> None:
    data = b"id_number,full_name,msisdn\r\n001,An,09\r\n\r\n002,Binh,\r\n"
    assert parse(data) == [
        ok(1, personal_id="001", full_name="An", phone="09"),
        ok(2, personal_id="002", full_name="Binh"),
    ]


def test_semicolon_delimiter() -> None:
    data = "id_number;full_name;msisdn\n001;Lê, Văn;0912\n".encode()
    assert parse(data) == [ok(1, personal_id="001", full_name="Lê, Văn", phone="0912")]


def test_tab_delimiter() -> None:
    data = b"id_number\tfull_name\tmsisdn\n001\tAn\t09\n"
    assert parse(data) == [ok(1, personal_id="001", full_name="An", phone="09")]


def test_quoted_newline_and_doubled_quote_fed_one_byte_at_a_time() -> None:
    data = (
        'id_number,full_name,msisdn\r\n001,"Đặng ""Bé""\r\nThị",0912\r\n002,"Ngô, Ánh",\r\n'
    ).encode()
    expected = [
        ok(1, personal_id="001", full_name='Đặng "Bé"\nThị', phone="0912"),
        ok(2, personal_id="002", full_name="Ngô, Ánh"),
    ]
    assert parse(data) == expected
    assert parse(data, piece=1) == expected  # splits "Đ" and "Ặ" across feeds
    assert parse(data, piece=7) == expected


def test_quoted_record_split_across_two_feeds_after_the_sniff() -> None:
    p = parser()
    rows = p.feed(HEADER + b"001,A,1\n" * 600)
    assert len(rows) == 600
    first, second = '002,"Phạm\n""Q'.encode(), 'uốc""",7\n003,B,8\n'.encode()
    cut = first.index("ạ".encode()) + 1  # inside a two-byte character
    assert p.feed(first[:cut]) == []
    assert p.feed(first[cut:] + second[:3]) == []
    assert p.feed(second[3:]) == [
        ok(601, personal_id="002", full_name='Phạm\n"Quốc"', phone="7"),
        ok(602, personal_id="003", full_name="B", phone="8"),
    ]
    assert p.close() == []


def test_wrong_column_count() -> None:
    data = HEADER + b"001,A\n002,B,2,extra\n003,C,3\n"
    assert parse(data) == [
        bad(1, "wrong_column_count"),
        bad(2, "wrong_column_count"),
        ok(3, personal_id="003", full_name="C", phone="3"),
    ]


def test_bad_encoding_row_between_good_rows() -> None:
    data = HEADER + b"001,A,1\n002,Nguy\xean,2\n003,C,3\n"
    assert parse(data) == [
        ok(1, personal_id="001", full_name="A", phone="1"),
        bad(2, "bad_encoding"),
        ok(3, personal_id="003", full_name="C", phone="3"),
    ]


def test_nul_in_a_row_is_bad_encoding() -> None:
    filler = b"001,A,1\n" * (SNIFF_BYTES // 8 + 1)  # the NUL comes after the sniffed sample
    data = HEADER + filler + b"002,B\x00,2\n003,C,3\n"
    rows = parse(data)
    n = len(filler) // 8
    assert rows[n:] == [
        bad(n + 1, "bad_encoding"),
        ok(n + 2, personal_id="003", full_name="C", phone="3"),
    ]


def test_stray_nul_early_in_a_text_file_is_only_that_row() -> None:
    data = HEADER + b"002,B\x00,2\n003,C,3\n"
    assert parse(data) == [
        bad(1, "bad_encoding"),
        ok(2, personal_id="003", full_name="C", phone="3"),
    ]


def test_missing_personal_id() -> None:
    data = HEADER + b" ,A,1\n"
    assert parse(data) == [bad(1, "missing_personal_id")]


def test_value_too_long() -> None:
    data = HEADER + b"001," + b"x" * 1001 + b",1\n002," + b"y" * 1000 + b",2\n"
    assert parse(data) == [
        bad(1, "value_too_long"),
        ok(2, personal_id="002", full_name="y" * 1000, phone="2"),
    ]


def test_unmapped_long_cell_is_ignored() -> None:
    data = b"id_number,notes\n001," + b"n" * 5000 + b"\n"
    assert parse(data) == [ok(1, personal_id="001")]


def test_empty_file() -> None:
    with pytest.raises(EmptyUploadError) as caught:
        parse(b"")
    assert caught.value.code == "EMPTY_FILE"
    assert caught.value.status_code == 400
    assert "empty" in caught.value.detail


def test_whitespace_only_file() -> None:
    with pytest.raises(EmptyUploadError, match="blank lines"):
        parse(b"\xef\xbb\xbf  \r\n\n\t\n   ")


def test_header_only_is_zero_rows() -> None:
    p = parser()
    p.feed(b"id_number,full_name\r\n\r\n")
    assert p.close() == []
    assert p.rows == 0
    assert p.header == ["id_number", "full_name"]


def test_missing_required_column() -> None:
    with pytest.raises(MissingColumnsError) as caught:
        parse(b"cccd,full_name\n001,A\n")
    error = caught.value
    assert (error.status_code, error.code) == (400, "MISSING_COLUMNS")
    assert error.extensions == {"missing": ["id_number"], "header": ["cccd", "full_name"]}
    assert error.detail == (
        "The header has no column 'id_number' for personal_id. Columns found: cccd, full_name. "
        "Map your column with map=personal_id:<your column>."
    )


def test_absent_optional_column_is_ignored() -> None:
    assert parse(b"id_number\n001\n") == [ok(1, personal_id="001")]


def test_case_insensitive_header_match() -> None:
    data = b" ID_Number ,FULL_NAME,Msisdn\n001,An,09\n"
    assert parse(data) == [ok(1, personal_id="001", full_name="An", phone="09")]


def test_exact_header_match_wins_over_case_insensitive() -> None:
    data = b"ID_NUMBER,id_number\n001,002\n"
    assert parse(data, mapping={"personal_id": "id_number"}) == [ok(1, personal_id="002")]


def test_header_not_utf8() -> None:
    with pytest.raises(BadEncodingError) as caught:
        parse("id_number,tên\n001,A\n".encode("cp1258"))
    assert caught.value.code == "BAD_ENCODING"


@pytest.mark.parametrize(
    "data",
    [b'{"id_number": "001"}\n', b'  [{"id_number": "001"}]', b'\xef\xbb\xbf{"a": 1}'],
)
def test_json_sent_as_csv(data: bytes) -> None:
    with pytest.raises(NotCsvError) as caught:
        parse(data)
    assert (caught.value.status_code, caught.value.code) == (415, "NOT_CSV")
    assert "JSON" in caught.value.detail


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)) * 20,  # xlsx
        "id_number,full_name\n".encode("utf-16"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\x1f\x8b\x08\x00\xff\xfe\xfd",  # gzip
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # legacy .xls
    ],
)
def test_binary_is_not_csv(data: bytes) -> None:
    with pytest.raises(NotCsvError) as caught:
        parse(data)
    assert (caught.value.status_code, caught.value.code) == (415, "NOT_CSV")


def test_max_bytes() -> None:
    p = parser(max_bytes=100)
    p.feed(HEADER + b"001,A,1\n")
    with pytest.raises(UploadTooLargeError) as caught:
        p.feed(b"x" * 100)
    assert (caught.value.status_code, caught.value.code) == (413, "UPLOAD_TOO_LARGE")
    assert caught.value.extensions == {"max_bytes": 100}


def test_max_rows() -> None:
    assert len(parse(HEADER + b"1,A,1\n" * 3, max_rows=3)) == 3
    with pytest.raises(TooManyRowsError) as caught:
        parse(HEADER + b"1,A,1\n" * 4, max_rows=3)
    assert (caught.value.status_code, caught.value.code) == (413, "TOO_MANY_ROWS")


def test_unterminated_quote_at_close() -> None:
    data = HEADER + b'001,A,1\n002,"B\n003,C,3\n'
    assert parse(data) == [
        ok(1, personal_id="001", full_name="A", phone="1"),
        bad(2, "unterminated_quote"),
    ]


@pytest.mark.parametrize("piece", [0, 65536, 1000])
def test_over_long_line_is_skipped(piece: int) -> None:
    data = HEADER + b"001," + b"x" * (MAX_LINE_BYTES + 10) + b",1\n002,B,2\n"
    assert parse(data, piece=piece) == [
        bad(1, "value_too_long"),
        ok(2, personal_id="002", full_name="B", phone="2"),
    ]


@pytest.mark.parametrize("piece", [0, 4096])
def test_over_long_quoted_record_is_skipped(piece: int) -> None:
    half = b"x" * (MAX_LINE_BYTES // 2 + 1)
    data = HEADER + b'001,"' + half + b"\n" + half + b'",1\n002,B,2\n'
    assert parse(data, piece=piece) == [
        bad(1, "value_too_long"),
        ok(2, personal_id="002", full_name="B", phone="2"),
    ]


def test_over_long_line_is_reported_before_its_end_arrives() -> None:
    p = parser()
    rows = p.feed(HEADER)
    for _ in range(40):  # 2.5 MiB without a newline: reported, then discarded, not buffered
        rows += p.feed(b"y" * 65536)
    assert rows == [bad(1, "value_too_long")]
    assert p.feed(b"y\n002,B,2\n") == [ok(2, personal_id="002", full_name="B", phone="2")]


# -- NDJSON ------------------------------------------------------------------------------


def nd(*lines: object) -> bytes:
    return b"\n".join(x if isinstance(x, bytes) else json.dumps(x).encode() for x in lines)


def parse_nd(data: bytes, piece: int = 0) -> list[ParsedRow]:
    return parse(data, piece=piece, fmt=UploadFormat.NDJSON)


def test_ndjson_happy_path() -> None:
    data = nd(
        {"id_number": "001085895359", "full_name": " Nguyễn Văn Minh ", "msisdn": "0912"},
        b"",
        {"ID_NUMBER": "002", "other": [1]},
    )
    assert parse_nd(data) == [
        ok(1, personal_id="001085895359", full_name="Nguyễn Văn Minh", phone="0912"),
        ok(2, personal_id="002"),
    ]
    assert parse_nd(data, piece=1) == parse_nd(data)


def test_ndjson_bad_json_and_not_an_object() -> None:
    data = nd({"id_number": "001"}, b'{"id_number": "002",', [1, 2], "text", {"id_number": "5"})
    assert parse_nd(data) == [
        ok(1, personal_id="001"),
        bad(2, "bad_json"),
        bad(3, "not_an_object"),
        bad(4, "not_an_object"),
        ok(5, personal_id="5"),
    ]


def test_ndjson_number_nested_null_values() -> None:
    data = nd(
        {"id_number": 1085895359, "msisdn": 912.5, "full_name": None},
        {"id_number": "002", "full_name": {"first": "An"}},
        {"id_number": "003", "msisdn": ["09"]},
        {"id_number": None, "full_name": "An"},
        {"id_number": 123456789012345678901234567890},
        {"id_number": "004", "msisdn": True},
    )
    assert parse_nd(data) == [
        ok(1, personal_id="1085895359", phone="912.5"),
        bad(2, "bad_value"),
        bad(3, "bad_value"),
        bad(4, "missing_personal_id"),
        ok(5, personal_id="123456789012345678901234567890"),
        ok(6, personal_id="004", phone="true"),
    ]


def test_ndjson_bad_encoding_and_nul() -> None:
    data = nd({"id_number": "001"}, b'{"id_number": "\xff"}', {"id_number": "0\u00000"})
    assert parse_nd(data) == [
        ok(1, personal_id="001"),
        bad(2, "bad_encoding"),
        bad(3, "bad_encoding"),
    ]


def test_ndjson_that_is_really_csv() -> None:
    with pytest.raises(NotNdjsonError) as caught:
        parse_nd(b"\n" + HEADER + b"001,A,1\n")
    assert (caught.value.status_code, caught.value.code) == (415, "NOT_NDJSON")


def test_ndjson_binary() -> None:
    with pytest.raises(NotNdjsonError):
        parse_nd(b"PK\x03\x04\x14\x00\x06\x00")


def test_ndjson_empty() -> None:
    with pytest.raises(EmptyUploadError):
        parse_nd(b" \n\r\n")


# -- round trip --------------------------------------------------------------------------

CELL = st.text(
    alphabet=st.one_of(
        st.sampled_from(list('",;\n\t Đđăâêôơưạảấầẩẫậễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ')),
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff"),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(CELL.filter(lambda s: s.strip() != ""), CELL, CELL), min_size=0, max_size=30
    ),
    pieces=st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=20),
)
def test_csv_writer_round_trip(rows: list[tuple[str, str, str]], pieces: list[int]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id_number", "full_name", "note"])
    writer.writerows(rows)
    data = buffer.getvalue().encode()
    p = parser(mapping={"personal_id": "id_number", "full_name": "full_name", "note": "note"})
    parsed = feed_all(p, data, pieces)
    fields = ("personal_id", "full_name", "note")
    expected = [
        ParsedRow(n, {f: c.strip() for f, c in zip(fields, row, strict=True) if c.strip()})
        for n, row in enumerate(rows, 1)
    ]
    assert parsed == expected


TOKENS = [b"a" * 9, b",", b";", b'"', b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b" ", b"\t"]


@settings(max_examples=300, deadline=None)
@given(
    body=st.lists(st.sampled_from([*TOKENS, "{ệ".encode()]), max_size=80).map(b"".join),
    fmt=st.sampled_from(list(UploadFormat)),
    pieces=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=5),
)
def test_result_does_not_depend_on_piece_sizes(
    body: bytes, fmt: UploadFormat, pieces: list[int]
) -> None:
    data = (HEADER if fmt is UploadFormat.CSV else b"") + body

    def run(sizes: list[int]) -> list[ParsedRow] | str:
        try:
            return feed_all(parser(fmt), data, sizes)
        except ProblemError as error:
            return error.code

    assert run(pieces) == run([len(data) + 1])
