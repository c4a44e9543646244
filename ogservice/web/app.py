"""App assembly: settings, services in app.extensions, blueprints, problem+json error handling."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ..config import Settings, load_settings
from ..errors import OgsError


def build_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask("ogservice")
    app.extensions["ogs.settings"] = settings
    _register_errors(app)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    return app


def problem_response(err: OgsError) -> Response:
    resp = jsonify(err.problem(request.path))
    resp.status_code = err.status
    resp.mimetype = "application/problem+json"
    return resp


def _register_errors(app: Flask) -> None:
    @app.errorhandler(OgsError)
    def _ogs(err: OgsError) -> Response:
        return problem_response(err)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        generic = OgsError(err.description or err.name)
        generic.status, generic.title = err.code or 500, err.name
        return problem_response(generic)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        app.logger.exception("unhandled error")
        return problem_response(OgsError("internal error; it has been logged"))
