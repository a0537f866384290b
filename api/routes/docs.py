"""``/docs``: Swagger UI over ``/openapi.json``, served from the bundled assets (works offline)."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

blp = Blueprint("docs", __name__)

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Baton API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", persistAuthorization: true});</script>
</body></html>"""


@blp.route("/docs")
@blp.route("/docs/")
def page() -> Response:
    """The interactive API documentation."""
    return Response(_PAGE, mimetype="text/html")


@blp.route("/docs/static/<path:name>")
def static(name: str) -> Response:
    """Swagger UI's own files."""
    return send_from_directory(swagger_ui_path, name)
