"""Reading a BPMN ``<definitions>`` tree into process models.

Flow elements are read through a table from BPMN tag to handler (:data:`FLOW_ELEMENTS`), so
supporting another element type is one entry and one handler. Tags in :data:`NOT_SUPPORTED_TAGS` and
tags the table does not know are refused with a cause; the artefacts in :data:`IGNORED` (lanes,
data objects, annotations…) carry no execution semantics and are skipped.

Problems are collected, never raised: each process model carries the causes found while
reading it (``ProcessModel.problems``), and :func:`read_definitions` returns the document-level
causes (duplicate ids, processes without id). :func:`engine.model.parse_definitions` decides what to raise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from engine.errors import ErrorCause
from engine.model.builder import ProcessBuilder
from engine.model.causes import ELEMENT, ID, NOT_SUPPORTED, PROCESS, at_line, process_pointer
from engine.model.dialects import FEEL, document_dialect, language_of
from engine.model.elements import JOB_TASKS, Definitions, Element, ElementType, ProcessModel, SequenceFlow
from engine.model.events import read_event
from engine.model.extensions import (
    read_assignment,
    read_call_variables,
    read_called_element,
    read_headers,
    read_job,
    read_mappings,
    read_retry_cycle,
)
from engine.model.nodes import Node, attribute, boolean, bpmn_children, bpmn_tag, reference, text_of
from engine.model.scripts import ScriptJob, read_script, read_spiff_scripts

Handler = Callable[[ProcessBuilder, Node, str], None]

# Children of processes and activities without execution semantics (or read by their owner).
IGNORED = frozenset(
    {
        "association",
        "auditing",
        "category",
        "correlationSubscription",
        "dataInput",
        "dataInputAssociation",
        "dataObject",
        "dataObjectReference",
        "dataOutput",
        "dataOutputAssociation",
        "dataStoreReference",
        "documentation",
        "extensionElements",
        "group",
        "humanPerformer",
        "incoming",
        "inputSet",
        "ioSpecification",
        "laneSet",
        "monitoring",
        "multiInstanceLoopCharacteristics",
        "outgoing",
        "outputSet",
        "performer",
        "potentialOwner",
        "property",
        "resourceRole",
        "standardLoopCharacteristics",
        "supports",
        "textAnnotation",
    }
)

NOT_SUPPORTED_TAGS: dict[str, str] = {
    "adHocSubProcess": "ad-hoc sub-processes",
    "callChoreography": "choreographies",
    "choreographyTask": "choreographies",
    "complexGateway": "complex gateways",
    "receiveTask": "receive tasks; use an intermediate message catch event instead",
    "subChoreography": "choreographies",
    "transaction": "transaction sub-processes",
}


@dataclass(frozen=True)
class ParsedDefinitions:
    """A document as read: its definitions, each process with its causes, and document causes."""

    definitions: Definitions
    # Every process as read; each carries the problems found while reading it (``problems``).
    processes: tuple[ProcessModel, ...]
    causes: tuple[ErrorCause, ...]


def read_definitions(root: Node) -> ParsedDefinitions:
    """Read every process of a ``<definitions>`` element, collecting all problems."""
    document_causes = duplicate_id_causes(root)
    roots: dict[str, Node] = {}
    for child in root:
        if bpmn_tag(child) is not None and (root_id := attribute(child, "id")) is not None:
            roots.setdefault(root_id, child)
    collaboration = next(iter(bpmn_children(root, "collaboration")), None)
    participants = _participants(collaboration)

    processes: list[ProcessModel] = []
    seen: set[str] = set()
    dialect = document_dialect(root)
    for node in bpmn_children(root, "process"):
        process_id = attribute(node, "id")
        if process_id is None:
            document_causes.append(
                ErrorCause("#", ID, f"a <process> has no id{at_line(node.sourceline)}", value="process")
            )
            continue
        if process_id in seen:
            continue  # reported as a duplicate id
        seen.add(process_id)
        processes.append(read_process(node, roots, participants.get(process_id), dialect=dialect))

    definitions = Definitions(
        id=attribute(root, "id"),
        processes=tuple(processes),
        collaboration_id=attribute(collaboration, "id") if collaboration is not None else None,
    )
    return ParsedDefinitions(definitions, tuple(processes), tuple(document_causes))


def _participants(collaboration: Node | None) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Process id → (collaboration id, participant id, participant name)."""
    if collaboration is None:
        return {}
    collaboration_id = attribute(collaboration, "id")
    found: dict[str, tuple[str | None, str | None, str | None]] = {}
    for participant in bpmn_children(collaboration, "participant"):
        process_ref = reference(participant, "processRef")
        if process_ref is not None:  # a participant without a process is a black-box pool
            found.setdefault(
                process_ref, (collaboration_id, attribute(participant, "id"), participant.get("name") or None)
            )
    return found


