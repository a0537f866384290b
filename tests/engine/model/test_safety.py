"""Untrusted BPMN text: size limits, DTDs and entities, malformed input, fuzzing."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import EngineError, ErrorKind
from engine.model import parse_definitions

MODEL = (
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
    '<process id="p" isExecutable="true"><startEvent id="s"/></process></definitions>'
)
NO_DTD = "DTDs and entity declarations are not allowed"


def refusal(xml: str | bytes, **kwargs: int) -> EngineError:
    with pytest.raises(EngineError) as info:
        parse_definitions(xml, **kwargs)
    assert info.value.kind is ErrorKind.PROCESS_MODEL
    assert info.value.causes, "a refusal always carries at least one cause"
    return info.value


# --- size ---------------------------------------------------------------------------------


def test_input_larger_than_the_limit_is_refused_before_parsing() -> None:
    error = refusal(MODEL.encode(), max_bytes=100)
    assert error.detail == "BPMN XML is larger than 100 bytes"


def test_text_input_is_measured_in_utf8_bytes() -> None:
    model = MODEL.replace('id="s"', 'id="s" name="' + "é" * 40 + '"')
    assert len(model) <= 200 < len(model.encode("utf-8"))
    assert "larger than 200 bytes" in refusal(model, max_bytes=200).detail


def test_default_limit_is_five_megabytes() -> None:
    padding = " " * (5 * 1024 * 1024)
    assert "larger than 5242880 bytes" in refusal(MODEL + padding).detail


def test_input_at_the_limit_is_parsed() -> None:
    data = MODEL.encode()
    assert parse_definitions(data, max_bytes=len(data)).process("p") is not None


# --- DTDs and entities ----------------------------------------------------------------------


@contextmanager
def watched_fifo(tmp_path: Path) -> Iterator[tuple[Path, threading.Event]]:
    """A named pipe that records whether anything opened it for reading.

    A reader blocks until a writer appears; the watcher then writes a line and closes, so a
    parser that did open the file would get content (and the test would see ``opened``).
    """
    if not hasattr(os, "mkfifo"):
        pytest.skip("named pipes are needed to observe file reads")
    path = tmp_path / "secret"
    os.mkfifo(path)
    opened = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: nobody is reading (yet); look again (the watcher's poll)
                time.sleep(0.005)
                continue
            opened.set()
            os.write(descriptor, b"root:x:0:0:SECRET\n")
            os.close(descriptor)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield path, opened
    finally:
        # The one sleep of this check, and deliberate: it proves that something does NOT happen,
        # so it gives a late open a window to show up before the watcher stops. (A parser that
        # opened the pipe would have blocked until the watcher wrote, so it would show anyway.)
        time.sleep(0.05)
        stop.set()
        watcher.join(timeout=2)


@contextmanager
def listening_socket() -> Iterator[tuple[str, socket.socket]]:
    """A local TCP listener; a pending connection after the parse means the parser dialled out."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    # How long assert_no_connection looks for a connection that must NOT exist: a parser that
    # dialled out did so synchronously, so its connection would be queued here already.
    server.settimeout(0.3)
    host, port = server.getsockname()
    try:
        yield f"http://{host}:{port}", server
    finally:
        server.close()


def assert_no_connection(server: socket.socket) -> None:
    with pytest.raises(TimeoutError):
        connection, _ = server.accept()
        connection.close()


def test_xxe_file_entity_is_refused_without_reading_the_file(tmp_path: Path) -> None:
    with watched_fifo(tmp_path) as (path, opened):
        xml = (
            f'<?xml version="1.0"?><!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file://{path}">]>'
            '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
            '<process id="p" name="&xxe;" isExecutable="true"/></definitions>'
        )
        error = refusal(xml)
    assert error.detail == NO_DTD
    assert not opened.is_set()
    assert "SECRET" not in str(error.causes)


