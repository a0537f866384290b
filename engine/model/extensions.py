"""What Baton reads from the Zeebe (Camunda 8), Camunda 7 and Flowable extensions, and from
standard BPMN (semantics in docs/bpmn.md, "Camunda 7 retries, call variables and async flags").

Zeebe (``http://camunda.org/schema/zeebe/1.0``), inside ``<extensionElements>``:

- ``zeebe:taskDefinition type retries`` → job type and retries (retries kept only when a plain
  integer; a ``=`` expression leaves them unset);
- ``zeebe:taskHeaders/zeebe:header key value`` → headers;
- ``zeebe:ioMapping/zeebe:input|zeebe:output source target`` → input and output mappings;
- ``zeebe:assignmentDefinition assignee candidateUsers candidateGroups``,
  ``zeebe:taskSchedule dueDate followUpDate``, ``zeebe:priorityDefinition priority`` → user task
  assignment;
- ``zeebe:calledElement processId propagateAllChildVariables bindingType`` → call activity;
- ``zeebe:subscription correlationKey`` inside a ``<message>`` → message correlation key.

Camunda 7 (``http://camunda.org/schema/1.0/bpmn``):

- attributes ``camunda:type="external" camunda:topic`` → job type;
- ``camunda:properties/camunda:property name value`` → headers (after the Zeebe headers);
- ``camunda:inputOutput/camunda:inputParameter|camunda:outputParameter name`` with a text value
  → mappings: a text value is a constant string, a whole ``${…}`` an expression, a text mixing
  both a string template; ``camunda:list`` and ``camunda:map`` (nested, values of each kind) are
  lists and objects; a ``camunda:script`` value is refused (a cause naming it);
- attributes ``camunda:assignee candidateUsers candidateGroups dueDate followUpDate priority``;
- attributes ``camunda:calledElementBinding`` (``latest`` or ``version``) and
  ``camunda:calledElementVersion`` → the called version;
- ``camunda:failedJobRetryTimeCycle`` (text ``R5/PT10M`` or ``PT1M,PT5M``) on job tasks → the
  retry cycle (:mod:`engine.model.retry_cycles`): ``Rn`` is n runs, so n-1 retries, a list one
  retry per item; it sets the job retries unless ``zeebe:taskDefinition retries`` does;
- ``camunda:in``/``camunda:out source sourceExpression target variables="all" local``, and
  ``businessKey`` on ``camunda:in`` → the call activity's variable passing; with any of them the
  call activity passes only what they name (``engine.runtime.call_variables``);
  ``#{execution.processBusinessKey}`` is the caller's own key;
- attributes ``camunda:asyncBefore`` (or ``camunda:async``) and ``camunda:asyncAfter`` on every
  flow element (read by the builder) → the element's asynchronous continuations.

Flowable (``http://flowable.org/bpmn``): ``flowable:failedJobRetryTimeCycle``,
``flowable:in``/``flowable:out`` and ``flowable:async`` (asyncBefore), read as the Camunda 7 ones.

Standard BPMN: ``humanPerformer`` → assignee; ``potentialOwner`` → candidates, each item of the
comma-separated ``formalExpression`` being ``user(x)``, ``group(x)``, or, as in Camunda 7, a plain
group id; ``calledElement`` → called element (go-bpmn's ``processId:version`` kept as written).

For a user task, each assignment field is taken from Zeebe, else Camunda 7, else standard BPMN.
Comma-separated lists are split and stripped; a value that is a FEEL expression (``=…``) stays
one item, and commas inside ``${…}`` brackets do not split.

Script tasks (``zeebe:script``, ``<script>``, ``camunda:resource``, ``camunda:resultVariable``)
and SpiffWorkflow's ``preScript``/``postScript`` are read by :mod:`engine.model.scripts`.

Not read: Java delegates (``camunda:class``, ``camunda:expression``,
``camunda:delegateExpression``), connectors, listeners, forms, ``zeebe:calledDecision``,
``camunda:exclusive``, ``flowable:asyncLeave``, retry cycles on elements other than job tasks.
"""

