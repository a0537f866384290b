"""Atom's ``process_key`` is one value in every answer, basic and typed: the BPMN process id a
start request accepts as ``process_key``, so a client can send back what it received."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.compat.atom.test_atom import Curl, deploy, run_engine_tasks


@pytest.fixture
def facades() -> tuple[str, ...]:
    return ("atom",)


@pytest.fixture
def curl(app: Any, api_key: str) -> Curl:
    return Curl(app, api_key)


def data(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return json.loads(response.get_data())["data"]


def test_process_key_is_the_bpmn_process_id_in_basic_and_typed_answers(client, curl):
    deploy(client)
    basic = data(curl("POST", "/api/v1/processes", '{"process_id": "order-processing", "variables": {}}'), 201)
    typed = data(curl("POST", "/api/v1/processes/typed", '{"process_id": "order-processing", "variables": {}}'), 201)
    assert basic["process_key"] == typed["process_key"] == "order-processing"
    run_engine_tasks(client)
    listed = data(curl("GET", "/api/v1/processes"))["processes"]
    typed_listed = data(curl("GET", "/api/v1/processes/typed"))["instances"]
    assert {p["process_key"] for p in listed} == {p["process_key"] for p in typed_listed} == {"order-processing"}
    again = data(
        curl("POST", "/api/v1/processes", json.dumps({"process_key": basic["process_key"], "variables": {}})), 201
    )
    assert again["process_id"] == "order-processing"  # what came back starts the same process
