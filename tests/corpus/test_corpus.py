"""The public BPMN corpus (256 models written for other engines) as a test of Baton.

- ``test_corpus_deploys``: every process of each file that is executable or lacks
  ``isExecutable`` deploys through the real deploy command, unless ``expectations.toml`` lists
  the file; a listed file must be refused with a model error (kind PROCESS_MODEL, VALIDATION or
  NOT_IMPLEMENTED) one of whose causes contains the entry's ``match``.
- ``test_corpus_runs``: every deployed process with a none start event at process level is
  started and driven by :mod:`tests.corpus.driver`; it must reach COMPLETED unless
  ``[not_completed]`` lists it.

The figures of both are printed at the end of the session (``conftest.py``), with the
expectation lines to paste when the engine changed.
"""

from __future__ import annotations

from functools import cache

import pytest

from engine.errors import EngineError, ErrorKind
from engine.model import ElementType, ProcessModel, parse_definitions
from engine.queries.records import Process
from tests.corpus import driver
from tests.corpus.expectations import PENDING, load, not_completed_line, refused_line
from tests.corpus.files import CorpusFile, corpus_dir, corpus_files, missing_message, short_id
from tests.corpus.report import REPORT
from tests.scenario import Scenario

MODEL_ERRORS = frozenset({ErrorKind.PROCESS_MODEL, ErrorKind.VALIDATION, ErrorKind.NOT_IMPLEMENTED})

pytestmark = pytest.mark.skipif(corpus_dir() is None, reason=missing_message())


def _params(files: tuple[CorpusFile, ...]) -> list[object]:
    return [pytest.param(file, id=short_id(file.name)) for file in files]


def _text(file: CorpusFile) -> str:
    data = file.path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _deploy(scenario: Scenario, file: CorpusFile) -> list[Process]:
    """Deploy every process the file offers; raises the first refusal."""
    xml = _text(file)
    return [scenario.deploy(xml, process_id) for process_id in file.attempted]


def _causes(error: EngineError) -> list[str]:
    return [f"{c.pointer} {c.type}: {c.detail}" + (f" ({c.value})" if c.value else "") for c in error.causes] or [
        str(error)
    ]


@pytest.mark.parametrize("file", _params(corpus_files()))
def test_corpus_deploys(scenario: Scenario, file: CorpusFile) -> None:
    expected = load().refusal(file.name)
    try:
        _deploy(scenario, file)
    except EngineError as error:
        causes = _causes(error)
        category = expected.category if expected else "unexpected"
        REPORT.deploys[file.name] = category
        if error.kind not in MODEL_ERRORS:
            pytest.fail(f"{file.name} refused with kind {error.kind} (a model error was expected): {causes}")
        if expected is None:
            first = error.causes[0].detail if error.causes else str(error)
            REPORT.suggest(PENDING, refused_line(file.name, PENDING, first, ""))
            pytest.fail(f"{file.name} is refused but not in expectations.toml:\n  " + "\n  ".join(causes))
        if not any(expected.match.lower() in cause.lower() for cause in causes):
            pytest.fail(
                f"{file.name} is refused, but no cause contains {expected.match!r} "
                f"({expected.category}: {expected.reason}):\n  " + "\n  ".join(causes)
            )
        return
    REPORT.deploys[file.name] = "deployed"
    if expected is not None:
        REPORT.suggest("remove", f"{file.name} (was {expected.category}: {expected.reason})")
        pytest.fail(f"{file.name} deploys now: remove its {expected.category} entry from expectations.toml")


def _runnable(files: tuple[CorpusFile, ...]) -> tuple[CorpusFile, ...]:
    refused = load().refused
    return tuple(file for file in files if file.name not in refused)


@cache
def _models(file: CorpusFile) -> dict[str, ProcessModel]:
    definitions = parse_definitions(_text(file))
    return {process.id: process for process in definitions.processes}


def _has_none_start(model: ProcessModel) -> bool:
    start = model.none_start_event(model.id)
    return start is not None and start.type is ElementType.NONE_START_EVENT


def _defining_files() -> dict[str, CorpusFile]:
    """Process id -> the first deployable corpus file that defines it (for call activities)."""
    found: dict[str, CorpusFile] = {}
    for file in _runnable(corpus_files()):
        for process_id in file.deployable:
            found.setdefault(process_id, file)
    return found


def _deploy_with_called(scenario: Scenario, file: CorpusFile) -> tuple[list[Process], dict[str, ProcessModel]]:
    """Deploy the file, then every other corpus file defining a process it calls (recursively):
    SpiffWorkflow keeps a called process in a file of its own."""
    processes = _deploy(scenario, file)
    models = dict(_models(file))
    defining = _defining_files()
    queue = [file]
    while queue:
        calls = {
            element.called_element.split(":")[0]
            for model in _models(queue.pop()).values()
            for element in model.elements.values()
            if element.called_element and not element.called_element.startswith("=")
        }
        for called in sorted(calls - models.keys()):
            other = defining.get(called)
            if other is None:
                continue
            xml = _text(other)
            for process_id in other.deployable:
                if process_id not in models:
                    scenario.deploy(xml, process_id)
            models.update({pid: m for pid, m in _models(other).items() if pid not in models})
            queue.append(other)
    return processes, models


@pytest.mark.parametrize("file", _params(_runnable(corpus_files())))
def test_corpus_runs(scenario: Scenario, file: CorpusFile) -> None:
    processes, models = _deploy_with_called(scenario, file)
    stuck: list[str] = []
    for process in processes:
        if not _has_none_start(models[process.bpmn_process_id]):
            continue
        key = f"{file.name}#{process.bpmn_process_id}"
        outcome = driver.run(scenario, process, models)
        REPORT.runs[key] = outcome.state
        reason = load().not_completed.get(key)
        if outcome.state == "COMPLETED" and reason is not None:
            REPORT.suggest("remove", f"{key} (was not_completed: {reason})")
            stuck.append(f"{key} completes now: remove it from [not_completed]")
        elif outcome.state != "COMPLETED" and reason is None:
            REPORT.suggest("not_completed", not_completed_line(key, outcome.describe()))
            stuck.append(f"{key} did not complete: {outcome.describe()}")
    assert not stuck, "\n".join(stuck)
