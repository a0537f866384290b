"""Script tasks: FEEL, JUEL and Python assignment scripts run in the engine; any other script is
a ``script:<language>`` job whose headers carry it."""

from __future__ import annotations

import pytest

from engine.commands.incidents import resolve_incident
from engine.commands.variables import set_process_variables
from engine.errors import EngineError
from engine.model import parse_definitions
from tests.scenario import WORKER, variables

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def process(task: str) -> str:
    return (
        f'<definitions xmlns="{BPMN}" xmlns:zeebe="{ZEEBE}" xmlns:camunda="{CAMUNDA}" id="d">'
        '<process id="p" isExecutable="true"><startEvent id="s"/>'
        f'<sequenceFlow id="f0" sourceRef="s" targetRef="a"/>{task}'
        '<sequenceFlow id="f1" sourceRef="a" targetRef="e"/><endEvent id="e"/></process></definitions>'
    )


def test_a_zeebe_feel_script_stores_its_result(scenario):
    xml = process(
        '<scriptTask id="a"><extensionElements><zeebe:script expression="=sum(items) * 2" resultVariable="total"/>'
        "</extensionElements></scriptTask>"
    )
    instance = scenario.start(scenario.deploy(xml, "p"), {"items": [1, 2, 3]})
    instance.is_completed()
    assert instance.variables()["total"] == 12
    assert instance.jobs() == []


def test_a_camunda_juel_script_stores_its_result_variable(scenario):
    xml = process(
        '<scriptTask id="a" scriptFormat="juel" camunda:resultVariable="label">'
        "<script>${name.toUpperCase()}</script></scriptTask>"
    )
    instance = scenario.start(scenario.deploy(xml, "p"), {"name": "ada"})
    instance.is_completed()
    assert instance.variables()["label"] == "ADA"


def test_a_spiffworkflow_python_assignment_script_runs_in_the_engine(scenario):
    xml = process(
        '<scriptTask id="a"><script>\n    total = price * quantity\n    order["done"] = total &gt; 10\n'
        "    tags = [t.upper() for t in tags]\n</script></scriptTask>"
    )
    instance = scenario.start(
        scenario.deploy(xml, "p"), {"price": 4, "quantity": 3, "order": {"id": 7}, "tags": ["a", "b"]}
    )
    instance.is_completed()
    values = instance.variables()
    assert values["total"] == 12
    assert values["order"] == {"id": 7, "done": True}
    assert values["tags"] == ["A", "B"]


def test_a_python_script_with_other_statements_is_a_script_python_job(scenario):
    xml = process('<scriptTask id="a" scriptFormat="python"><script>if x:\n    y = 1\n</script></scriptTask>')
    instance = scenario.start(scenario.deploy(xml, "p"), {"x": True})
    [job] = instance.jobs()
    assert job.job_type == "script:python"
    [model] = parse_definitions(xml).processes
    assert dict(model.elements["a"].headers) == {"script": "if x:\n    y = 1", "scriptFormat": "python"}
    instance.complete_job("a")
    instance.is_completed()


def test_a_groovy_script_is_a_job_of_its_language_with_its_headers() -> None:
    xml = process(
        '<scriptTask id="a" scriptFormat="Groovy" camunda:resultVariable="r">'
        '<extensionElements><camunda:properties><camunda:property name="team" value="x"/></camunda:properties>'
        "</extensionElements><script>println 'hi'</script></scriptTask>"
    )
    [model] = parse_definitions(xml).processes
    task = model.elements["a"]
    assert task.job_type == "script:groovy" and task.script is None
    assert task.headers == (
        ("team", "x"),
        ("script", "println 'hi'"),
        ("scriptFormat", "Groovy"),
        ("resultVariable", "r"),
    )


def test_an_explicit_job_type_wins_over_the_script() -> None:
    xml = process(
        '<scriptTask id="a" scriptFormat="groovy"><extensionElements><zeebe:taskDefinition type="groovy-runner"/>'
        "</extensionElements><script>1</script></scriptTask>"
    )
    [model] = parse_definitions(xml).processes
    assert model.elements["a"].job_type == "groovy-runner" and model.elements["a"].headers == ()


def test_a_script_that_does_not_compile_is_refused_at_deploy(scenario):
    xml = process(
        '<scriptTask id="a"><extensionElements><zeebe:script expression="=1 +" resultVariable="r"/>'
        "</extensionElements></scriptTask>"
    )
    with pytest.raises(EngineError) as info:
        scenario.deploy(xml, "p")
    assert "FEEL script does not compile" in info.value.causes[0].detail
    missing = process(
        '<scriptTask id="a"><extensionElements><zeebe:script expression="=1"/></extensionElements></scriptTask>'
    )
    with pytest.raises(EngineError) as info:
        scenario.deploy(missing, "p")
    assert "zeebe:script needs an expression and a resultVariable" in info.value.causes[0].detail


def test_a_failing_script_is_an_incident_and_resolving_runs_it_again(scenario):
    xml = process('<scriptTask id="a" scriptFormat="python"><script>y = x + 1</script></scriptTask>')
    instance = scenario.start(scenario.deploy(xml, "p"), {"x": "text"})
    [incident] = instance.incidents()
    assert "element a" in incident.error
    scenario.db.run(set_process_variables, instance.partition, instance.id, variables({"x": 1}), scenario.policy)
    scenario.db.run(resolve_incident, incident.partition, incident.id, WORKER)
    instance.execute_tasks()
    instance.is_completed()
    assert instance.variables()["y"] == 2


SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def test_spiffworkflow_pre_and_post_scripts_run_around_an_activity(scenario):
    xml = process(
        '<userTask id="a"><extensionElements>'
        "<spiffworkflow:preScript>greeting = 'hello ' + name</spiffworkflow:preScript>"
        "<spiffworkflow:postScript>answer = reply.upper()</spiffworkflow:postScript>"
        "</extensionElements></userTask>"
    ).replace('id="d"', f'xmlns:spiffworkflow="{SPIFF}" id="d"')
    instance = scenario.start(scenario.deploy(xml, "p"), {"name": "ada", "reply": "yes"})
    assert instance.variables()["greeting"] == "hello ada"
    assert "answer" not in instance.variables()
    instance.update_user_task(completed=True)
    instance.is_completed()
    assert instance.variables()["answer"] == "YES"


def test_a_spiffworkflow_pre_script_beyond_assignments_is_refused_at_deploy():
    xml = process(
        '<task id="a"><extensionElements><spiffworkflow:preScript>import os</spiffworkflow:preScript>'
        "</extensionElements></task>"
    ).replace('id="d"', f'xmlns:spiffworkflow="{SPIFF}" id="d"')
    with pytest.raises(EngineError) as raised:
        parse_definitions(xml)
    assert "spiffworkflow:preScript is not a script Baton runs" in str(raised.value)
    assert "line 1 is an import" in str(raised.value)
