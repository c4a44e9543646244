"""schemathesis against the app in-process (WSGI): every documented operation, with a valid API key,
a bounded number of examples each. No 5xx; status codes, content types and bodies as documented.

Bounded and reproducible: derandomized, no example database, MAX_EXAMPLES per operation.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.api_keys import bearer, issue, make_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 50  # ~10 s in all on a loaded 2-core machine
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_every_documented_operation_answers_as_documented(tmp_path):
    app = make_app(tmp_path)
    token, _ = issue(app, "schemathesis", rate="100000/minute")
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = app.test_client().get("/openapi.json").json["paths"]
    documented = {(method.upper(), path) for path, methods in paths.items() for method in methods}
    # schemathesis leaves out the document's own operation
    assert {(op.method.upper(), op.path) for op in operations} == documented - {("GET", "/openapi.json")}
    for operation in operations:

        @BOUNDED
        @given(case=cases(operation))
        def answers_as_documented(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=bearer(token), checks=CHECKS)

        answers_as_documented()


def cases(operation) -> st.SearchStrategy[schemathesis.Case]:
    """The documented examples, valid requests, and invalid ones (where the 5xx used to hide)."""
    examples = operation.get_strategies_from_examples()
    generated = [operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    return st.one_of(*examples, *generated)
