"""``BatonClient``: the typed client of one Baton API, one attribute per resource."""

from __future__ import annotations

import getpass
import os
import socket
from types import TracebackType

from client.element_instances import ElementInstances
from client.engine_tasks import Tasks
from client.errors import BatonError
from client.incidents import Incidents
from client.jobs import Jobs
from client.messages import Messages
from client.process_instances import ProcessInstances
from client.processes import Processes
from client.signals import Signals
from client.time import EngineTime
from client.transport import Transport
from client.user_tasks import UserTasks
from client.variables import Variables


def default_worker_id() -> str:
    """``BATON_WORKER_ID``, else ``user@host``: recorded as ``createdBy`` / ``lockedBy`` of what
    this client does."""
    configured = os.environ.get("BATON_WORKER_ID")
    if configured:
        return configured
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in some containers
        user = "baton-client"
    return f"{user}@{socket.gethostname()}"[:255]


class BatonClient:
    """A client of the Baton API.

    ``url`` defaults to ``BATON_URL`` (else ``http://127.0.0.1:8080``); ``api_key`` to
    ``BATON_API_KEY``, else the key file of ``baton up`` (``$BATON_DATA_DIR/api-key``,
    ``~/.baton/api-key``). ``timeout`` is per request (seconds; long-polling lock requests add
    their wait); ``retries`` and ``backoff`` shape the retry policy of :mod:`client.transport`.
    ``worker_id`` is sent as ``workerId`` with every change (default: ``BATON_WORKER_ID``, else
    ``user@host``).

    Resources: :attr:`processes`, :attr:`process_instances`, :attr:`element_instances`,
    :attr:`jobs`, :attr:`incidents`, :attr:`variables`, :attr:`tasks` (engine tasks),
    :attr:`time`, :attr:`messages`, :attr:`signals`, :attr:`user_tasks`. A client is safe to share
    between threads.
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        worker_id: str | None = None,
    ) -> None:
        self.transport = Transport(url, api_key, timeout=timeout, retries=retries, backoff=backoff)
        self.worker_id = worker_id or default_worker_id()
        self.processes = Processes(self.transport, self.worker_id)
        self.element_instances = ElementInstances(self.transport)
        self.process_instances = ProcessInstances(self.transport, self.worker_id, self.element_instances)
        self.variables = Variables(self.transport, self.worker_id)
        self.jobs = Jobs(self.transport, self.worker_id, self.variables)
        self.incidents = Incidents(self.transport, self.worker_id)
        self.tasks = Tasks(self.transport)
        self.time = EngineTime(self.transport)
        self.messages = Messages(self.transport, self.worker_id)
        self.signals = Signals(self.transport, self.worker_id)
        self.user_tasks = UserTasks(self.transport, self.worker_id)

    @property
    def url(self) -> str:
        """The API's base URL."""
        return self.transport.url

    def ready(self) -> bool:
        """Whether the API answers ``GET /readiness`` with 200 (PostgreSQL and the broker are up)."""
        try:
            self.transport.request("GET", "/readiness", idempotent=True, retries=0)
        except BatonError:
            return False
        return True

    def close(self) -> None:
        """Close the pooled connections."""
        self.transport.close()

    def __enter__(self) -> BatonClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"BatonClient(url={self.url!r}, worker_id={self.worker_id!r})"
