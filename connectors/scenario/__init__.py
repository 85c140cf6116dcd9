"""Scenarios: staged stories of connectors, life events and one-off steps, with a report.

A scenario file (YAML in ``scenarios/``) names the connectors to run with their
rates, durations and start offsets, optional life events, and steps such as an
agency asking for data outside its purpose and the citizen reading their access
log. ``load`` checks a file, ``run_scenario`` runs it, ``report.summary`` prints it
and ``html.write`` renders the offline HTML report. ``popreg scenario run FILE``
does all four.

Modules: ``model`` (the file), ``payloads`` (what some steps carry), ``steps``
(one-off actions), ``sharing`` (the actions beyond lookups: records, wallet,
statistics, extracts), ``records`` (their default sector records), ``views`` (what
a step's answer shows), ``runner`` (the timeline), ``stats`` (figures from the call
log), ``report`` (terminal), ``html`` (the page), ``cli`` (the commands).
"""

from connectors.scenario.model import Scenario, ScenarioError, Step, load, parse
from connectors.scenario.runner import (
    PartResult,
    ScenarioAborted,
    ScenarioResult,
    run_scenario,
)
from connectors.scenario.steps import StepResult

__all__ = [
    "PartResult",
    "Scenario",
    "ScenarioAborted",
    "ScenarioError",
    "ScenarioResult",
    "Step",
    "StepResult",
    "load",
    "parse",
    "run_scenario",
]
