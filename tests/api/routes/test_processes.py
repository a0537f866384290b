"""The native API for processes and elements, over HTTP (Flask test client, real database)."""

from __future__ import annotations

import pytest

from tests.conftest import CONFORMANCE, HOSTILE_EXPRESSIONS, conformance_xml

# Start events whose name or timer the model leaves open need a definition at deployment.
DEFINITIONS = {
    "event/message-start.bpmn": {"messages": [{"bpmnElementId": "messageStartEvent", "messageName": "m"}]},
    "event/message-start.v2.bpmn": {"messages": [{"bpmnElementId": "messageStartEvent", "messageName": "m"}]},
    "event/message-start-multiple.bpmn": {
        "messages": [
            {"bpmnElementId": "messageStartEventA", "messageName": "a"},
            {"bpmnElementId": "messageStartEventB", "messageName": "b"},
        ]
    },
    "event/signal-start.bpmn": {"signals": [{"bpmnElementId": "signalStartEvent", "signalName": "s"}]},
    "event/signal-start.v2.bpmn": {"signals": [{"bpmnElementId": "signalStartEvent", "signalName": "s"}]},
    "event/signal-start-multiple.bpmn": {
        "signals": [
            {"bpmnElementId": "signalStartEventA", "signalName": "a"},
            {"bpmnElementId": "signalStartEventB", "signalName": "b"},
        ]
    },
    "event/timer-start.bpmn": {"timers": [{"bpmnElementId": "timerStartEvent", "timer": {"timeCycle": "0 * * * *"}}]},
    "event/timer-start.v2.bpmn": {
        "timers": [
            {"bpmnElementId": "timerStartEvent1", "timer": {"timeCycle": "0 * * * *"}},
            {"bpmnElementId": "timerStartEvent2", "timer": {"timeCycle": "0 * * * *"}},
        ]
    },
}


def deploy(client, xml, process_id, version="1", **extra):
    return client.post(
        "/processes",
        json={"bpmnProcessId": process_id, "bpmnXml": xml, "version": version, "workerId": "tests", **extra},
    )


def executable_processes(xml: str) -> list[str]:
    from engine.model import parse_definitions

    return [p.id for p in parse_definitions(xml).processes if p.process.is_executable]


VALID = sorted(
    str(path.relative_to(CONFORMANCE))
    for path in CONFORMANCE.rglob("*.bpmn")
    if "invalid" not in path.parts and path.name != "signal-throw-definition.bpmn"
)


@pytest.mark.parametrize("model", VALID)
def test_every_valid_conformance_model_deploys_over_http(client, model):
    xml = conformance_xml(model)
    for process_id in executable_processes(xml):
        response = deploy(client, xml, process_id, **DEFINITIONS.get(model, {}))
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["bpmnProcessId"] == process_id and body["version"] == "1"


INVALID = {
    "invalid/event-based-gateway-one.bpmn": ("eventBasedGatewayOneTest", "eventBasedGateway"),
    "invalid/none-start-event-multiple.bpmn": ("noneStartEventMultipleTest", "noneStartEventMultipleTest"),
    "invalid/process-not-executable.bpmn": ("processNotExecutableTest", "processNotExecutableTest"),
    "invalid/unknown-boundary-event.bpmn": ("unknownBoundaryEventTest", "unknownBoundaryEvent"),
    "invalid/unknown-catch-event.bpmn": ("unknownCatchEventTest", "unknownCatchEvent"),
    "invalid/unknown-element.bpmn": ("unknownElementTest", "unknownElement"),
}


@pytest.mark.parametrize(("model", "expected"), sorted(INVALID.items()))
def test_every_invalid_conformance_model_is_refused_naming_the_element(client, model, expected):
    process_id, element_id = expected
    response = deploy(client, conformance_xml(model), process_id)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "PROCESS_MODEL"
    assert any(element_id in e["detail"] and e["pointer"].endswith(element_id) for e in problem["errors"]), problem


def test_the_inclusive_join_model_that_go_bpmn_refuses_deploys(client):
    response = deploy(client, conformance_xml("invalid/inclusive-gateway-join.bpmn"), "inclusiveGatewayJoinTest")
    assert response.status_code == 201