def test_xxe_parameter_entity_is_refused_without_reading_the_file(tmp_path: Path) -> None:
    with watched_fifo(tmp_path) as (path, opened):
        xml = f'<!DOCTYPE definitions [<!ENTITY % xxe SYSTEM "file://{path}"> %xxe;]><definitions/>'
        error = refusal(xml.encode())
    assert error.detail == NO_DTD
    assert not opened.is_set()


def test_xxe_entity_on_a_regular_file_leaks_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:SECRET\n")
    xml = (
        f'<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        '<definitions><process id="p" isExecutable="true"><task id="t" name="&xxe;"/></process></definitions>'
    )
    error = refusal(xml)
    assert error.detail == NO_DTD
    assert "SECRET" not in str(error) + str(error.causes)


def test_xxe_http_entity_is_refused_without_opening_a_connection() -> None:
    with listening_socket() as (url, server):
        xml = (
            f'<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "{url}/entity">]>'
            '<definitions><process id="p" name="&xxe;" isExecutable="true"/></definitions>'
        )
        assert refusal(xml).detail == NO_DTD
        assert_no_connection(server)


def test_external_dtd_over_http_is_refused_without_opening_a_connection() -> None:
    with listening_socket() as (url, server):
        xml = f'<!DOCTYPE definitions SYSTEM "{url}/bpmn.dtd"><definitions/>'
        assert refusal(xml).detail == NO_DTD
        assert_no_connection(server)


def test_http_parameter_entity_is_refused_without_opening_a_connection() -> None:
    with listening_socket() as (url, server):
        xml = f'<!DOCTYPE definitions [<!ENTITY % remote SYSTEM "{url}/evil.dtd"> %remote;]><definitions/>'
        assert refusal(xml).detail == NO_DTD
        assert_no_connection(server)


def billion_laughs() -> str:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return f'<?xml version="1.0"?><!DOCTYPE definitions [{"".join(entities)}]><definitions>&lol9;</definitions>'


def quadratic_blowup() -> str:
    return (
        f'<!DOCTYPE definitions [<!ENTITY a "{"x" * 50_000}">]>'
        f'<definitions><process id="p" isExecutable="true" name="{"&a;" * 50_000}"/></definitions>'
    )


# A hang detector, not a speed claim: a refusal takes milliseconds; expanding either attack would
# build gigabytes (3 GB of "lol", 2.5 GB of "x") and take far longer, if memory allowed it at all.
HANG_SECONDS = 10.0


@pytest.mark.parametrize("attack", [billion_laughs, quadratic_blowup], ids=["billion_laughs", "quadratic"])
def test_entity_expansion_attack_is_refused_fast(attack: object) -> None:
    xml = attack()  # type: ignore[operator]
    started = time.perf_counter()
    error = refusal(xml)
    assert time.perf_counter() - started < HANG_SECONDS
    assert error.detail == NO_DTD


@pytest.mark.parametrize("attack", [billion_laughs, quadratic_blowup], ids=["billion_laughs", "quadratic"])
def test_entity_expansion_attack_in_utf16_is_refused_fast(attack: object) -> None:
    xml = attack().replace('<?xml version="1.0"?>', "")  # type: ignore[operator]
    started = time.perf_counter()
    refusal(xml.encode("utf-16"))
    assert time.perf_counter() - started < HANG_SECONDS


def test_internal_dtd_without_entities_is_refused() -> None:
    xml = "<!DOCTYPE definitions [<!ELEMENT definitions ANY>]>" + MODEL
    assert refusal(xml).detail == NO_DTD


def test_dtd_after_declaration_and_comments_is_refused() -> None:
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- a model -->\n<?pi x?>\n<!DOCTYPE definitions>' + MODEL
    assert refusal(xml.encode()).detail == NO_DTD


def test_dtd_in_utf16_is_refused() -> None:
    xml = "<!DOCTYPE definitions [<!ENTITY a 'b'>]>" + MODEL
    assert refusal(xml.encode("utf-16")).detail == NO_DTD


