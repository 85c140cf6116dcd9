"""What a step's answer shows, in one form for the terminal and the HTML report.

A ``View`` is a few lines of facts and, where the answer is a list or a table, a
small table whose cells carry a mark: ``suppressed`` (disclosure control hid it),
``small`` (an exact count from 1 to k−1: it may name a person), ``denied``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.scenario.steps import StepResult

DEFAULT_K = 10  # POPREG_STATISTICS_MIN_K's default: the bar an exact count is measured against
WIDTH = 90  # characters of a value shown in a cell
MAX_ROWS = 40  # of a statistics table shown; the answer has them all
MAX_COLUMNS = 12

Cell = tuple[str, str]  # the text, and its mark ("" when none)


@dataclass
class View:
    lines: list[str]
    head: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)


def who(step: Any) -> str:
    """Who acts in a step: an agency under a purpose, the citizen, or the registry's operator."""
    if step.agency:
        return f"{step.agency} / {step.purpose}"
    return "the registry operator (admin token)" if step.action == "statistics" else "the citizen"


def kind_words(kind: object) -> str:
    return str(getattr(kind, "value", kind)).replace("_", " ")


def _short(text: str) -> str:
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"


def record_text(record: Mapping[str, Any]) -> str:
    """A sector record in one line: number, status, validity, data, source and version."""
    data = "; ".join(
        f"{key} {', '.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in (record.get("data") or {}).items()
    )
    until = record.get("valid_until") or "no end"
    source = record.get("source_agency") or record.get("source_agency_name")
    version = f" v{record['version']}" if record.get("version") else ""
    text = f"{record.get('number')} {record.get('status')} {record.get('valid_from')}–{until}"
    return text + f" · {data}" + (f" · from {source}{version}" if source else "")


def value_text(value: Any) -> str:
    """A looked-up field's value, short: records in one line each, addresses by their text."""
    if isinstance(value, Mapping):
        if "kind" in value and "number" in value:
            return _short(record_text(value))
        if "address" in value:
            return _short(str(value["address"]))
        return _short(", ".join(f"{k}: {v}" for k, v in value.items() if v is not None))
    if isinstance(value, list):
        return _short(" | ".join(value_text(v) for v in value) if value else "none")
    return _short("null" if value is None else str(value))


@dataclass
class Table:
    """A statistics answer, counted: what it reveals or hides."""

    answer: dict[str, Any]
    k: int
    applied: bool

    @classmethod
    def of(cls, answer: dict[str, Any], asked_k: int | None) -> Table:
        control = answer["disclosure_control"]
        k = control.get("k") or asked_k or DEFAULT_K
        return cls(answer, int(k), bool(control["applied"]))

    def mark(self, cell: Mapping[str, Any]) -> str:
        if cell["suppressed"]:
            return "suppressed"
        count = cell["count"]
        return "small" if not self.applied and count and count < self.k else ""

    def text(self, cell: Mapping[str, Any]) -> str:
        return str(cell["suppressed"]) if cell["count"] is None else f"{cell['count']:,}"

    def _cell(self, cell: Mapping[str, Any]) -> Cell:
        return self.text(cell), self.mark(cell)

    @property
    def small(self) -> list[Mapping[str, Any]]:
        return [c for c in self.answer["cells"] if self.mark(c) == "small"]

    def words(self) -> str:
        """The outcome in words, as the steps table shows it."""
        cells = self.answer["cells"]
        if not self.applied:
            ones = sum(1 for c in self.small if c["count"] == 1)
            return (
                f"exact counts, {len(cells):,} cells: {len(self.small):,} hold 1 to "
                f"{self.k - 1} people, {ones:,} of them exactly one"
            )
        control = self.answer["disclosure_control"]
        total = "hidden" if self.answer["total"]["count"] is None else "published"
        return (
            f"k = {self.k}, {len(cells):,} cells: {control['primary']:,} suppressed below k, "
            f"{control['secondary']:,} to protect them; the total {total}"
        )

    def lines(self) -> list[str]:
        answer = self.answer
        filters = "; ".join(f"{d} {', '.join(v)}" for d, v in answer["filters"].items())
        lines = [
            f"By {', '.join(answer['group_by'])}"
            + (f" where {filters}" if filters else "")
            + f", as of {answer['as_of']}, {answer['vital_status']}."
        ]
        control = answer["disclosure_control"]
        if self.applied:
            lines.append(
                f"Disclosure control: counts from 1 to {self.k - 1} suppressed "
                f"({control['primary']:,} primary), {control['secondary']:,} more hidden so "
                f"they cannot be worked out from the totals, the rest rounded to "
                f"{control['rounding_base']}."
            )
        else:
            lines.append(
                f"Exact counts, no disclosure control (the admin token): {len(self.small):,} "
                f"cells hold 1 to {self.k - 1} people. A count of 1 is a person: whoever knows "
                "who lives there learns the other categories of the row about them."
            )
        marked = "suppressed counts in yellow" if self.applied else "counts below k in red"
        lines.append(f"Cells of zero are left out; the totals are the margins; {marked}.")
        return lines

    def grid(self) -> tuple[list[str], list[list[Cell]], int]:
        """Two dimensions: a cross-table with totals; otherwise one row per non-zero cell.

        A cross-table has the dimension with more categories down the side when it
        would be too wide; at most ``MAX_ROWS`` rows are shown, then the total. Also
        returns how many rows were left out.
        """
        dimensions: list[str] = self.answer["group_by"]
        shown = [c for c in self.answer["cells"] if c["count"] != 0]
        total = self.answer["total"]
        if len(dimensions) != 2:
            head = [*dimensions, "count"]
            rows = [[*((c[d], "") for d in dimensions), self._cell(c)] for c in shown]
            blank = [("", "")] * (len(dimensions) - 1)
            last = [("total", ""), *blank, (self.text(total), "")]
            return head, [*rows[:MAX_ROWS], last], max(0, len(rows) - MAX_ROWS)
        across, down = dimensions
        row_codes = _codes(self.answer, across, {c[across] for c in shown})
        column_codes = _codes(self.answer, down, {c[down] for c in shown})
        if len(column_codes) > MAX_COLUMNS and len(column_codes) > len(row_codes):
            across, down, row_codes, column_codes = down, across, column_codes, row_codes
        margins = {(m[across], m[down]): m for m in self.answer["margins"]}
        cells = {(c[across], c[down]): c for c in self.answer["cells"]}
        head = [f"{across} \\ {down}", *column_codes, "total"]
        rows = []
        for row in [*row_codes[:MAX_ROWS], "total"]:
            line: list[Cell] = [(row, "")]
            for column in [*column_codes, "total"]:
                if row == "total" and column == "total":
                    cell = total
                else:
                    cell = cells.get((row, column)) or margins.get((row, column))
                line.append(("", "") if cell is None else self._cell(cell))
            rows.append(line)
        return head, rows, max(0, len(row_codes) - MAX_ROWS)


