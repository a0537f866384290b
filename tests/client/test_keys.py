"""Where a client finds its API key (client.keys): the order, the registry of `baton up`, and
what a 401 says about it. Pure logic over files in a temporary directory."""

from __future__ import annotations

import json
import os
import stat

import pytest

from client.keys import find_api_key, register_server, registered_server, registry_path, server_key, unregister_server


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty home and state directory; no key in the environment."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("BATON_API_KEY", raising=False)
    monkeypatch.delenv("BATON_DATA_DIR", raising=False)
    (tmp_path / "home").mkdir()
    return tmp_path


def key_file(directory, secret: str):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "api-key"
    path.write_text(secret + "\n")
    return path


def test_every_loopback_name_is_one_server():
    assert server_key("http://localhost:8080") == server_key("http://127.0.0.1:8080/") == "http://localhost:8080"
    assert server_key("http://[::1]:8080") == server_key("http://0.0.0.0:8080") == "http://localhost:8080"
    assert server_key("http://LOCALHOST:8080/api") == "http://localhost:8080"
    assert server_key("http://baton.example") == "http://baton.example:80"
    assert server_key("https://baton.example") == "https://baton.example:443"
    assert server_key("http://127.0.0.1:8081") != server_key("http://127.0.0.1:8080")


def test_the_key_of_the_baton_up_serving_the_url_is_found_without_its_data_dir(home):
    first = key_file(home / "one", "first-key")
    second = key_file(home / "two", "second-key")
    register_server(["http://127.0.0.1:8081"], first, home / "one", pid=111)
    register_server(["http://127.0.0.1:8082"], second, home / "two", pid=222)
    found = find_api_key("http://localhost:8082")
    assert found.key == "second-key" and str(second) in found.source
    assert find_api_key("http://127.0.0.1:8081").key == "first-key"
    assert find_api_key("http://127.0.0.1:8083").key is None


def test_the_registry_is_private_and_holds_no_secret(home):
    register_server(["http://127.0.0.1:8081"], key_file(home / "d", "secret-key"), home / "d", pid=111)
    path = registry_path()
    assert path == home / "state" / "baton" / "servers.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "secret-key" not in path.read_text()
    assert json.loads(path.read_text())["http://localhost:8081"]["pid"] == 111


def test_a_stopping_server_removes_only_its_own_record(home):
    register_server(["http://127.0.0.1:8081"], key_file(home / "a", "a"), home / "a", pid=111)
    register_server(["http://127.0.0.1:8081"], key_file(home / "b", "b"), home / "b", pid=222)  # replaced
    unregister_server(["http://127.0.0.1:8081"], pid=111)  # an older server stopping late: not its record
    assert registered_server("http://127.0.0.1:8081")["pid"] == 222
    unregister_server(["http://127.0.0.1:8081"], pid=222)
    assert registered_server("http://127.0.0.1:8081") is None


def test_the_environment_wins_then_the_registry_then_the_data_dirs(home, monkeypatch):
    register_server(["http://127.0.0.1:8081"], key_file(home / "up", "registered"), home / "up", pid=1)
    key_file(home / "data", "data-dir")
    key_file(home / "home" / ".baton", "default")
    monkeypatch.setenv("BATON_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("BATON_API_KEY", "from-env")
    assert find_api_key("http://127.0.0.1:8081").key == "from-env"
    monkeypatch.delenv("BATON_API_KEY")
    assert find_api_key("http://127.0.0.1:8081").key == "registered"
    assert find_api_key("http://127.0.0.1:9999").key == "data-dir"  # no server recorded there
    monkeypatch.delenv("BATON_DATA_DIR")
    assert find_api_key("http://127.0.0.1:9999").key == "default"


def test_a_server_without_keys_is_recorded_as_such(home):
    register_server(["http://127.0.0.1:8081"], None, home / "d", pid=1)
    found = find_api_key("http://127.0.0.1:8081")
    assert found.key is None
    assert any("runs without keys" in place for place in found.tried)


def test_when_no_key_is_found_the_explanation_lists_every_place_tried(home):
    found = find_api_key("http://127.0.0.1:8081")
    assert found.key is None
    text = found.explain()
    for place in ("BATON_API_KEY", str(registry_path()), "BATON_DATA_DIR", os.path.join(".baton", "api-key")):
        assert place in text, (place, text)
    assert "--api-key" in text


def test_a_refused_key_names_where_it_came_from(home):
    path = key_file(home / "home" / ".baton", "stale")
    found = find_api_key("http://127.0.0.1:8081")
    assert found.key == "stale"
    assert str(path) in found.explain() and "refused" in found.explain()


def test_a_missing_key_file_of_a_registered_server_is_reported(home):
    register_server(["http://127.0.0.1:8081"], home / "gone" / "api-key", home / "gone", pid=1)
    found = find_api_key("http://127.0.0.1:8081")
    assert found.key is None and any("missing or unreadable" in place for place in found.tried)
