"""What a scenario file says: its story, the connectors and life events it runs, its steps.

A scenario is YAML, checked strictly: an unknown key, a rate or duration that does
not parse, a connector or task nobody provides is an error naming the file and the
field. Rates and durations are written as for ``popreg simulate life`` (``5/s``,
``300/m``; ``90s``, ``2m``); offsets (``start``, ``at``) may be ``0s``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BeforeValidator,
    Field,
    ValidationError,
    model_validator,
)

from app.events.simulate.mix import parse_duration, parse_rate
from app.models.records import RecordKind
from connectors.base import Connector
from connectors.scenario.payloads import Cohort, RecordPart, StatisticsQuery, Strict

SUBJECT = "subject"  # a step's citizen: the one person the scenario's steps are about


class ScenarioError(ValueError):
    """A scenario file that cannot be run, with the file and the field in the message."""


def _rate(value: object) -> float:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a rate; write a number per s, m or h: 5/s, 300/m.")
    return parse_rate(value)


def _duration(value: object) -> float:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration; write it with its unit: 90s, 2m.")
    return parse_duration(value)


def _offset(value: object) -> float:
    if isinstance(value, str) and value.strip() in ("0", "0s"):
        return 0.0
    return _duration(value)


Rate = Annotated[float, BeforeValidator(_rate)]  # per second
Seconds = Annotated[float, BeforeValidator(_duration)]  # above zero
Offset = Annotated[float, BeforeValidator(_offset)]  # from the scenario's start, zero or more


class ConnectorPart(Strict):
    """One connector running at a rate for a while (``connectors.run``)."""

    rate: Rate
    duration: Seconds | None = None  # default: the scenario's
    start: Offset = 0.0
    concurrency: int = Field(default=4, ge=1, le=64)
    tasks: dict[str, Annotated[int, Field(ge=0)]] | None = None  # override the weights
    seed: int | None = None

    @model_validator(mode="after")
    def _some_task(self) -> ConnectorPart:
        if self.tasks is not None and not any(self.tasks.values()):
            raise ValueError("tasks: at least one task needs a weight above 0")
        return self


class LifeEventsPart(Strict):
    """A stream of births, deaths, moves … (``popreg simulate life``, in-process)."""

    rate: Rate
    duration: Seconds | None = None
    start: Offset = 0.0
    concurrency: int = Field(default=4, ge=1, le=64)
    seed: int | None = None


Action = Literal[
    "lookup",
    "verify",
    "access_log",
    "give_consent",
    "withdraw_consent",
    "push_record",
    "history",
    "wallet",
    "statistics",
    "extract",
]
AGENCY_ACTIONS = (
    "lookup",
    "verify",
    "give_consent",
    "withdraw_consent",
    "push_record",
    "history",
    "extract",
)
CITIZEN_ACTIONS = ("access_log", "wallet")  # the citizen's own view: no agency, no purpose
# The step fields that belong to some actions only, and the actions that need them.
ONLY_FOR = {
    "claims": ("verify",),
    "kind": ("push_record", "history"),
    "record": ("push_record",),
    "query": ("statistics",),
    "cohort": ("extract",),
}
NEEDS = {"push_record": "kind", "history": "kind", "statistics": "query", "extract": "cohort"}


class Step(Strict):
    """A one-off action at a moment of the story; steps run in order, each at ``at`` or next."""

    action: Action
    at: Offset | None = None
    say: str | None = None  # what the step shows, printed as it runs
    agency: str | None = None  # a demo agency's code (its documented key is used)
    purpose: str | None = None
    citizen: str = Field(default=SUBJECT, pattern=rf"^({SUBJECT}|\d{{12}})$")
    claims: dict[str, str] | None = None  # verify: default the subject's name and birth date
    kind: RecordKind | None = None  # push_record, history: the kind of sector record
    record: RecordPart | None = None  # push_record
    query: StatisticsQuery | None = None  # statistics: the table asked for
    cohort: Cohort | None = None  # extract: who is in it
    # "ok" (any 2xx/3xx), a status ("403") or a problem code ("CONSENT_REQUIRED")
    expect: str | None = Field(default=None, pattern=r"^(ok|[1-5]\d\d|[A-Z][A-Z0-9_]+)$")

    @model_validator(mode="after")
    def _agency_and_purpose(self) -> Step:
        if self.action in AGENCY_ACTIONS and (self.agency is None or self.purpose is None):
            raise ValueError(f"the action {self.action!r} needs an agency and a purpose")
        if self.action in CITIZEN_ACTIONS and (self.agency or self.purpose or self.claims):
            raise ValueError(
                f"{self.action} is the citizen's own view: no agency, purpose or claims"
            )
        if self.action == "statistics" and (self.agency is None) != (self.purpose is None):
            raise ValueError("statistics: an agency with its purpose, or neither (the admin token)")
        if self.action == "statistics" and "citizen" in self.model_fields_set:
            raise ValueError("statistics count the population: no citizen")
        return self

    @model_validator(mode="after")
    def _fields_of_the_action(self) -> Step:
        for name, actions in ONLY_FOR.items():
            if getattr(self, name) is not None and self.action not in actions:
                raise ValueError(f"{name} is for {' and '.join(actions)} only, not {self.action}")
        needed = NEEDS.get(self.action)
        if needed is not None and getattr(self, needed) is None:
            raise ValueError(f"the action {self.action!r} needs {needed}")
        return self


class Scenario(Strict):
    title: str
    description: str  # what it teaches
    duration: Seconds = 60.0  # of every part that gives none
    subject: str = Field(default="sample", pattern=r"^(sample|\d{12})$")
    connectors: dict[str, ConnectorPart] = Field(default_factory=dict)
    life_events: LifeEventsPart | None = None
    steps: list[Step] = Field(default_factory=list)
    look_at: list[str] = Field(default_factory=list)  # printed at the end

    @model_validator(mode="after")
    def _something_to_run(self) -> Scenario:
        if not (self.connectors or self.life_events or self.steps):
            raise ValueError("a scenario needs connectors, life_events or steps")
        return self

    @model_validator(mode="after")
    def _steps_in_order(self) -> Scenario:
        latest, latest_index = 0.0, 0
        for index, step in enumerate(self.steps):
            if step.at is None:
                continue
            if step.at < latest:
                raise ValueError(
                    f"steps[{index}].at ({step.at:g} s) is before steps[{latest_index}].at "
                    f"({latest:g} s); steps run in the order written"
                )
            latest, latest_index = step.at, index
        return self

    def part_seconds(self, part: ConnectorPart | LifeEventsPart) -> float:
        return part.duration if part.duration is not None else self.duration

    @property
    def length(self) -> float:
        """Seconds from the start to the end of the last part or the last step's moment."""
        parts: list[ConnectorPart | LifeEventsPart] = list(self.connectors.values())
        if self.life_events is not None:
            parts.append(self.life_events)
        ends = [p.start + self.part_seconds(p) for p in parts]
        ends += [s.at for s in self.steps if s.at is not None]
        return max(ends, default=0.0)

    def scaled(self, factor: float) -> Scenario:
        """Every rate multiplied by ``factor`` (``--scale``)."""
        if factor <= 0:
            raise ScenarioError(f"the scale must be above 0, not {factor:g}")
        connectors = {
            name: part.model_copy(update={"rate": part.rate * factor})
            for name, part in self.connectors.items()
        }
        life = self.life_events
        if life is not None:
            life = life.model_copy(update={"rate": life.rate * factor})
        return self.model_copy(update={"connectors": connectors, "life_events": life})

    def fitted(self, seconds: float) -> Scenario:
        """The whole timeline (durations, starts, step moments) stretched to ``seconds``."""
        if seconds <= 0:
            raise ScenarioError(f"the duration must be above 0, not {seconds:g}")
        length = self.length or self.duration
        k = seconds / length

        def stretch(part: Any) -> Any:
            return part.model_copy(
                update={"start": part.start * k, "duration": self.part_seconds(part) * k}
            )

        return self.model_copy(
            update={
                "duration": self.duration * k,
                "connectors": {n: stretch(p) for n, p in self.connectors.items()},
                "life_events": stretch(self.life_events) if self.life_events else None,
                "steps": [
                    s.model_copy(update={"at": None if s.at is None else s.at * k})
                    for s in self.steps
                ],
            }
        )


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice (PyYAML would keep the last silently)."""


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise ScenarioError(f"line {line}: the key {key!r} is given twice")
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _where(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def parse(text: str, source: str) -> Scenario:
    """A scenario from YAML text; ``source`` names it in errors."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except ScenarioError as error:
        raise ScenarioError(f"{source}: {error}") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{source}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario is a mapping (title:, description:, …)")
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        lines = []
        for problem in error.errors(include_url=False):
            message = problem["msg"].removeprefix("Value error, ")
            if problem["type"] == "extra_forbidden":
                message = "unknown key (a typo?)"
            lines.append(f"{source}: {_where(tuple(problem['loc']))}: {message}")
        raise ScenarioError("\n".join(lines)) from None


