"""GET /openapi.json (the OpenAPI 3.1 document) and GET /docs (the same document as a readable page).

/docs is rendered here, server-side, from the document: no script, no CDN, so it works offline
and behind any content security policy. Schemas are linked by name and shown as JSON Schema.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from .openapi import ANY_JSON, build_document, operation

bp = Blueprint("api_docs", __name__)
HTML_MEDIA = {"text/html": {"schema": {"type": "string"}}}


def document() -> dict[str, Any]:
    """Built once per app, on first use (every blueprint is registered by then)."""
    cached = current_app.extensions.get("ogs.openapi")
    if cached is None:
        cached = current_app.extensions["ogs.openapi"] = build_document(current_app)
    return cached


@bp.get("/openapi.json")
@operation({200: ANY_JSON}, security="none", tags=("meta",))
def openapi_json() -> Response:
    """This document."""
    return jsonify(document())


@bp.get("/docs")
@operation({200: HTML_MEDIA}, security="none", tags=("meta",))
def docs() -> Response:
    """This document as a readable page."""
    return Response(render_html(document()), mimetype="text/html")


def render_html(doc: dict[str, Any]) -> str:
    ops = [
        _operation_html(path, method, op)
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
    ]
    index = "".join(
        f'<li><a href="#{escape(op["operationId"])}"><code>{method.upper()} {escape(path)}</code></a> '
        f"{escape(op.get('summary', ''))}</li>"
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
    )
    schemas = "".join(
        f'<section id="schema-{escape(name)}"><h3>{escape(name)}</h3>{_schema_html(schema)}</section>'
        for name, schema in doc["components"]["schemas"].items()
    )
    security = "".join(
        f"<dt><code>{escape(name)}</code></dt><dd>{escape(s.get('description', ''))}</dd>"
        for name, s in doc["components"]["securitySchemes"].items()
    )
    info = doc["info"]
    return PAGE.format(
        title=escape(info["title"]),
        version=escape(info["version"]),
        description=escape(info.get("description", "")),
        index=index,
        operations="".join(ops),
        schemas=schemas,
        security=security,
    )


def _operation_html(path: str, method: str, op: dict[str, Any]) -> str:
    parts = [
        f'<section class="op" id="{escape(op["operationId"])}">',
        f'<h3><span class="method {method}">{method.upper()}</span> <code>{escape(path)}</code></h3>',
        f"<p>{escape(op.get('summary', ''))}</p>",
    ]
    if op.get("description"):
        parts.append(f'<pre class="prose">{escape(op["description"])}</pre>')
    auth = " or ".join(name for scheme in op.get("security", []) for name in scheme) or "none"
    parts.append(f"<p><b>Authentication:</b> {escape(auth)}</p>")
    if op.get("parameters"):
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
            f"<td>{'yes' if p.get('required') else ''}</td><td>{escape(p.get('description', ''))}</td>"
            f"<td>{_schema_html(p.get('schema', {}))}</td></tr>"
            for p in op["parameters"]
        )
        parts.append(
            "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>description</th>"
            f"<th>schema</th></tr>{rows}</table>"
        )
    if "requestBody" in op:
        parts.append("<h4>Request body</h4>" + _content_html(op["requestBody"]["content"]))
    rows = "".join(
        f"<tr><td><b>{escape(status)}</b></td><td>{escape(r.get('description', ''))}</td>"
        f"<td>{_content_html(r.get('content', {}))}</td></tr>"
        for status, r in op["responses"].items()
    )
    parts.append(f"<h4>Responses</h4><table>{rows}</table></section>")
    return "".join(parts)


def _content_html(content: dict[str, Any]) -> str:
    return "".join(
        f"<div><code>{escape(media)}</code> {_schema_html(body.get('schema', {}))}</div>"
        for media, body in content.items()
    )


def _schema_html(schema: dict[str, Any]) -> str:
    """A $ref as a link to its schema, anything else as JSON."""
    if set(schema) == {"$ref"}:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    text = json.dumps(schema, indent=2, ensure_ascii=False)
    return f"<pre>{escape(text)}</pre>"


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
code, pre {{ font-family: ui-monospace, monospace; font-size: 13px; }}
pre {{ background: #f5f5f7; padding: .5rem; overflow-x: auto; margin: .25rem 0; }}
pre.prose {{ background: none; white-space: pre-wrap; font-family: inherit; font-size: inherit; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-top: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }}
section.op {{ border-top: 2px solid #ccc; margin-top: 1.5rem; }}
.method {{ color: #fff; padding: .1rem .4rem; border-radius: 3px; background: #555; }}
.get {{ background: #1a7f37; }} .post {{ background: #0b5cad; }}
</style></head><body>
<h1>{title} API <small>{version}</small></h1>
<p>{description} The machine-readable document is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Operations</h2><ul>{index}</ul>
<h2>Authentication</h2><dl>{security}</dl>
{operations}
<h2>Schemas</h2>{schemas}
</body></html>
"""
