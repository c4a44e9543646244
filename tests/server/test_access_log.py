"""OGS_ACCESS_LOG: one line per request with client, request line, status, size and duration."""

from __future__ import annotations

import logging
import re

from werkzeug.test import Client

from ogservice.server.access_log import AccessLog


def app(environ, start_response):
    start_response("404 NOT FOUND", [("Content-Type", "text/plain"), ("Content-Length", "7")])
    return [b"missing"]


def test_each_request_is_logged_once_with_its_outcome(caplog):
    logger = logging.getLogger("test.access")
    with caplog.at_level(logging.INFO, logger="test.access"):
        client = Client(AccessLog(app, logger))
        response = client.get("/og/x.png?title=a", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert response.status_code == 404 and response.data == b"missing"
    (line,) = caplog.messages
    assert re.fullmatch(r'10\.0\.0\.7 "GET /og/x\.png\?title=a HTTP/1\.1" 404 7 \d+\.\dms', line), line