from __future__ import annotations

import re

from engine.model.elements import Assignment, CallVariable, CallVariables, Mapping_, Parameter, RetryCycle
from engine.model.nodes import (
    CAMUNDA,
    FLOWABLE,
    ZEEBE,
    Node,
    attribute,
    boolean,
    bpmn_children,
    extensions,
    first_extension,
    qualified,
    text_of,
)
from engine.model.retry_cycles import RetryCycleError, parse_retry_cycle

Problems = list[str]


def read_job(node: Node, problems: Problems) -> tuple[str | None, int | None]:
    """The job type and retries of a service-like task."""
    job_type: str | None = None
    retries: int | None = None
    definition = first_extension(node, ZEEBE, "taskDefinition")
    if definition is not None:
        job_type = attribute(definition, "type")
        retries = _retries(attribute(definition, "retries"), problems)
        if job_type is None:
            problems.append("zeebe:taskDefinition has no type")
    if job_type is None and node.get(qualified(CAMUNDA, "type")) == "external":
        job_type = attribute(node, qualified(CAMUNDA, "topic"))
        if job_type is None:
            problems.append('camunda:type="external" needs a camunda:topic')
    return job_type, retries


def _retries(value: str | None, problems: Problems) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if text.isdigit() and text.isascii():
        return int(text)
    if not text.startswith("="):
        problems.append(
            f'zeebe:taskDefinition retries "{value}" is neither a non-negative integer nor '
            f'an expression starting with "="'
        )
    return None


def read_retry_cycle(node: Node, problems: Problems) -> RetryCycle | None:
    """The failed-job retry cycle of a service-like task (Camunda 7, then Flowable)."""
    for namespace, prefix in ((CAMUNDA, "camunda"), (FLOWABLE, "flowable")):
        found = extensions(node, namespace, "failedJobRetryTimeCycle")
        if not found:
            continue
        if len(found) > 1:
            problems.append(f"{prefix}:failedJobRetryTimeCycle is given {len(found)} times")
            return None
        text = text_of(found[0])
        if not text:
            return None  # an empty cycle configures nothing, as in Camunda 7
        try:
            return parse_retry_cycle(text)
        except RetryCycleError as exc:
            problems.append(f'{prefix}:failedJobRetryTimeCycle "{text}" {exc}')
            return None
    return None


def read_async(node: Node, problems: Problems) -> tuple[bool, bool]:
    """``(asyncBefore, asyncAfter)`` of a flow element: ``camunda:asyncBefore`` or its older name
    ``camunda:async``, ``flowable:async``; ``camunda:asyncAfter``."""
    flags: list[bool] = []
    for names in (
        (("camunda", CAMUNDA, "asyncBefore"), ("camunda", CAMUNDA, "async"), ("flowable", FLOWABLE, "async")),
        (("camunda", CAMUNDA, "asyncAfter"),),
    ):
        flag = False
        for prefix, namespace, name in names:
            value = boolean(node.get(qualified(namespace, name)), default=False)
            if value is None:
                problems.append(f'{prefix}:{name} "{node.get(qualified(namespace, name))}" is not true or false')
            flag = flag or value is True
        flags.append(flag)
    return flags[0], flags[1]


def read_headers(node: Node, problems: Problems) -> tuple[tuple[str, str], ...]:
    """Task headers: Zeebe task headers, then Camunda 7 properties."""
    headers: list[tuple[str, str]] = []
    for container in extensions(node, ZEEBE, "taskHeaders"):
        for header in container:
            if header.tag != qualified(ZEEBE, "header"):
                continue
            key = attribute(header, "key")
            if key is None:
                problems.append("a zeebe:header has no key")
                continue
            headers.append((key, header.get("value", "")))
    for container in extensions(node, CAMUNDA, "properties"):
        for prop in container:
            if prop.tag != qualified(CAMUNDA, "property"):
                continue
            name = attribute(prop, "name")
            if name is None:
                problems.append("a camunda:property has no name")
                continue
            headers.append((name, prop.get("value", "")))
    return tuple(headers)


