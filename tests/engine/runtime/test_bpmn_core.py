"""Scenario tests of the core BPMN semantics over the real database.

Expectations for the go-bpmn models follow go-bpmn's own tests (engine/test/bpmn_*_test.go).
"""

from __future__ import annotations

import pytest

from tests.conftest import MODELS, conformance_xml


def ids(instance, states=()):
    return [ei.bpmn_element_id for ei in instance.element_instances(states)]


# --- tasks -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "process_id", "task"),
    [
        ("task/business-rule.bpmn", "businessRuleTest", "businessRuleTask"),
        ("task/script.bpmn", "scriptTest", "scriptTask"),
        ("task/send.bpmn", "sendTest", "sendTask"),
        ("task/service.bpmn", "serviceTest", "serviceTask"),
    ],
)
def test_job_task_waits_for_one_execute_job(scenario, model, process_id, task):
    instance = scenario.start(scenario.deploy(conformance_xml(model), process_id))
    instance.is_waiting_at(task)
    job = instance.job()
    assert (job.type, job.bpmn_element_id, job.state) == ("EXECUTE", task, "CREATED")
    instance.complete_job()
    instance.is_completed()
    assert all(ei.state == "COMPLETED" for ei in instance.element_instances())


@pytest.mark.parametrize(
    ("model", "process_id"),
    [
        ("task/manual.bpmn", "manualTest"),
        ("task/task.bpmn", "taskTest"),
        ("start-end.bpmn", "startEndTest"),
    ],
)
def test_pass_through_elements_complete_at_once(scenario, model, process_id):
    instance = scenario.start(scenario.deploy(conformance_xml(model), process_id))
    instance.is_completed()
    assert instance.jobs() == []


def test_every_state_change_is_in_the_trace(scenario, db):
    import sqlalchemy as sa

    instance = scenario.start(scenario.deploy(conformance_xml("task/service.bpmn"), "serviceTest"))
    instance.complete_job()
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT bpmn_element_id, state FROM event WHERE process_instance_id = :id ORDER BY id"),
            {"id": instance.id},
        ).all()
    assert [tuple(r) for r in rows] == [
        ("serviceTest", "CREATED"),
        ("serviceTest", "STARTED"),
        ("startEvent", "CREATED"),
        ("startEvent", "COMPLETED"),
        ("serviceTask", "CREATED"),
        ("serviceTask", "STARTED"),
        ("serviceTask", "COMPLETED"),
        ("endEvent", "CREATED"),
        ("endEvent", "COMPLETED"),
        ("serviceTest", "COMPLETED"),
    ]


# --- exclusive gateway -------------------------------------------------------------------------


def test_exclusive_gateway_follows_the_worker_decision(scenario):
    instance = scenario.start(scenario.deploy(conformance_xml("gateway/exclusive.bpmn"), "exclusiveTest"))
    instance.is_waiting_at("fork")
    assert instance.job().type == "EVALUATE_EXCLUSIVE_GATEWAY"
    instance.complete_job(completion={"exclusiveGatewayDecision": "join"})
    instance.is_completed()
    assert len(instance.element_instances(["COMPLETED"])) == 5


def test_exclusive_gateway_job_without_decision_takes_the_default(scenario):
    instance = scenario.start(
        scenario.deploy(conformance_xml("gateway/exclusive-default.bpmn"), "exclusiveDefaultTest")
    )
    instance.is_waiting_at("fork")
    instance.complete_job()
    instance.is_completed()
    assert len(instance.element_instances(["COMPLETED"])) == 5


@pytest.mark.parametrize("decision", ["", "startEvent"])
def test_exclusive_gateway_bad_decision_fails_the_job_into_an_incident(scenario, decision):
    instance = scenario.start(scenario.deploy(conformance_xml("gateway/exclusive.bpmn"), "exclusiveTest"))
    job = instance.complete_job(completion={"exclusiveGatewayDecision": decision})
    assert job.state == "CAUSED_INCIDENT"
    assert job.completed_at is not None
    if decision:
        assert "no outgoing sequence flow to startEvent" in job.error
    [incident] = instance.incidents()
    assert incident.job_id == job.id
    instance.is_waiting_at("fork").has_state("STARTED")