def test_doctype_text_inside_the_document_is_no_dtd() -> None:
    xml = MODEL.replace(
        '<startEvent id="s"/>',
        '<startEvent id="s"><documentation><![CDATA[<!DOCTYPE html><html></html>]]></documentation></startEvent>',
    )
    assert parse_definitions(xml).process("p") is not None


# --- malformed input ----------------------------------------------------------------------


def test_not_well_formed_xml_is_refused_naming_line_and_column() -> None:
    xml = '<definitions>\n  <process id="p">\n    <task id="t">\n  </process>\n</definitions>'
    error = refusal(xml)
    assert error.causes[0].pointer == "#/line/4"
    assert error.causes[0].type == "xml"
    assert "not well-formed at line 4, column" in error.detail
    assert "mismatch" in error.detail


def test_undeclared_prefix_is_refused_not_recovered() -> None:
    xml = "<definitions>\n<process id='p' isExecutable='true'/>\n<bpmn:signal id='s'/>\n</definitions>"
    error = refusal(xml)
    assert error.causes[0].pointer == "#/line/3"
    assert "Namespace prefix bpmn on signal is not defined" in error.detail


def test_undefined_entity_is_a_syntax_error() -> None:
    error = refusal("<definitions>&nbsp;</definitions>")
    assert "not well-formed" in error.detail


def test_unescaped_ampersand_in_a_condition_is_a_syntax_error() -> None:
    error = refusal("<definitions><sequenceFlow id='f'>a && b</sequenceFlow></definitions>")
    assert "not well-formed" in error.detail


@pytest.mark.parametrize(
    "text",
    ['{"bpmn": "json"}', "hello world", b"\x89PNG\r\n\x1a\n\x00\x00", "<<<>>>", "<definitions>"],
    ids=["json", "prose", "png", "brackets", "unclosed"],
)
def test_non_xml_input_is_refused(text: str | bytes) -> None:
    error = refusal(text)
    assert error.title == "Invalid BPMN XML"


@pytest.mark.parametrize("text", ["", b"", "   \n\t", b"\n\n"], ids=["str", "bytes", "blank-str", "blank-bytes"])
def test_empty_input_is_refused(text: str | bytes) -> None:
    assert refusal(text).detail == "BPMN XML is empty"


@pytest.mark.parametrize(
    "xml",
    [
        "<process id='p'/>",
        "<definitions xmlns='urn:not-bpmn'/>",
        "<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/DI'/>",
        "<html><body/></html>",
    ],
    ids=["process", "other-namespace", "di-namespace", "html"],
)
def test_root_other_than_bpmn_definitions_is_refused(xml: str) -> None:
    error = refusal(xml)
    assert "root element" in error.detail
    assert "definitions" in error.detail


def test_text_with_a_foreign_encoding_declaration_is_read_as_text() -> None:
    xml = MODEL.replace('id="s"', 'id="s" name="Bestellung prüfen"')
    definitions = parse_definitions('<?xml version="1.0" encoding="ISO-8859-1"?>' + xml)
    assert definitions.processes[0].elements["s"].name == "Bestellung prüfen"


def test_bytes_are_decoded_as_their_declaration_says() -> None:
    xml = '<?xml version="1.0" encoding="ISO-8859-1"?>' + MODEL.replace('id="s"', 'id="s" name="prüfen"')
    definitions = parse_definitions(xml.encode("latin-1"))
    assert definitions.processes[0].elements["s"].name == "prüfen"


def test_utf16_bytes_are_read() -> None:
    definitions = parse_definitions(MODEL.encode("utf-16"))
    assert definitions.process("p") is not None


def test_text_that_is_not_valid_unicode_is_refused() -> None:
    assert "not valid Unicode" in refusal(MODEL.replace("p", "\ud800")).detail