def read_mappings(node: Node, problems: Problems) -> tuple[tuple[Mapping_, ...], tuple[Mapping_, ...]]:
    """Input and output mappings: Zeebe ``ioMapping``, then Camunda 7 ``inputOutput``."""
    inputs: list[Mapping_] = []
    outputs: list[Mapping_] = []
    for container in extensions(node, ZEEBE, "ioMapping"):
        for mapping in container:
            into = {qualified(ZEEBE, "input"): inputs, qualified(ZEEBE, "output"): outputs}.get(mapping.tag)
            if into is None:
                continue
            source, target = attribute(mapping, "source"), attribute(mapping, "target")
            kind = mapping.tag.rpartition("}")[2]
            if source is None or target is None:
                problems.append(f"a zeebe:{kind} mapping has no source or no target")
                continue
            into.append(Mapping_(source=source, target=target))
    for container in extensions(node, CAMUNDA, "inputOutput"):
        for parameter in container:
            kind = parameter.tag.rpartition("}")[2] if isinstance(parameter.tag, str) else ""
            into = {"inputParameter": inputs, "outputParameter": outputs}.get(kind)
            if into is None or parameter.tag != qualified(CAMUNDA, kind):
                continue
            name = attribute(parameter, "name")
            if name is None:
                problems.append(f"a camunda:{kind} has no name")
                continue
            value = _parameter(parameter, f"camunda:{kind} {name}", problems)
            if value is not None:
                into.append(Mapping_(source=value.text if value.kind == "text" else "", target=name, value=value))
    return tuple(inputs), tuple(outputs)


def _parameter(node: Node, where: str, problems: Problems) -> Parameter | None:
    """The value of a Camunda 7 parameter, ``camunda:value`` or map entry: its text, or one
    nested ``camunda:list``/``camunda:map``; a ``camunda:script`` (or anything else) is a problem."""
    nested = [child for child in node if isinstance(child.tag, str)]
    if not nested:
        return Parameter("text", text_of(node) or "")
    if len(nested) > 1:
        problems.append(f"{where} holds more than one value")
        return None
    return _nested(nested[0], where, problems)


def _nested(node: Node, where: str, problems: Problems) -> Parameter | None:
    if node.tag == qualified(CAMUNDA, "list"):
        items: list[tuple[str | None, Parameter]] = []
        for index, item in enumerate(c for c in node if isinstance(c.tag, str)):
            at = f"{where}[{index}]"
            value = (
                _parameter(item, at, problems)
                if item.tag == qualified(CAMUNDA, "value")
                else _nested(item, at, problems)
            )
            if value is None:
                return None
            items.append((None, value))
        return Parameter("list", items=tuple(items))
    if node.tag == qualified(CAMUNDA, "map"):
        entries: list[tuple[str | None, Parameter]] = []
        for entry in (c for c in node if isinstance(c.tag, str)):
            key = attribute(entry, "key") if entry.tag == qualified(CAMUNDA, "entry") else None
            if key is None:
                problems.append(f"{where}: a camunda:map holds an entry without a key")
                return None
            value = _parameter(entry, f"{where}[{key}]", problems)
            if value is None:
                return None
            entries.append((key, value))
        return Parameter("map", items=tuple(entries))
    if node.tag == qualified(CAMUNDA, "script"):
        language = node.get("scriptFormat") or "no scriptFormat"
        problems.append(
            f"{where} is a camunda:script ({language}), which Baton does not run; write the value as an "
            f"expression (${{...}}) or compute it in a worker"
        )
        return None
    problems.append(f"{where} holds {_local(node)}, which is not a value Baton reads")
    return None


def _local(node: Node) -> str:
    namespace, _, local = node.tag.rpartition("}")
    return f"camunda:{local}" if namespace.lstrip("{") == CAMUNDA else local