def read_process(
    node: Node,
    roots: dict[str, Node],
    participant: tuple[str | None, str | None, str | None] | None = None,
    *,
    dialect: str = FEEL,
) -> ProcessModel:
    """Read one ``<process>`` (which must have an id) with everything inside it.

    ``dialect`` is the document's dialect of bare expressions (:mod:`engine.model.dialects`).
    """
    process_id = attribute(node, "id") or ""
    builder = ProcessBuilder(process_id=process_id, roots=roots, expression_language=dialect)
    executable = boolean(node.get("isExecutable"), default=True)
    if node.get("isExecutable") is None:
        builder.warn(
            process_id,
            f"process {process_id} has no isExecutable attribute; Baton runs it as executable, as "
            f'Camunda 7 and Flowable do (write isExecutable="false" for a diagram only)',
            node.sourceline,
        )
    if executable is None:
        builder.causes.append(
            ErrorCause(
                process_pointer(process_id),
                PROCESS,
                f'process {process_id} has isExecutable "{node.get("isExecutable")}", which is not '
                f"true or false{at_line(node.sourceline)}",
            )
        )
    builder.elements[process_id] = Element(
        id=process_id,
        type=ElementType.PROCESS,
        name=node.get("name") or None,
        is_executable=executable is True,
        line=node.sourceline,
    )
    read_scope(builder, node, process_id)
    collaboration_id, participant_id, participant_name = participant or (None, None, None)
    model = builder.finish(
        name=node.get("name") or None,
        collaboration_id=collaboration_id,
        participant_id=participant_id,
        participant_name=participant_name,
    )
    return model


def read_scope(builder: ProcessBuilder, scope: Node, scope_id: str) -> None:
    """Read the flow elements directly inside a process or sub-process."""
    for child in scope:
        tag = bpmn_tag(child)
        if tag is None or tag in IGNORED:
            continue
        handler = FLOW_ELEMENTS.get(tag)
        element_id = attribute(child, "id")
        if handler is not None:
            handler(builder, child, scope_id)
        elif tag in NOT_SUPPORTED_TAGS and element_id is not None:
            builder.not_yet(child, element_id, f'{tag} "{element_id}"', NOT_SUPPORTED_TAGS[tag], refuse=True)
        else:
            builder.refuse(child, element_id, tag)


def _add_activity(builder: ProcessBuilder, element: Element, node: Node, problems: list[str]) -> None:
    """Add an activity with what every activity can carry (SpiffWorkflow's pre- and post-scripts)."""
    pre_script, post_script = read_spiff_scripts(node, problems)
    if pre_script is not None or post_script is not None:
        element = replace(element, pre_script=pre_script, post_script=post_script)
    builder.add(element, node)
    _activity_problems(builder, element, node, problems)


def _activity_problems(builder: ProcessBuilder, element: Element, node: Node, problems: list[str]) -> None:
    """Report what every activity can get wrong: loops, compensation, extension problems."""
    on = f'on {bpmn_tag(node)} "{element.id}"'
    for characteristics, words in (
        ("multiInstanceLoopCharacteristics", "multi-instance activities"),
        ("standardLoopCharacteristics", "loop activities"),
    ):
        if bpmn_children(node, characteristics):
            builder.not_yet(node, element.id, f"{characteristics} {on}", words, value=characteristics)
    if boolean(node.get("isForCompensation"), default=False):
        builder.not_yet(node, element.id, f'isForCompensation="true" {on}', "compensation activities")
    for problem in problems:
        builder.report(element, ELEMENT, f"is invalid: {problem}")


