from tests.conftest import conformance_xml


def test_start_end_completes(scenario):
    process = scenario.deploy(conformance_xml("start-end.bpmn"), "startEndTest")
    instance = scenario.start(process)
    instance.is_completed()
    assert [ei.bpmn_element_id for ei in instance.element_instances()] == ["startEndTest", "startEvent", "endEvent"]


def test_service_task_waits_for_its_job(scenario):
    process = scenario.deploy(conformance_xml("task/service.bpmn"), "serviceTest")
    instance = scenario.start(process)
    instance.is_waiting_at("serviceTask")
    instance.complete_job()
    instance.is_completed()