def test_xml_that_is_not_well_formed_is_a_400_naming_line_and_column(client):
    response = deploy(client, conformance_xml("event/signal-throw-definition.bpmn"), "signalThrowDefinitionTest")
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["type"] == "PROCESS_MODEL"
    assert "line 17" in problem["detail"] and "column" in problem["detail"]


def test_a_start_event_without_its_definition_is_refused_naming_it(client):
    response = deploy(client, conformance_xml("event/timer-start.bpmn"), "timerStartTest")
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["type"] == "VALIDATION"
    assert problem["errors"][0]["pointer"] == "#/timerStartTest/timerStartEvent"


def test_definitions_must_name_an_element_of_the_right_kind(client):
    response = deploy(
        client,
        conformance_xml("task/service.bpmn"),
        "serviceTest",
        messages=[{"bpmnElementId": "serviceTask", "messageName": "x"}, {"bpmnElementId": "nope", "messageName": "y"}],
    )
    assert response.status_code == 400
    pointers = [e["pointer"] for e in response.get_json()["errors"]]
    assert pointers == ["#/messages/0/bpmnElementId", "#/messages/1/bpmnElementId"]


def test_redeploying_identical_xml_returns_the_existing_process_and_different_xml_conflicts(client):
    xml = conformance_xml("task/service.bpmn")
    first = deploy(client, xml, "serviceTest")
    again = deploy(client, xml, "serviceTest")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    changed = deploy(client, xml.replace('serviceTask"', 'serviceTask2"'), "serviceTest")
    assert changed.status_code == 409
    assert changed.get_json()["type"] == "CONFLICT"
    assert deploy(client, xml, "serviceTest", version="2").status_code == 201


def test_unknown_bpmn_process_id_is_a_problem(client):
    response = deploy(client, conformance_xml("task/service.bpmn"), "other")
    assert response.status_code == 422
    assert "serviceTest" in response.get_json()["detail"]


def test_process_query_bpmn_xml_and_elements(client):
    xml = conformance_xml("gateway/parallel-service-tasks.bpmn")
    created = deploy(
        client, xml, "parallelServiceTasksTest", parallelism=5, tags=[{"name": "team", "value": "orders"}]
    ).get_json()
    assert created["parallelism"] == 5 and created["tags"] == [{"name": "team", "value": "orders"}]
    deploy(client, conformance_xml("task/service.bpmn"), "serviceTest")

    by_tag = client.post("/processes/query", json={"tags": [{"name": "team", "value": "orders"}]}).get_json()
    assert [p["id"] for p in by_tag["results"]] == [created["id"]]
    assert client.post("/processes/query?limit=1", json={}).get_json()["count"] == 1
    assert client.post("/processes/query?offset=1", json={}).get_json()["count"] == 1

    response = client.get(f"/processes/{created['id']}/bpmn-xml")
    assert response.status_code == 200 and response.mimetype == "text/xml" and response.get_data(as_text=True) == xml

    elements = client.post("/elements/query", json={"processId": created["id"]}).get_json()
    assert [e["bpmnElementId"] for e in elements["results"]][:3] == ["parallelServiceTasksTest", "startEvent", "fork"]
    assert elements["results"][0]["bpmnElementType"] == "PROCESS"
    one = client.post("/elements/query", json={"bpmnElementId": "join"}).get_json()
    assert one["count"] == 1 and one["results"][0]["bpmnElementType"] == "PARALLEL_GATEWAY"