def read_task(builder: ProcessBuilder, node: Node, parent_id: str, *, element_type: ElementType) -> None:
    """Read a task of any kind: plain, manual, service, send, script, business rule or user."""
    element_id = builder.new_id(node)
    if element_id is None:
        return
    problems: list[str] = []
    job_type, job_retries = read_job(node, problems) if element_type in JOB_TASKS else (None, None)
    headers = read_headers(node, problems)
    script = None
    if element_type is ElementType.SCRIPT_TASK and job_type is None:
        script = read_script(node, builder.expression_language, problems)
        if isinstance(script, ScriptJob):
            job_type, headers, script = script.job_type, headers + script.headers, None
    retry_cycle = read_retry_cycle(node, problems) if element_type in JOB_TASKS else None
    if job_retries is None and retry_cycle is not None:
        job_retries = retry_cycle.retries  # zeebe:taskDefinition retries, when given, win
    inputs, outputs = read_mappings(node, problems)
    element = Element(
        id=element_id,
        type=element_type,
        name=node.get("name") or None,
        parent_id=parent_id,
        job_type=job_type,
        job_retries=job_retries,
        retry_cycle=retry_cycle,
        headers=headers,
        assignment=read_assignment(node) if element_type is ElementType.USER_TASK else None,
        script=script,
        inputs=inputs,
        outputs=outputs,
        line=node.sourceline,
    )
    _add_activity(builder, element, node, problems)


def read_call_activity(builder: ProcessBuilder, node: Node, parent_id: str) -> None:
    """Read a call activity: the called process, a fixed version, variable propagation."""
    element_id = builder.new_id(node)
    if element_id is None:
        return
    problems: list[str] = []
    called_element, called_version, propagate = read_called_element(node, problems)
    inputs, outputs = read_mappings(node, problems)
    element = Element(
        id=element_id,
        type=ElementType.CALL_ACTIVITY,
        name=node.get("name") or None,
        parent_id=parent_id,
        called_element=called_element,
        called_version=called_version,
        propagate_all_child_variables=propagate,
        call_variables=read_call_variables(node, problems),
        inputs=inputs,
        outputs=outputs,
        line=node.sourceline,
    )
    _add_activity(builder, element, node, problems)


def read_sub_process(builder: ProcessBuilder, node: Node, parent_id: str) -> None:
    """Read an embedded sub-process and, unless it is an event sub-process, its contents."""
    element_id = builder.new_id(node)
    if element_id is None:
        return
    problems: list[str] = []
    triggered = boolean(node.get("triggeredByEvent"), default=False)
    if triggered is None:
        problems.append(f'triggeredByEvent "{node.get("triggeredByEvent")}" is not true or false')
    inputs, outputs = read_mappings(node, problems)
    element = Element(
        id=element_id,
        type=ElementType.SUB_PROCESS,
        name=node.get("name") or None,
        parent_id=parent_id,
        triggered_by_event=triggered is True,
        inputs=inputs,
        outputs=outputs,
        line=node.sourceline,
    )
    _add_activity(builder, element, node, problems)
    # An event sub-process is refused by validation; its start events (error, escalation…)
    # have no element type here, so its contents are not read.
    if not element.triggered_by_event:
        read_scope(builder, node, element_id)


def read_gateway(builder: ProcessBuilder, node: Node, parent_id: str, *, element_type: ElementType) -> None:
    """Read a gateway; exclusive and inclusive gateways may name a default flow."""
    element_id = builder.new_id(node)
    if element_id is None:
        return
    has_default = element_type in (ElementType.EXCLUSIVE_GATEWAY, ElementType.INCLUSIVE_GATEWAY)
    element = Element(
        id=element_id,
        type=element_type,
        name=node.get("name") or None,
        parent_id=parent_id,
        default_flow=attribute(node, "default") if has_default else None,
        line=node.sourceline,
    )
    builder.add(element, node)
    if element_type is ElementType.EVENT_BASED_GATEWAY:
        on = f'on eventBasedGateway "{element_id}"'
        if boolean(node.get("instantiate"), default=False):
            builder.not_yet(node, element_id, f'instantiate="true" {on}', "instantiating event-based gateways")
        if (node.get("eventGatewayType") or "Exclusive").strip() != "Exclusive":
            gateway_type = node.get("eventGatewayType")
            builder.not_yet(
                node, element_id, f'eventGatewayType="{gateway_type}" {on}', "parallel event-based gateways"
            )