def read_assignment(node: Node) -> Assignment | None:
    """Who should work a user task; None when the model says nothing about it."""
    zeebe = _zeebe_assignment(node)
    camunda = _camunda_assignment(node)
    standard = _standard_assignment(node)
    assignment = Assignment(
        assignee=zeebe.assignee or camunda.assignee or standard.assignee,
        candidate_users=zeebe.candidate_users or camunda.candidate_users or standard.candidate_users,
        candidate_groups=zeebe.candidate_groups or camunda.candidate_groups or standard.candidate_groups,
        due_date=zeebe.due_date or camunda.due_date,
        follow_up_date=zeebe.follow_up_date or camunda.follow_up_date,
        priority=zeebe.priority or camunda.priority,
    )
    return None if assignment == Assignment() else assignment


def _zeebe_assignment(node: Node) -> Assignment:
    definition = first_extension(node, ZEEBE, "assignmentDefinition")
    schedule = first_extension(node, ZEEBE, "taskSchedule")
    priority = first_extension(node, ZEEBE, "priorityDefinition")
    return Assignment(
        assignee=_stripped(definition, "assignee"),
        candidate_users=split_list(_stripped(definition, "candidateUsers")),
        candidate_groups=split_list(_stripped(definition, "candidateGroups")),
        due_date=_stripped(schedule, "dueDate"),
        follow_up_date=_stripped(schedule, "followUpDate"),
        priority=_stripped(priority, "priority"),
    )


def _camunda_assignment(node: Node) -> Assignment:
    def value(name: str) -> str | None:
        return _stripped(node, qualified(CAMUNDA, name))

    return Assignment(
        assignee=value("assignee"),
        candidate_users=split_list(value("candidateUsers")),
        candidate_groups=split_list(value("candidateGroups")),
        due_date=value("dueDate"),
        follow_up_date=value("followUpDate"),
        priority=value("priority"),
    )


def _standard_assignment(node: Node) -> Assignment:
    assignee = next(iter(_formal_expressions(node, "humanPerformer")), None) or None
    users: list[str] = []
    groups: list[str] = []
    for expression in _formal_expressions(node, "potentialOwner"):
        for item in split_list(expression):
            if item.startswith("user(") and item.endswith(")"):
                users.append(item[5:-1].strip())
            elif item.startswith("group(") and item.endswith(")"):
                groups.append(item[6:-1].strip())
            else:
                groups.append(item)  # Camunda 7 reads a plain id as a group
    return Assignment(
        assignee=assignee,
        candidate_users=tuple(user for user in users if user),
        candidate_groups=tuple(group for group in groups if group),
    )


def _formal_expressions(node: Node, role: str) -> list[str]:
    return [
        text
        for performer in bpmn_children(node, role)
        for assignment in bpmn_children(performer, "resourceAssignmentExpression")
        for expression in bpmn_children(assignment, "formalExpression")
        if (text := text_of(expression))
    ]


def split_list(value: str | None) -> tuple[str, ...]:
    """Split a comma-separated list, keeping FEEL expressions and ``${…}`` brackets whole."""
    if value is None:
        return ()
    text = value.strip()
    if text.startswith("="):
        return (text,)
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "{([":
            depth += 1
        elif char in "})]":
            depth = max(depth - 1, 0)
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return tuple(item.strip() for item in items if item.strip())