def test_conditions_and_default_are_decided_by_the_engine(scenario):
    process = scenario.deploy((MODELS / "conditions.bpmn").read_text(), "conditionsTest")
    big = scenario.start(process, {"order": {"amount": 120, "country": "DE"}})
    small = scenario.start(process, {"order": {"amount": 120, "country": "FR"}})
    for instance in (big, small):
        assert sorted(j.job_type for j in instance.jobs()) == ["charge", "reserve"]
        instance.complete_job("reserve")
        instance.complete_job("charge")
        instance.is_completed()
    big.has_passed("bigEnd")
    small.has_passed("smallEnd")
    assert "smallEnd" not in ids(big) and "bigEnd" not in ids(small)


def test_a_failing_condition_is_an_incident_naming_expression_and_element(scenario):
    process = scenario.deploy((MODELS / "conditions.bpmn").read_text(), "conditionsTest")
    instance = scenario.start(process, {"order": {"amount": "lots", "country": "DE"}})
    instance.complete_job("reserve")
    instance.complete_job("charge")
    # "lots" > 100 is null in FEEL: not true, so the default flow is taken
    instance.is_completed().has_passed("smallEnd")


def test_a_condition_that_is_not_boolean_becomes_an_incident_and_resolving_reevaluates(scenario, db):
    from engine.commands.incidents import resolve_incident
    from engine.commands.variables import set_process_variables
    from tests.scenario import variables

    xml = (MODELS / "inclusive-conditions.bpmn").read_text()
    instance = scenario.start(scenario.deploy(xml, "inclusiveConditionsTest"), {"wantA": "yes", "wantB": False})
    [incident] = instance.incidents()
    assert "${wantA}" in incident.error and "fork" in incident.error and "must be true, false or null" in incident.error
    assert incident.bpmn_element_id == "fork"
    instance.is_waiting_at("fork")
    db.run(set_process_variables, instance.partition, instance.id, variables({"wantA": True}), scenario.policy)
    db.run(resolve_incident, instance.partition, incident.id, "operator")
    instance.execute_tasks()
    instance.complete_job("taskA")
    instance.is_completed()
    assert "taskB" not in ids(instance)


# --- inclusive gateway -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "passed", "count"),
    [
        (["endEventA", "endEventB", "endEventC"], ["endEventA", "endEventB", "endEventC"], 6),
        (["endEventC"], ["endEventC"], 4),
    ],
)
def test_inclusive_gateway_follows_every_decided_target(scenario, decision, passed, count):
    instance = scenario.start(scenario.deploy(conformance_xml("gateway/inclusive.bpmn"), "inclusiveTest"))
    instance.is_waiting_at("fork")
    instance.complete_job(completion={"inclusiveGatewayDecision": decision})
    for element in passed:
        instance.has_passed(element)
    instance.is_completed()
    assert len(instance.element_instances(["COMPLETED"])) == count


@pytest.mark.parametrize(
    ("decision", "passed", "count"),
    [
        (None, ["endEventA"], 4),
        (["endEventC"], ["endEventA", "endEventC"], 5),  # go-bpmn: the default is taken in addition
        (["endEventA"], ["endEventA"], 4),
    ],
)
def test_inclusive_gateway_default_flow(scenario, decision, passed, count):
    instance = scenario.start(
        scenario.deploy(conformance_xml("gateway/inclusive-default.bpmn"), "inclusiveDefaultTest")
    )
    completion = {"inclusiveGatewayDecision": decision} if decision is not None else None
    instance.complete_job(completion=completion)
    for element in passed:
        instance.has_passed(element)
    instance.is_completed()
    assert len(instance.element_instances()) == count


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        ([], "needs at least one target"),
        (["endEventA", "endEventA"], "duplicate"),
        (["startEvent"], "no outgoing sequence flow to startEvent"),
    ],
)
def test_inclusive_gateway_bad_decision_fails_the_job(scenario, decision, message):
    instance = scenario.start(scenario.deploy(conformance_xml("gateway/inclusive.bpmn"), "inclusiveTest"))
    job = instance.complete_job(completion={"inclusiveGatewayDecision": decision})
    assert job.state == "CAUSED_INCIDENT"
    assert message in job.error


