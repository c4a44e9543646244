"""App assembly: settings, services in app.extensions, blueprints, problem+json error handling."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ..config import MAX_BODY_BYTES, Settings, load_settings
from ..errors import OgsError, error_for_status
from ..gateway.service import Gateway
from ..layers.service import LayerService
from ..pipeline import CardService
from ..sources.assets import ImageSources
from ..store import open_store
from . import auth
from .hot import HotPath, ResolvedUrls

log = logging.getLogger("ogservice")


def build_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask("ogservice")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["ogs.settings"] = settings
    store = open_store(settings)
    app.extensions["ogs.gateway"] = gateway = Gateway.from_settings(settings)
    app.extensions["ogs.layers"] = layers = LayerService.build(settings, store, gateway)
    if layers.mode == "off":
        log.warning("%s", layers.status())
    app.extensions["ogs.images"] = images = ImageSources.from_settings(settings, store)
    app.extensions["ogs.cards"] = CardService(settings, store, layers=layers, images=images)
    app.extensions["ogs.resolved"] = ResolvedUrls()
    app.wsgi_app = HotPath(  # type: ignore[method-assign]
        app.wsgi_app, settings, app.extensions["ogs.cards"], app.extensions["ogs.resolved"]
    )
    auth.init_app(app, settings)
    _register_blueprints(app)
    _register_errors(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from . import api_docs, api_route, assets_api, banners_api, cards_api, home, hooks_api, og

    app.register_blueprint(og.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(api_route.bp)
    app.register_blueprint(assets_api.bp)
    app.register_blueprint(cards_api.bp)
    app.register_blueprint(banners_api.bp)
    app.register_blueprint(hooks_api.bp)
    app.register_blueprint(api_docs.bp)


def problem_response(err: OgsError) -> Response:
    resp = jsonify(err.problem(request.path))
    resp.status_code = err.status
    resp.mimetype = "application/problem+json"
    resp.headers.update(err.headers())
    return resp


def _register_errors(app: Flask) -> None:
    @app.errorhandler(OgsError)
    def _ogs(err: OgsError) -> Response:
        return problem_response(err)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        return problem_response(error_for_status(err.code or 500, err.name, err.description or err.name))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("unhandled error on %s", request.path)
        return problem_response(OgsError("internal error; it has been logged"))
