"""``baton check``: validating BPMN files without a server, through the real entry point."""

from __future__ import annotations

import json

from tests.cli_runner import run_baton

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def document(body: str, attributes: str = "") -> str:
    return f'<definitions xmlns="{BPMN}" id="d"><process id="p"{attributes}>{body}</process></definitions>'


def test_check_says_a_lenient_model_deploys_and_shows_its_warnings(tmp_path):
    path = tmp_path / "ok.bpmn"
    path.write_text(document('<startEvent id="s"/><sequenceFlow sourceRef="s" targetRef="e"/><endEvent id="e"/>'))
    result = run_baton("check", str(path))
    assert result.exit_code == 0, result.stderr
    assert "✓" in result.stdout and "process p deploys" in result.stdout
    assert "warning #/p: process p has no isExecutable attribute" in result.stdout
    assert "warning #/p/s-e: a sequence flow has no id" in result.stdout


def test_check_lists_every_cause_and_exits_1(tmp_path):
    (tmp_path / "ok.bpmn").write_text(document('<startEvent id="s"/>'))
    (tmp_path / "bad.bpmn").write_text(document('<receiveTask id="r"/><fancyTask id="x"/>'))
    (tmp_path / "diagram.bpmn").write_text(document("<task id='t'/>", ' isExecutable="false"'))
    result = run_baton("check", str(tmp_path), "--json")
    assert result.exit_code == 1
    checks = {item["file"].rsplit("/", 1)[1]: item for item in json.loads(result.stdout)}
    assert checks["ok.bpmn"]["valid"] is True
    assert checks["bad.bpmn"]["valid"] is False
    [bad] = checks["bad.bpmn"]["processes"]
    assert [cause["pointer"] for cause in bad["causes"]] == ["#/p/r", "#/p/x"]
    assert checks["diagram.bpmn"]["valid"] is False
    assert checks["diagram.bpmn"]["processes"][0]["executable"] is False


def test_check_of_xml_that_is_not_well_formed_names_the_line(tmp_path):
    path = tmp_path / "broken.bpmn"
    path.write_text("<definitions>\n<process>")
    result = run_baton("check", str(path))
    assert result.exit_code == 1
    assert "not well-formed at line" in result.stdout
