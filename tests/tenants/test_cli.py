"""`ogservice keys create | list | revoke` against the real Redis (this test's OGS_REDIS_PREFIX)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ogservice.cli import main
from ogservice.config import load_settings
from ogservice.tenants.tokens import well_formed
from tests.web.api_keys import bearer, make_app


def keys(*args: str, **env: str):
    return CliRunner().invoke(main, ["keys", *args], env=env or None)


def test_create_prints_the_key_once_and_list_never_shows_it(tmp_path):
    done = keys("create", "--tenant", "acme", "--tier", "pro", "--budget-usd", "2.5", "--rate", "30/minute")
    assert done.exit_code == 0, done.output
    token = done.stdout.strip()
    assert well_formed(token) and "\n" not in token  # alone on stdout: KEY=$(ogservice keys create ...)
    assert "tier pro, $2.5/day, rate 30/minute" in done.stderr and "only time the key is shown" in done.stderr
    listed = keys("list")
    assert token not in listed.output and token[-4:] in listed.output
    assert "acme" in listed.output and "$2.50/day" in listed.output and "30/minute" in listed.output
    (row,) = [json.loads(line) for line in keys("list", "--json").stdout.splitlines()]
    assert (row["tenant"], row["tier"], row["rate"], row["revoked"]) == ("acme", "pro", "30/minute", "-")
    app = make_app(tmp_path)  # the service reads the same Redis prefix: the printed key works
    assert app.test_client().get("/v1/models", headers=bearer(token)).status_code == 200


def test_a_second_key_rotates_and_revoke_closes_only_the_old_one(tmp_path):
    old = keys("create", "--tenant", "blog", "--tier", "free", "--budget-usd", "0").stdout.strip()
    new = keys("create", "--tenant", "blog").stdout.strip()
    old_id = json.loads(keys("list", "--json").stdout.splitlines()[0])["id"]
    done = keys("revoke", old_id)
    assert done.exit_code == 0 and done.stdout.startswith(f"revoked {old_id}")
    assert keys("revoke", old_id).stdout.startswith(f"already revoked: {old_id}")
    client = make_app(tmp_path).test_client()
    assert client.get("/v1/models", headers=bearer(old)).status_code == 401
    assert client.get("/v1/models", headers=bearer(new)).status_code == 200
    assert "(default)" in keys("list").output  # the second key has no --rate of its own


def test_mistakes_are_one_line_errors():
    cases = [
        (["create", "--tenant", "acme"], "new tenant 'acme': give its --tier and --budget-usd"),
        (
            ["create", "--tenant", "acme", "--tier", "pro", "--budget-usd", "1", "--rate", "lots"],
            "invalid rate",
        ),
        (["create", "--tenant", "ACME", "--tier", "pro", "--budget-usd", "1"], "is not a tenant name"),
        (["revoke", "key_nope"], "no key with id 'key_nope'"),
    ]
    for args, message in cases:
        done = keys(*args)
        assert done.exit_code == 1 and message in done.stderr and "Traceback" not in done.output, args
    assert keys("list").stderr.startswith("no API keys yet")


def test_an_unreachable_redis_is_named():
    done = keys("list", OGS_REDIS_URL="redis://127.0.0.1:1/0")
    assert done.exit_code == 1 and "Redis at redis://127.0.0.1:1/0 (OGS_REDIS_URL)" in done.stderr
    assert load_settings(dev=True).redis_prefix.startswith("ogs-test:")  # this test's own keys


def test_hook_secret_is_printed_once_rotates_and_survives_a_new_key(tmp_path):
    assert keys("hook-secret", "--tenant", "shop").exit_code == 1  # no such tenant yet
    keys("create", "--tenant", "shop", "--tier", "pro", "--budget-usd", "1")
    first = keys("hook-secret", "--tenant", "shop")
    assert first.exit_code == 0 and first.stdout.startswith("whsec_") and "\n" not in first.stdout.strip()
    second = keys("hook-secret", "--tenant", "shop").stdout.strip()
    assert second != first.stdout.strip()
    keys("create", "--tenant", "shop")  # a new key leaves the hook secret as it is
    store = make_app(tmp_path).extensions["ogs.tenants"]
    assert store.tenant("shop").hook_secret == second
    assert second not in keys("list").output