def test_inclusive_join_of_the_go_bpmn_invalid_model_runs(scenario):
    instance = scenario.start(
        scenario.deploy(conformance_xml("invalid/inclusive-gateway-join.bpmn"), "inclusiveGatewayJoinTest")
    )
    instance.is_waiting_at("fork")
    instance.complete_job(completion={"inclusiveGatewayDecision": ["join"]})
    instance.is_completed()
    # Both flows lead to "join", and a decision names targets: one token arrives, and the join
    # fires without waiting for the branch that was not taken.
    assert ids(instance).count("join") == 1


@pytest.mark.parametrize(
    ("want_a", "want_b", "jobs"),
    [
        (True, True, ["taskA", "taskB"]),
        (True, False, ["taskA"]),
        (False, False, []),
    ],
)
def test_inclusive_join_waits_only_for_branches_that_can_still_arrive(scenario, want_a, want_b, jobs):
    xml = (MODELS / "inclusive-conditions.bpmn").read_text()
    instance = scenario.start(scenario.deploy(xml, "inclusiveConditionsTest"), {"wantA": want_a, "wantB": want_b})
    assert sorted(j.bpmn_element_id for j in instance.jobs(["CREATED"])) == jobs
    for index, task in enumerate(jobs):
        if index < len(jobs) - 1:
            instance.complete_job(task)
            instance.is_waiting_at("join").has_state("STARTED")
        else:
            instance.complete_job(task)
    instance.is_completed()
    assert [ei.state for ei in instance.element_instances() if ei.bpmn_element_id == "join"] == ["COMPLETED"] * (
        len(jobs) or 1
    )


# --- parallel gateway ----------------------------------------------------------------------------


def test_parallel_join_fires_once_all_branches_arrived(scenario):
    instance = scenario.start(scenario.deploy(conformance_xml("gateway/parallel.bpmn"), "parallelTest"))
    instance.is_completed()
    assert len(instance.element_instances()) == 6
    assert len(instance.element_instances(["COMPLETED"])) == 6
    # one task per arriving token: the first fires the join, the other's token was joined
    joins = [t.state for t in instance.tasks() if t.type == "JOIN_PARALLEL_GATEWAY"]
    assert sorted(joins) == ["CANCELED", "DONE"]


def test_parallel_service_tasks(scenario):
    instance = scenario.start(
        scenario.deploy(conformance_xml("gateway/parallel-service-tasks.bpmn"), "parallelServiceTasksTest")
    )
    instance.is_waiting_at("serviceTaskA").is_waiting_at("serviceTaskB")
    instance.complete_job("serviceTaskA")
    instance.is_waiting_at("join")
    instance.complete_job("serviceTaskB")
    instance.is_completed()
    assert len(instance.element_instances(["COMPLETED"])) == 8


# --- scopes ------------------------------------------------------------------------------------


def test_sub_process_is_a_nested_scope(scenario):
    instance = scenario.start(scenario.deploy(conformance_xml("sub-process/start-end.bpmn"), "startEndTest"))
    instance.is_completed()
    assert ids(instance) == [
        "startEndTest",
        "startEvent",
        "subProcess",
        "subProcessStartEvent",
        "subProcessEndEvent",
        "endEvent",
    ]
    eis = instance.element_instances()
    assert eis[3].parent_id == eis[2].id and eis[2].parent_id == eis[0].id


def test_terminate_end_event_ends_the_instance_and_cancels_other_tokens(scenario):
    instance = scenario.start(scenario.deploy((MODELS / "terminate.bpmn").read_text(), "terminateTest"))
    instance.complete_job("fast")
    instance.is_completed()
    states = {ei.bpmn_element_id: ei.state for ei in instance.element_instances()}
    assert states["slow"] == "TERMINATED" and states["terminate"] == "COMPLETED"
    assert [j.state for j in instance.jobs() if j.bpmn_element_id == "slow"] == ["CANCELED"]


def test_collaboration_pools_deploy_as_processes_sharing_the_collaboration(scenario):
    a = scenario.deploy(conformance_xml("collaboration.bpmn"), "collaborationATest")
    c = scenario.deploy(conformance_xml("collaboration.bpmn"), "collaborationCTest")
    assert (a.bpmn_collaboration_id, a.bpmn_participant_id, a.bpmn_participant_name) == (
        "collaboration",
        "a",
        "participant a",
    )
    assert (c.bpmn_collaboration_id, c.bpmn_participant_id) == ("collaboration", "c")
    instance = scenario.start(c)
    instance.is_completed()
    assert ids(instance) == ["collaborationCTest", "startEventC", "endEventC"]