def read_called_element(node: Node, problems: Problems) -> tuple[str | None, str | None, bool]:
    """A call activity's called element, fixed version (None = latest) and variable propagation."""
    called_element = attribute(node, "calledElement")
    called_version: str | None = None
    propagate = True
    zeebe = first_extension(node, ZEEBE, "calledElement")
    if zeebe is not None:
        called_element = attribute(zeebe, "processId") or called_element
        flag = boolean(zeebe.get("propagateAllChildVariables"), default=True)
        if flag is None:
            problems.append("zeebe:calledElement propagateAllChildVariables is not true or false")
        propagate = flag is not False
        binding = (zeebe.get("bindingType") or "latest").strip()
        if binding != "latest":
            problems.append(
                f'zeebe:calledElement bindingType "{binding}" is not supported; '
                f'Baton calls the latest version, or the version given as "processId:version"'
            )
    binding = (node.get(qualified(CAMUNDA, "calledElementBinding")) or "latest").strip()
    if binding == "version":
        called_version = _stripped(node, qualified(CAMUNDA, "calledElementVersion"))
        if called_version is None:
            problems.append('camunda:calledElementBinding="version" needs a camunda:calledElementVersion')
    elif binding != "latest":
        problems.append(f'camunda:calledElementBinding "{binding}" is not supported; use "latest" or "version"')
    return called_element, called_version, propagate


# The caller's business key, as Camunda 7 models pass it on: Baton's correlation key.
_CALLER_BUSINESS_KEY = re.compile(r"^[$#]\{\s*execution\s*\.\s*(processBusinessKey|getProcessBusinessKey\(\s*\))\s*\}$")


def read_call_variables(node: Node, problems: Problems) -> CallVariables | None:
    """``camunda:in``/``camunda:out`` (or Flowable's) of a call activity; None when it has none."""
    ins: list[CallVariable] = []
    outs: list[CallVariable] = []
    business_keys: list[str] = []
    found = False
    for namespace, prefix in ((CAMUNDA, "camunda"), (FLOWABLE, "flowable")):
        for direction, into in (("in", ins), ("out", outs)):
            for item in extensions(node, namespace, direction):
                found = True
                where = f"{prefix}:{direction}"
                key = attribute(item, "businessKey")
                if direction == "in" and key is not None:
                    business_keys.append(key.strip())
                    if not any(item.get(name) for name in ("source", "sourceExpression", "variables")):
                        continue  # a camunda:in that passes only the business key
                variable = _call_variable(item, where, problems)
                if variable is not None:
                    into.append(variable)
    if not found:
        return None
    if len(business_keys) > 1:
        problems.append(f"{len(business_keys)} camunda:in elements give a businessKey; give it once")
    key = business_keys[0] if business_keys else None
    from_caller = key is not None and _CALLER_BUSINESS_KEY.match(key) is not None
    return CallVariables(
        ins=tuple(ins),
        outs=tuple(outs),
        business_key=None if from_caller else key,
        business_key_from_caller=from_caller,
    )


def _call_variable(item: Node, where: str, problems: Problems) -> CallVariable | None:
    source, expression = attribute(item, "source"), attribute(item, "sourceExpression")
    target, variables = attribute(item, "target"), attribute(item, "variables")
    local = boolean(item.get("local"), default=False)
    if local is None:
        problems.append(f'{where} local "{item.get("local")}" is not true or false')
        return None
    if variables is not None:
        if variables.strip() != "all":
            problems.append(f'{where} variables "{variables}" is not "all"')
            return None
        if source or expression:
            problems.append(f'{where} gives variables="all" together with a source; give one of them')
            return None
        return CallVariable(all=True, local=local)
    if (source is None) == (expression is None):
        problems.append(f'{where} needs exactly one of source, sourceExpression and variables="all"')
        return None
    if target is None:
        given = "source" if source else "sourceExpression"
        problems.append(f'{where} with {given} "{source or expression}" has no target')
        return None
    return CallVariable(
        target=target.strip(),
        source=source.strip() if source else None,
        source_expression=expression.strip() if expression else None,
        local=local,
    )


def read_correlation_key(message: Node) -> str | None:
    """The correlation key expression of a ``<message>`` (``zeebe:subscription``)."""
    return _stripped(first_extension(message, ZEEBE, "subscription"), "correlationKey")


def _stripped(node: Node | None, name: str) -> str | None:
    if node is None:
        return None
    value = attribute(node, name)
    return value.strip() if value is not None else None
