"""HTTP to one Baton API: where it is, the API key, timeouts, and which failures are retried.

What is retried (at most ``retries`` times, exponential back-off with jitter: ``backoff`` ·
2^attempt · [0.5, 1.5) seconds, at least what ``Retry-After`` asks, at most 30 s):

- a connection that could not be **established** (refused, DNS, connect timeout): every
  request, because nothing reached the server;
- **503** (Baton says the database or broker is unreachable; nothing was committed): every
  request;
- **502, 504**, a **read timeout** or a connection **dropped after the request was sent**: only
  idempotent requests (GET, PUT, queries, deploy, unlock, …), because the server may have acted.
  ``POST /process-instances`` is not idempotent, so it is never sent twice once it may have
  arrived;
- **4xx**: never.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError

from client.errors import BatonError, connection_error, error_from_response
from client.keys import KeyLookup, find_api_key

DEFAULT_URL = "http://127.0.0.1:8080"
MAX_DELAY_SECONDS = 30.0
USER_AGENT = "baton-client/0.1"


def default_url() -> str:
    """``BATON_URL``, else ``http://127.0.0.1:8080``."""
    return os.environ.get("BATON_URL") or DEFAULT_URL


def default_api_key(url: str | None = None) -> str | None:
    """The key a client of ``url`` (default: :func:`default_url`) sends when given none:
    ``BATON_API_KEY``, else the key file of the ``baton up`` serving that URL, else
    ``$BATON_DATA_DIR/api-key`` or ``~/.baton/api-key``, else ``None`` (a server started with
    ``--no-auth``). :mod:`client.keys` documents the order."""
    return find_api_key(url or default_url()).key


class Transport:
    """One ``requests.Session`` to a Baton API, with authentication and the retry policy above.

    The session is shared by every thread of a :class:`~client.worker.JobWorker`; its connection
    pool is sized for that.
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        pool_size: int = 32,
    ) -> None:
        self.url = (url or default_url()).rstrip("/")
        # Where the key came from, so that a 401 can say it (client.keys).
        self.key_lookup = (
            KeyLookup(api_key, "the api_key given to the client (--api-key)", ("--api-key: given",))
            if api_key is not None
            else find_api_key(self.url)
        )
        self.api_key = self.key_lookup.key
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.session = requests.Session()
        # Retries happen in request() below, not in urllib3's Retry on the adapter: whether a request
        # may be sent again is decided per request (``idempotent``, ``retries``) while an adapter's
        # Retry is one for the whole shared session; and Retry would also retry a 413/429 that has
        # a Retry-After, wait an uncapped Retry-After, refuse one that is not a whole number
        # (InvalidHeader), and not wait before the first retry.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json, application/problem+json"
        if self.api_key:
            self.session.headers["Authorization"] = self.api_key

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> requests.Response:
        """Send a request, retrying as the module documents (at most ``retries`` times, the
        transport's setting by default); an error answer raises :class:`~client.errors.BatonError`."""
        url = self.url + path
        limit = self.retries if retries is None else max(0, retries)
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    url,
                    json=json,
                    params=params,  # requests leaves out the parameters whose value is None
                    timeout=timeout if timeout is not None else self.timeout,
                )
            except requests.RequestException as exc:
                retryable = isinstance(exc, requests.ConnectionError | requests.Timeout) and (
                    idempotent or not_sent(exc)
                )
                if retryable and attempt < limit:
                    time.sleep(self._delay(attempt))
                    attempt += 1
                    continue
                raise connection_error(self.url, exc) from exc
            if response.status_code < 400:
                return response
            if attempt < limit and _retryable_status(response.status_code, idempotent):
                time.sleep(max(self._delay(attempt), _retry_after(response)))
                attempt += 1
                continue
            error = error_from_response(response)
            if response.status_code == 401:
                error.hint = self.key_lookup.explain()
            raise error

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request` and the decoded JSON body (``None`` for an empty one, e.g. 204)."""
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise BatonError(response.status_code, None, "response is not JSON", response.text[:200]) from exc

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def _delay(self, attempt: int) -> float:
        return min(MAX_DELAY_SECONDS, self.backoff * 2**attempt * random.uniform(0.5, 1.5))


def not_sent(exc: BaseException) -> bool:
    """Whether a request failed before any byte reached the server (the connection was never made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectTimeoutError):  # NewConnectionError and NameResolutionError too
            return True
        stack.append(getattr(current, "reason", None))
        stack.append(current.__cause__ if isinstance(current, BaseException) else None)
        stack.append(current.__context__ if isinstance(current, BaseException) else None)
        stack.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return False


def _retryable_status(status: int, idempotent: bool) -> bool:
    if status == 503:
        return True
    return status in (502, 504) and idempotent


def _retry_after(response: requests.Response) -> float:
    value = response.headers.get("Retry-After")
    if not value:
        return 0.0
    try:
        return min(MAX_DELAY_SECONDS, max(0.0, float(value)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return min(MAX_DELAY_SECONDS, max(0.0, when.timestamp() - time.time()))
