"""BPMN models of the fault scenarios, written out so that their size is a parameter."""

from __future__ import annotations

from datetime import datetime


def _document(process_id: str, body: list[str]) -> str:
    lines = "\n    ".join(body)
    return f"""<definitions id="{process_id}Definitions" xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <process id="{process_id}" isExecutable="true">
    {lines}
  </process>
</definitions>
"""


def relay(process_id: str, stages: int, width: int) -> str:
    """start → (fork into ``width`` branches → join) x ``stages`` → end, no jobs: the engine
    alone moves it, one START and ``stages * width`` JOIN tasks per instance."""
    body = ['<startEvent id="start"/>']
    previous = "start"
    for stage in range(stages):
        fork, join = f"fork{stage}", f"join{stage}"
        body += [f'<parallelGateway id="{fork}"/>', f'<parallelGateway id="{join}"/>']
        body.append(f'<sequenceFlow id="to{fork}" sourceRef="{previous}" targetRef="{fork}"/>')
        for branch in range(width):
            body.append(f'<sequenceFlow id="b{stage}_{branch}" sourceRef="{fork}" targetRef="{join}"/>')
        previous = join
    body += ['<endEvent id="end"/>', f'<sequenceFlow id="toEnd" sourceRef="{previous}" targetRef="end"/>']
    return _document(process_id, body)


def relay_elements(stages: int, width: int) -> dict[str, int]:
    """How many element instances of each element one completed ``relay`` instance has."""
    counts = {"start": 1, "end": 1}
    for stage in range(stages):
        counts[f"fork{stage}"] = 1
        counts[f"join{stage}"] = width
    return counts


def fan_in(process_id: str, width: int) -> str:
    """start → fork → ``width`` service tasks → join → end."""
    body = ['<startEvent id="start"/>', '<parallelGateway id="fork"/>', '<parallelGateway id="join"/>']
    body.append('<sequenceFlow id="toFork" sourceRef="start" targetRef="fork"/>')
    for branch in range(width):
        body.append(f'<serviceTask id="task{branch}"/>')
        body.append(f'<sequenceFlow id="in{branch}" sourceRef="fork" targetRef="task{branch}"/>')
        body.append(f'<sequenceFlow id="out{branch}" sourceRef="task{branch}" targetRef="join"/>')
    body += ['<endEvent id="end"/>', '<sequenceFlow id="toEnd" sourceRef="join" targetRef="end"/>']
    return _document(process_id, body)


def timer_at(process_id: str, due: datetime) -> str:
    """start → timer catch event due at ``due`` → end."""
    body = [
        '<startEvent id="start"/>',
        '<intermediateCatchEvent id="timer"><timerEventDefinition>'
        f"<timeDate>{due.isoformat()}</timeDate></timerEventDefinition></intermediateCatchEvent>",
        '<endEvent id="end"/>',
        '<sequenceFlow id="f1" sourceRef="start" targetRef="timer"/>',
        '<sequenceFlow id="f2" sourceRef="timer" targetRef="end"/>',
    ]
    return _document(process_id, body)


def service(process_id: str, retries: int | None = None) -> str:
    """start → one service task → end."""
    extension = ""
    if retries is not None:
        extension = (
            '<extensionElements><zeebe:taskDefinition xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
            f'type="work" retries="{retries}"/></extensionElements>'
        )
    body = [
        '<startEvent id="start"/>',
        f'<serviceTask id="task">{extension}</serviceTask>',
        '<endEvent id="end"/>',
        '<sequenceFlow id="f1" sourceRef="start" targetRef="task"/>',
        '<sequenceFlow id="f2" sourceRef="task" targetRef="end"/>',
    ]
    return _document(process_id, body)