def test_unknown_process_is_404(client):
    for path in ("/processes/999/bpmn-xml", "/processes/99999999999/bpmn-xml"):
        response = client.get(path)
        assert response.status_code == 404 and response.get_json()["type"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"bpmnXml": "x", "version": "1", "workerId": "w"}, "#/bpmnProcessId"),
        ({"bpmnProcessId": "", "bpmnXml": "x", "version": "1", "workerId": "w"}, "#/bpmnProcessId"),
        ({"bpmnProcessId": "p", "bpmnXml": "x", "version": "1", "workerId": "w", "parallelism": -1}, "#/parallelism"),
        ({"bpmnProcessId": "p", "bpmnXml": "x", "version": "1", "workerId": "w", "extra": 1}, "#/extra"),
        ({"bpmnProcessId": "p", "bpmnXml": "x", "version": "1", "workerId": "w", "tags": "x"}, "#/tags"),
        (
            {
                "bpmnProcessId": "p",
                "bpmnXml": "x",
                "version": "1",
                "workerId": "w",
                "timers": [{"bpmnElementId": "t", "timer": {"timeDuration": 5}}],
            },
            "#/timers/0/timer/timeDuration",
        ),
    ],
)
def test_bad_deploy_requests_are_400_with_a_pointer(client, body, pointer):
    response = client.post("/processes", json=body)
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["type"] == "HTTP_REQUEST_BODY"
    assert pointer in [e["pointer"] for e in problem["errors"]]


def test_hostile_xml_is_refused_and_nothing_is_stored(client):
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<definitions><process id="p" isExecutable="true"><startEvent id="s" name="&x;"/></process></definitions>'
    )
    response = deploy(client, xxe, "p")
    assert response.status_code == 400 and "root:" not in response.get_data(as_text=True)
    assert client.post("/processes/query", json={}).get_json()["count"] == 0


def gateway_model(condition: str, timer: str = "PT1M") -> str:
    """A process ``g1`` whose exclusive gateway has one conditional flow, then a timer."""
    return f"""<definitions id="d" xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <process id="g1" isExecutable="true">
    <startEvent id="s"/><exclusiveGateway id="g" default="other"/><endEvent id="no"/>
    <intermediateCatchEvent id="wait"><timerEventDefinition><timeDuration><![CDATA[{timer}]]></timeDuration>
    </timerEventDefinition></intermediateCatchEvent><endEvent id="yes"/>
    <sequenceFlow id="f0" sourceRef="s" targetRef="g"/>
    <sequenceFlow id="taken" sourceRef="g" targetRef="wait">
      <conditionExpression><![CDATA[{condition}]]></conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="f1" sourceRef="wait" targetRef="yes"/>
    <sequenceFlow id="other" sourceRef="g" targetRef="no"/>
  </process>
</definitions>"""


@pytest.mark.parametrize("name", sorted(HOSTILE_EXPRESSIONS))
def test_an_expression_that_does_not_compile_is_refused_at_deploy_naming_the_element(client, name):
    hostile = HOSTILE_EXPRESSIONS[name]
    for xml, element_id, attribute_name in (
        (gateway_model(hostile), "taken", "conditionExpression"),
        (gateway_model("=amount > 100", timer=hostile), "wait", "timeDuration"),
    ):
        response = deploy(client, xml, "g1")
        assert response.status_code == 422, (name, response.get_json())
        problem = response.get_json()
        assert problem["type"] == "PROCESS_MODEL"
        [cause] = problem["errors"]
        assert cause["pointer"] == f"#/g1/{element_id}" and cause["type"] == "expression"
        assert f"{element_id} " in cause["detail"] and f"has an invalid {attribute_name}" in cause["detail"]
    assert client.post("/processes/query", json={}).get_json()["count"] == 0


def test_valid_expressions_and_literal_values_deploy(client):
    for version, (condition, timer) in enumerate(
        [("=amount > 100", "PT1M"), ("${amount > 100}", '="PT" + string(seconds) + "S"'), ("amount > 100", "${d}")]
    ):
        response = deploy(client, gateway_model(condition, timer), "g1", version=str(version))
        assert response.status_code == 201, response.get_json()


def test_a_timer_expression_given_at_deploy_must_compile(client):
    xml = conformance_xml("event/timer-start.bpmn")
    timer = [{"bpmnElementId": "timerStartEvent", "timer": {"timeDuration": "=(lambda: 1)()"}}]
    response = deploy(client, xml, "timerStartTest", timers=timer)
    assert response.status_code == 400
    cause = response.get_json()["errors"][0]  # then: the start event has no timer
    assert cause["pointer"] == "#/timers/0/timer" and cause["detail"].startswith("timeDuration: expected ')'")


