"""`GET /v1/statistics/population` against a seeded town, checked against Python's counts."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from typing import Any

import httpx
import numpy as np
import pytest

from app.statistics.disclosure import PRIMARY, PUBLISHED, SECONDARY, round_to_base
from tests.statistics.attacker import Knowledge, derived
from tests.statistics.conftest import (
    ADMIN,
    AS_OF,
    LEGACY_PROVINCE,
    Town,
    expected_counts,
    planner,
    rows_of,
)

pytestmark = pytest.mark.anyio
URL = "/v1/statistics/population"
FILTERS = (
    *("province", "province_2025", "ward", "ward_2025"),
    *("sex", "ethnicity", "marital_status", "vneid_level"),
)


def _largest_province(town: Town) -> str:
    alive = Counter(
        LEGACY_PROVINCE[p.legacy_ward] for p in town.people if p.legacy_ward and not p.dead
    )
    return alive.most_common(1)[0][0]


async def _get(client: httpx.AsyncClient, params: dict[str, Any], headers: dict[str, str]) -> Any:
    response = await client.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


QUERIES: list[dict[str, Any]] = [
    {"group_by": "province,sex,age_band", "age_bands": "5"},
    {"group_by": "province_2025,marital_status"},
    {"group_by": "ethnicity,sex", "age_min": 15, "age_max": 64},
    {"group_by": "vneid_level,age_band", "age_bands": "broad", "sex": "female"},
    {"group_by": "marital_status", "marital_status": "married,widowed", "vital_status": "any"},
    {"group_by": "sex", "vital_status": "deceased"},
    {"group_by": "sex,age_band", "as_of": "1990-01-01"},
    {"group_by": "age_band,sex", "age_bands": "5", "as_of": "2024-02-29"},
]


def _expected(town: Town, params: dict[str, Any]) -> Counter[tuple[str, ...]]:
    filters = {name: str(params[name]).split(",") for name in FILTERS if name in params}
    return expected_counts(
        town.people,
        params["group_by"].split(","),
        as_of=date.fromisoformat(params.get("as_of", AS_OF.isoformat())),
        bands=params.get("age_bands", "10"),
        filters=filters,
        age_min=params.get("age_min"),
        age_max=params.get("age_max"),
        vital_status=params.get("vital_status", "alive"),
    )


@pytest.mark.parametrize("params", QUERIES, ids=[q["group_by"] for q in QUERIES])
async def test_exact_counts_equal_pythons_for_every_cell_and_margin(
    stats_client: httpx.AsyncClient, town: Town, params: dict[str, Any]
) -> None:
    query = {"as_of": AS_OF.isoformat(), **params, "disclosure_control": "off"}
    document = await _get(stats_client, query, ADMIN)
    assert document["disclosure_control"]["applied"] is False
    expected = _expected(town, query)
    rows = rows_of(document)
    assert {key: row["count"] for key, row in rows.items() if row["count"]} == dict(expected)
    categories = [len(d["categories"]) for d in document["dimensions"]]
    assert len(document["cells"]) == int(np.prod(categories))


async def test_ward_tables_inside_a_province(stats_client: httpx.AsyncClient, town: Town) -> None:
    province = _largest_province(town)
    for group_by in ("ward,sex", "ward_2025,vneid_level"):
        query = {"group_by": group_by, "province": province, "as_of": AS_OF.isoformat()}
        document = await _get(stats_client, {**query, "disclosure_control": "off"}, ADMIN)
        expected = _expected(town, query)
        assert expected[("total", "total")] > 0
        rows = rows_of(document)
        assert {k: r["count"] for k, r in rows.items() if r["count"]} == dict(expected)


PROTECTED: list[dict[str, Any]] = [
    {"group_by": "province,sex,age_band", "age_bands": "5"},
    {"group_by": "province,marital_status"},
    {"group_by": "ethnicity,sex", "age_min": 60},
    {"group_by": "age_band,vneid_level,sex"},
    {"group_by": "province_2025", "k": 25, "rounding_base": 10},
]


@pytest.mark.parametrize("params", PROTECTED, ids=[q["group_by"] for q in PROTECTED])
async def test_no_count_below_k_is_ever_published(
    stats_client: httpx.AsyncClient, town: Town, params: dict[str, Any]
) -> None:
    query = {"as_of": AS_OF.isoformat(), **params}
    document = await _get(stats_client, query, planner(town))
    control = document["disclosure_control"]
    k, base = control["k"], control["rounding_base"]
    assert (k, base) == (params.get("k", 10), params.get("rounding_base", 5))
    expected = _expected(town, query)
    rows = rows_of(document)
    assert control["primary"] > 0  # the town is small: every one of these has small cells
    for key, row in rows.items():
        true = expected.get(key, 0)
        if row["count"] is None:
            assert true > 0  # zeros are published
            assert row["suppressed"] in ("primary", "secondary", "suppressed")
            if control["flags"] == "primary_secondary":
                assert (row["suppressed"] == "primary") == (true < k)
        else:
            assert row["suppressed"] is None
            assert row["count"] == 0 or row["count"] >= k
            assert true == 0 or true >= k
            assert row["count"] == int(round_to_base(np.array([true]), base, k=k)[0])
    assert control["primary"] == sum(0 < expected.get(key, 0) < k for key in rows)


async def test_the_published_pattern_leaves_no_suppressed_count_derivable(
    stats_client: httpx.AsyncClient, town: Town
) -> None:
    """The attacker gets the exact published counts (no rounding) and the flags."""
    alive = Counter(
        LEGACY_PROVINCE[p.legacy_ward] for p in town.people if p.legacy_ward and not p.dead
    )
    provinces = ",".join(sorted(code for code, _ in alive.most_common(5)))
    query = {"group_by": "province,sex,age_band", "province": provinces, "as_of": AS_OF.isoformat()}
    document = await _get(stats_client, query, planner(town))
    names = document["group_by"]
    codes = [[c["code"] for c in d["categories"]] + ["total"] for d in document["dimensions"]]
    expected = _expected(town, query)
    rows = rows_of(document)
    shape = tuple(len(c) for c in codes)
    counts = np.zeros(shape, dtype=np.int64)
    status = np.zeros(shape, dtype=np.int8)
    for position in np.ndindex(*shape):
        key = tuple(codes[axis][i] for axis, i in enumerate(position))
        counts[position] = expected.get(key, 0)
        flag = rows[key]["suppressed"]
        status[position] = {None: PUBLISHED, "primary": PRIMARY}.get(flag, SECONDARY)
    assert len(names) == 3
    assert (status != PUBLISHED).sum() > 0
    knowledge = (
        Knowledge.FLAGS
        if document["disclosure_control"]["flags"] == "primary_secondary"
        else Knowledge.POSITIVE
    )
    assert derived(counts, status, k=10, knowledge=knowledge) == {}
    primary_only = np.where(status == PRIMARY, PRIMARY, PUBLISHED).astype(np.int8)
    assert derived(counts, primary_only)  # without the complements, cells come out


async def test_csv_has_a_header_row_and_every_position(
    stats_client: httpx.AsyncClient, town: Town
) -> None:
    query = {"group_by": "sex,marital_status", "as_of": AS_OF.isoformat()}
    as_json = await _get(stats_client, query, planner(town))
    for extra, headers in (
        ({"format": "csv"}, planner(town)),
        ({}, {**planner(town), "Accept": "text/csv"}),
    ):
        response = await stats_client.get(URL, params={**query, **extra}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        lines = list(csv.reader(io.StringIO(response.text)))
        assert lines[0] == ["sex", "marital_status", "count", "suppressed"]
        assert len(lines) == 1 + 2 * 4 + 2 + 4 + 1
        by_key = {(line[0], line[1]): line for line in lines[1:]}
        for key, row in rows_of(as_json).items():
            line = by_key[key]
            assert line[2] == ("" if row["count"] is None else str(row["count"]))
            assert line[3] == (row["suppressed"] or "")
        assert lines[-1][:2] == ["total", "total"]


async def test_k_may_be_raised(stats_client: httpx.AsyncClient, town: Town) -> None:
    document = await _get(stats_client, {"group_by": "province", "k": 40}, planner(town))
    assert document["disclosure_control"]["k"] == 40
    published = [r["count"] for r in rows_of(document).values() if r["count"] is not None]
    assert all(count == 0 or count >= 40 for count in published)


async def test_the_admin_token_may_also_ask_with_disclosure_control(
    stats_client: httpx.AsyncClient,
) -> None:
    document = await _get(stats_client, {"group_by": "sex,age_band"}, ADMIN)
    assert document["disclosure_control"]["applied"] is True