def _codes(answer: Mapping[str, Any], dimension: str, present: set[str]) -> list[str]:
    """A dimension's category codes that have a non-zero cell, in the table's order."""
    [categories] = [d["categories"] for d in answer["dimensions"] if d["name"] == dimension]
    return [c["code"] for c in categories if c["code"] in present]


def view(result: StepResult) -> View | None:
    """What to show of a step's answer, or None when there is nothing beyond the words."""
    answer, action = result.answer, result.step.action
    if answer is None:
        return None
    if action == "lookup":
        rows = [[(name, ""), (value_text(value), "")] for name, value in answer.items()]
        return View([f"Fields returned: {', '.join(answer)}."], ["field", "value"], rows)
    if action == "push_record":
        changed = ", ".join(answer.get("changed_fields") or []) or "nothing"
        return View(
            [
                f"The registry {answer['result']} the {kind_words(answer['kind'])} "
                f"(version {answer['version']}; changed: {changed}).",
                f"Now on record: {record_text(answer['record'])}",
            ]
        )
    if action == "history":
        rows = [
            [
                (f"v{v['version']}", ""),
                (str(v["changed_at"])[:19].replace("T", " "), ""),
                (str(v["agency"]), ""),
                (", ".join(v["changed_fields"]), ""),
                (_short(record_text(v["snapshot"])), ""),
            ]
            for v in answer["versions"]
        ]
        head = ["version", "changed (UTC)", "by", "changed fields", "the record after"]
        return View([f"{len(rows)} versions, newest first."], head, rows)
    if action == "wallet":
        rows = [
            [
                (str(d["title"]), ""),
                (str(d["number"]), ""),
                (str(d["status"]), "" if d["status"] == "valid" else "denied"),
                (str(d["valid_until"] or "no end"), ""),
                (str(d["source_agency_name"] or d["source_agency"]), ""),
                (str(d["updated_at"] or "")[:19].replace("T", " "), ""),
            ]
            for d in answer["documents"]
        ]
        head = ["document", "number", "status", "valid until", "from", "updated (UTC)"]
        return View([f"{len(rows)} documents, as the VNeID wallet lists them."], head, rows)
    if action == "statistics":
        assert result.step.query is not None
        table = Table.of(answer, result.step.query.k)
        head, rows, left_out = table.grid()
        lines = table.lines()
        if left_out:
            lines.append(f"{left_out:,} more rows are in the answer; the total is the last row.")
        return View(lines, head, rows)
    if action == "extract":
        job = answer["extract"]
        cohort = ", ".join(f"{k} {v}" for k, v in job["cohort"].items() if v is not None)
        lines = [
            f"Cohort: {cohort}. Fields of every row: {', '.join(job['fields'])}.",
            f"Extract {job['id']}: {job['state']}, {job['rows_total']:,} citizens, "
            f"{answer.get('rows', 0):,} rows downloaded, in {answer['seconds']:,.1f} s.",
        ]
        witness = answer.get("witness")
        if witness is not None and witness != answer.get("subject"):
            lines.append(
                f"The subject ({answer.get('subject')}) is not in the cohort; its first "
                f"member, {witness}, signs in to the data tracker instead."
            )
        return View(lines)
    return None