def test_a_timer_start_event_needs_a_literal_timer(client):
    xml = conformance_xml("event/timer-start.bpmn")
    timer = [{"bpmnElementId": "timerStartEvent", "timer": {"timeDuration": "=seconds"}}]
    response = deploy(client, xml, "timerStartTest", timers=timer)
    assert response.status_code == 400
    [cause] = response.get_json()["errors"]
    assert cause["pointer"] == "#/timerStartTest/timerStartEvent" and "not an expression" in cause["detail"]


def test_body_over_the_limit_is_413(app, api_key):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = app.test_client().post(
        "/processes/query",
        data="{" + " " * 2000 + "}",
        content_type="application/json",
        headers={"Authorization": api_key},
    )
    assert response.status_code == 413
    assert response.get_json()["status"] == 413


def test_requests_without_a_valid_key_are_401(app, api_key):
    raw = app.test_client()
    assert raw.post("/processes/query", json={}).status_code == 401
    assert raw.post("/processes/query", json={}, headers={"Authorization": "nope"}).status_code == 401
    assert raw.post("/processes/query", json={}, headers={"Authorization": f"Bearer {api_key}"}).status_code == 200
    assert raw.get("/readiness").status_code == 200
    assert raw.get("/openapi.json").status_code == 200


def test_a_revoked_key_stops_working(app, db, api_key):
    from api import auth
    from engine.commands.api_keys import revoke_api_key

    db.run(revoke_api_key, "tests")
    auth._cache._entries.clear()
    assert app.test_client().post("/processes/query", json={}, headers={"Authorization": api_key}).status_code == 401


def test_openapi_document_is_generated_from_the_schemas(client):
    spec = client.get("/openapi.json").get_json()
    schema = spec["components"]["schemas"]["CreateProcess"]
    assert {"bpmnProcessId", "bpmnXml", "version", "workerId"} <= set(schema["required"])
    assert "/jobs/{partition}/{id}/complete" in spec["paths"]
    assert client.get("/docs").status_code == 200
    assert client.get("/docs/static/swagger-ui-bundle.js").status_code == 200


# --- models from other engines: warnings and dry runs ------------------------------------------

LENIENT = (
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"><process id="lenient">'
    '<startEvent id="s"/><sequenceFlow sourceRef="s" targetRef="e"/><endEvent id="e"/></process></definitions>'
)


def test_deploy_answers_what_it_read_leniently_as_warnings(client):
    response = deploy(client, LENIENT, "lenient")
    assert response.status_code == 201, response.json
    assert [(w["pointer"], w["type"]) for w in response.json["warnings"]] == [
        ("#/lenient", "leniency"),
        ("#/lenient/s-e", "leniency"),
    ]
    assert "runs it as executable" in response.json["warnings"][0]["detail"]
    listed = client.post("/processes/query", json={}).json["results"]
    assert all("warnings" not in process for process in listed)


def test_dry_run_lists_causes_and_warnings_and_deploys_nothing(client):
    xml = LENIENT.replace('<endEvent id="e"/>', '<endEvent id="e"/><receiveTask id="r"/><fancyTask id="x"/>')
    response = client.post(
        "/processes?dryRun=true",
        json={"bpmnProcessId": "lenient", "bpmnXml": xml, "version": "1", "workerId": "tests"},
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["bpmnProcessId"], body["executable"], body["valid"]) == ("lenient", True, False)
    assert [cause["pointer"] for cause in body["causes"]] == ["#/lenient/r", "#/lenient/x"]
    assert len(body["warnings"]) == 2
    assert client.post("/processes/query", json={}).json["results"] == []


def test_dry_run_of_a_valid_process_says_so(client):
    response = client.post(
        "/processes?dryRun=true",
        json={"bpmnProcessId": "lenient", "bpmnXml": LENIENT, "version": "1", "workerId": "tests"},
    )
    assert response.status_code == 200
    assert (response.json["valid"], response.json["causes"]) == (True, [])
    assert client.post("/processes/query", json={}).json["results"] == []


def test_dry_run_of_unreadable_xml_is_the_usual_problem(client):
    response = client.post(
        "/processes?dryRun=true",
        json={"bpmnProcessId": "p", "bpmnXml": "<definitions", "version": "1", "workerId": "tests"},
    )
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