def check_names(
    scenario: Scenario, source: str, known: Mapping[str, type[Connector]], agencies: list[str]
) -> None:
    """Every connector and task is one that exists; every step's agency is a demo agency."""
    problems = []
    for name, part in scenario.connectors.items():
        if name not in known:
            problems.append(
                f"{source}: connectors.{name}: no connector called {name!r}; "
                f"known: {', '.join(sorted(known)) or 'none'}"
            )
            continue
        tasks = known[name].tasks
        for task in part.tasks or {}:
            if task not in tasks:
                problems.append(
                    f"{source}: connectors.{name}.tasks.{task}: {name} has no task {task!r}; "
                    f"its tasks: {', '.join(tasks)}"
                )
    for index, step in enumerate(scenario.steps):
        if step.agency is not None and step.agency not in agencies:
            problems.append(
                f"{source}: steps[{index}].agency: {step.agency!r} is not a demo agency; "
                f"they are: {', '.join(agencies)}"
            )
    if problems:
        raise ScenarioError("\n".join(problems))


def load(
    path: Path,
    *,
    known: Mapping[str, type[Connector]] | None = None,
) -> Scenario:
    """Read and check a scenario file; ``known``: the connectors (default ``discover()``)."""
    from app.agencies.demo import DEMO_AGENCIES
    from connectors.registry import discover

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read it ({error.strerror or error})") from None
    scenario = parse(text, str(path))
    if known is None:
        known = {name: found.connector for name, found in discover()[0].items()}
    check_names(scenario, str(path), known, [a.code for a in DEMO_AGENCIES])
    return scenario