def read_sequence_flow(builder: ProcessBuilder, node: Node, parent_id: str) -> None:
    """Read a sequence flow and its condition, as written.

    A flow without an id (SpiffWorkflow's test models have them) gets one made of its ends,
    ``<sourceRef>-<targetRef>``, with ``-2``, ``-3``… when that is taken: stable across deploys.
    """
    flow_id = builder.new_id(node) if attribute(node, "id") is not None else _generated_flow_id(builder, node)
    if flow_id is None:
        return
    condition: str | None = None
    language: str | None = None
    for expression in bpmn_children(node, "conditionExpression"):
        condition = text_of(expression) or None
        language = attribute(expression, "language")
    flow = SequenceFlow(
        id=flow_id,
        source_id=(node.get("sourceRef") or "").strip(),
        target_id=(node.get("targetRef") or "").strip(),
        name=node.get("name") or None,
        condition=condition,
        line=node.sourceline,
        language=language_of(language),
    )
    builder.flows[flow_id] = flow
    if language is not None and flow.language is None:
        builder.report_flow(
            flow,
            NOT_SUPPORTED,
            f'has a condition in language "{language}", which is not supported yet; write it in FEEL '
            f'("=amount > 100"), JUEL ("${{amount > 100}}") or Python ("amount > 100" with language="python")',
        )


def _generated_flow_id(builder: ProcessBuilder, node: Node) -> str:
    base = f"{(node.get('sourceRef') or '').strip()}-{(node.get('targetRef') or '').strip()}"
    flow_id, suffix = base, 1
    while flow_id in builder.flows or flow_id in builder.elements or flow_id in builder.roots:
        suffix += 1
        flow_id = f"{base}-{suffix}"
    builder.warn(flow_id, f"a sequence flow has no id; Baton names it {flow_id}", node.sourceline)
    return flow_id


FLOW_ELEMENTS: dict[str, Handler] = {
    "businessRuleTask": partial(read_task, element_type=ElementType.BUSINESS_RULE_TASK),
    "callActivity": read_call_activity,
    "manualTask": partial(read_task, element_type=ElementType.MANUAL_TASK),
    "scriptTask": partial(read_task, element_type=ElementType.SCRIPT_TASK),
    "sendTask": partial(read_task, element_type=ElementType.SEND_TASK),
    "serviceTask": partial(read_task, element_type=ElementType.SERVICE_TASK),
    "task": partial(read_task, element_type=ElementType.TASK),
    "userTask": partial(read_task, element_type=ElementType.USER_TASK),
    "subProcess": read_sub_process,
    "eventBasedGateway": partial(read_gateway, element_type=ElementType.EVENT_BASED_GATEWAY),
    "exclusiveGateway": partial(read_gateway, element_type=ElementType.EXCLUSIVE_GATEWAY),
    "inclusiveGateway": partial(read_gateway, element_type=ElementType.INCLUSIVE_GATEWAY),
    "parallelGateway": partial(read_gateway, element_type=ElementType.PARALLEL_GATEWAY),
    "boundaryEvent": read_event,
    "endEvent": read_event,
    "intermediateCatchEvent": read_event,
    "intermediateThrowEvent": read_event,
    "startEvent": read_event,
    "sequenceFlow": read_sequence_flow,
}


def duplicate_id_causes(root: Node) -> list[ErrorCause]:
    """One cause for every BPMN element whose id an earlier element of the document already has."""
    first: dict[str, tuple[str, int | None]] = {}
    found: list[ErrorCause] = []
    for top in root:
        top_tag = bpmn_tag(top)
        if top_tag is None:
            continue
        owner = attribute(top, "id") if top_tag == "process" else None
        for node in top.iter():
            tag = bpmn_tag(node)
            element_id = attribute(node, "id") if tag is not None else None
            if tag is None or element_id is None:
                continue
            if element_id not in first:
                first[element_id] = (tag, node.sourceline)
                continue
            first_tag, first_line = first[element_id]
            pointer = f"#/{owner}/{element_id}" if owner and node is not top else f"#/{element_id}"
            found.append(
                ErrorCause(
                    pointer,
                    ID,
                    f"id {element_id} is used by more than one element: {first_tag}{at_line(first_line)} "
                    f"and {tag}{at_line(node.sourceline)}; ids must be unique in a document",
                    value=element_id,
                )
            )
    return found
