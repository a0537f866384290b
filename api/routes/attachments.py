"""``/process-instances/{partition}/{id}/attachments``: files kept with a process instance.

Job workers download them by the ``partition`` and ``processInstanceId`` of a locked job. The
Concord facade keeps every file of a payload archive here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Response
from flask_smorest import Blueprint

from api.context import baton
from api.routes.paths import resource
from api.schemas.attachments import AddAttachmentsSchema, AttachmentResults
from engine.commands.attachments import NewAttachment, add_attachments
from engine.queries.attachments import query_attachments, read_attachment

blp = Blueprint("attachments", __name__, description="Files kept with a process instance, for job workers.")

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


@blp.route("/process-instances/<partition>/<int:id>/attachments", methods=["POST"])
@blp.arguments(AddAttachmentsSchema)
@blp.response(201, AttachmentResults, description="Attachments added")
def add(data: dict[str, Any], partition: str, id: int) -> dict[str, Any]:
    """Keep files with an instance that has not ended.

    Names are relative paths (``/`` as separator, no ``.`` or ``..`` components, no
    backslashes), unique within the instance (a name it has already: 409). An instance holds at
    most 1000 attachments and 50 MB (413 above); one request carries at most what fits in the
    request body limit. Nothing is written when anything is refused.
    """
    day, id = resource(partition, id, "process instance")
    files = [NewAttachment(f["name"], f["content"], f["content_type"]) for f in data["attachments"]]
    results = baton().run(add_attachments, day, id, files, data["worker_id"], worker_id=data["worker_id"])
    return {"count": len(results), "results": results}


@blp.route("/process-instances/<partition>/<int:id>/attachments", methods=["GET"])
@blp.response(200, AttachmentResults)
def list_attachments(partition: str, id: int) -> dict[str, Any]:
    """The attachments of an instance (names, sizes, content types, SHA-256), by name."""
    day, id = resource(partition, id, "process instance")
    with baton().db.engine.connect() as conn:
        results = query_attachments(conn, day, id)
    return {"count": len(results), "results": results}


@blp.route("/process-instances/<partition>/<int:id>/attachments/<path:name>", methods=["GET"])
@blp.response(200, description="The file, with its content type", content_type="application/octet-stream")
def download(partition: str, id: int, name: str) -> Response:
    """One attachment's bytes (``Content-Type`` as stored, ``ETag`` its SHA-256)."""
    day, id = resource(partition, id, "process instance")
    with baton().db.engine.connect() as conn:
        attachment, content = read_attachment(conn, day, id, name)
    return file_response(attachment.name, attachment.content_type, attachment.sha256, content)


def file_response(name: str, content_type: str, sha256: str, content: bytes) -> Response:
    """A download: the bytes, their type, a safe file name and the SHA-256 as ETag."""
    basename = name.rsplit("/", 1)[-1]
    fallback = _UNSAFE_FILENAME.sub("_", basename) or "attachment"
    response = Response(content, content_type=content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(basename, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(sha256)
    return response