def test_absurdly_deep_nesting_is_refused() -> None:
    xml = "<definitions>" + "<subProcess>" * 1000 + "</subProcess>" * 1000 + "</definitions>"
    assert "not well-formed" in refusal(xml).detail


def test_nested_sub_processes_up_to_the_parser_depth_limit_do_not_overflow_the_stack() -> None:
    depth = 200
    opening = "".join(f'<subProcess id="s{i}"><startEvent id="start{i}"/>' for i in range(depth))
    xml = MODEL.replace('<startEvent id="s"/>', opening + "</subProcess>" * depth)
    process = parse_definitions(xml).process("p")
    assert process is not None
    assert process.elements["start199"].parent_id == "s199"


# --- fuzzing ------------------------------------------------------------------------------

TAGS = [
    "definitions",
    "process",
    "startEvent",
    "endEvent",
    "task",
    "serviceTask",
    "userTask",
    "subProcess",
    "callActivity",
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "sequenceFlow",
    "messageEventDefinition",
    "timerEventDefinition",
    "timeDuration",
    "linkEventDefinition",
    "errorEventDefinition",
    "conditionExpression",
    "incoming",
    "outgoing",
    "message",
    "signal",
    "error",
    "collaboration",
    "participant",
    "extensionElements",
    "zeebe:taskDefinition",
    "zeebe:ioMapping",
    "zeebe:input",
    "camunda:inputOutput",
    "camunda:inputParameter",
    "unknownThing",
]
ATTRIBUTES = [
    "id",
    "name",
    "sourceRef",
    "targetRef",
    "attachedToRef",
    "default",
    "messageRef",
    "errorRef",
    "processRef",
    "isExecutable",
    "cancelActivity",
    "triggeredByEvent",
    "calledElement",
    "type",
    "retries",
    "source",
    "target",
    "camunda:type",
    "camunda:topic",
    "camunda:assignee",
]
VALUES = st.sampled_from(["a", "b", "c", "p", "f1", "true", "false", "=x", "${x}", "", "1", "-1", "a:b"])
NAMESPACES = (
    'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
)


@st.composite
def xml_elements(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attributes = draw(st.dictionaries(st.sampled_from(ATTRIBUTES), VALUES, max_size=4))
    rendered = "".join(f' {name}="{value}"' for name, value in attributes.items())
    children = draw(st.lists(xml_elements(depth + 1), max_size=3)) if depth < 3 else []
    text = draw(st.sampled_from(["", "f1", "PT1H", "=a > 1", " a ", "a"]))
    return f"<{tag}{rendered}>{text}{''.join(children)}</{tag}>"


@st.composite
def bpmn_like_documents(draw: st.DrawFn) -> str:
    """Definitions with executable processes full of random BPMN-ish elements, and random roots."""
    parts = []
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        process_id = draw(VALUES)
        body = "".join(draw(st.lists(xml_elements(1), max_size=5)))
        parts.append(f'<process id="{process_id}" isExecutable="true">{body}</process>')
    parts.extend(draw(st.lists(xml_elements(1), max_size=2)))
    return f"<definitions {NAMESPACES}>{''.join(parts)}</definitions>"


def parse_or_refuse(xml: str | bytes) -> None:
    try:
        parse_definitions(xml)
    except EngineError as error:
        assert error.kind is ErrorKind.PROCESS_MODEL
        assert error.causes
        assert all(cause.pointer.startswith("#") and cause.detail for cause in error.causes)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_raise_nothing_but_engine_errors(data: bytes) -> None:
    parse_or_refuse(data)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' !?&;-[]abcdefinitosp:x\n")), max_size=500))
def test_random_xml_ish_text_raises_nothing_but_engine_errors(text: str) -> None:
    parse_or_refuse(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bpmn_like_documents())
def test_random_bpmn_like_documents_raise_nothing_but_engine_errors(document: str) -> None:
    parse_or_refuse(document)
