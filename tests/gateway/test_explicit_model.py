"""`ogservice generate --model X` against the OpenAI emulator: X makes the image or the command fails
with the reason (no silent gradient); `--fallback` asks for a stand-in, which is then named; a refused
key is a configuration error that stops calls to the provider; `cost:` books what the vendor bills."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ogservice.config import PROVIDERS
from ogservice.gateway.cli_run import generate, spend
from tests.emulators.openai import OpenAIEmulator

MODEL = "gpt-image-2"  # $0.053 for a standard 1024x1024 image on tier pro


@pytest.fixture
def openai(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[OpenAIEmulator]:
    """The OpenAI emulator on loopback, the only vendor configured."""
    emulator = OpenAIEmulator()
    emulator.rate_limit_headers = {"retry-after": "0"}  # the retry need not wait
    for name in PROVIDERS:
        monkeypatch.delenv(f"OGS_{name.upper()}_API_KEY", raising=False)
        monkeypatch.delenv(f"OGS_{name.upper()}_BASE_URL", raising=False)
    monkeypatch.setenv("OGS_DATA_DIR", str(tmp_path / "data"))
    with emulator.serve() as url:
        monkeypatch.setenv("OGS_OPENAI_BASE_URL", url)
        monkeypatch.setenv("OGS_OPENAI_API_KEY", emulator.api_key)
        yield emulator


def run(out: Path, *extra: str, model: str = MODEL, tier: str = "pro") -> Result:
    args = ["-p", "a red fox, studio photo", "--model", model, "--tier", tier, "--size", "1024x1024"]
    return CliRunner().invoke(generate, [*args, "-o", str(out), *extra])


def test_a_named_model_the_tier_does_not_offer_fails_the_command(openai, tmp_path):
    result = run(tmp_path / "fox.png", tier="free")
    assert result.exit_code == 1, result.output
    assert f"model '{MODEL}' cannot serve this request: not offered on tier free" in result.output
    assert not (tmp_path / "fox.png").exists() and openai.requests == []


@pytest.mark.parametrize(
    ("failure", "count", "error"),
    [("server_error", 9, "ProviderUnavailable"), ("not_image", 1, "BadResponse")],
)
def test_a_named_model_that_fails_fails_the_command_with_the_reason(openai, tmp_path, failure, count, error):
    openai.inject(failure, count)
    result = run(tmp_path / "fox.png")
    assert result.exit_code == 1, result.output
    assert f"{MODEL}: {error}" in result.output and "local-procedural" not in result.output
    assert not (tmp_path / "fox.png").exists()


def test_fallback_is_asked_for_and_the_substitute_is_named(openai, tmp_path):
    openai.inject("server_error", 9)
    result = run(tmp_path / "fox.png", "--fallback")
    assert result.exit_code == 0, result.output
    assert f"served in place of {MODEL} (--fallback)" in result.output
    assert (tmp_path / "fox.png").exists()


def test_a_refused_key_is_a_configuration_error_and_stops_calls_to_the_provider(openai, tmp_path):
    openai.inject("unauthorized")
    first = run(tmp_path / "fox.png")
    assert first.exit_code == 1, first.output
    assert "configuration error: the API key was refused" in first.output
    assert "check OGS_OPENAI_API_KEY" in first.output
    assert len(openai.requests) == 1  # not retried
    # The provider's breaker is open: no model of it is called, each says why.
    for model in (MODEL, "gpt-image-1.5"):
        again = run(tmp_path / "fox.png", model=model)
        assert again.exit_code == 1, again.output
        assert "provider openai refused the API key (check OGS_OPENAI_API_KEY)" in again.output
    assert len(openai.requests) == 1 and not (tmp_path / "fox.png").exists()


def test_one_429_then_a_success_costs_one_image(openai, tmp_path):
    openai.inject("rate_limit")
    result = run(tmp_path / "fox.png")
    assert result.exit_code == 0, result.output
    assert len(openai.requests) == 2 and "attempt 1: gpt-image-2 RateLimited" in result.output
    # One image: the price OpenAI reports for it (usage tokens), nothing for the 429.
    assert "attempt 1: gpt-image-2 RateLimited" in result.output and "$0.0000" in result.output
    assert "cost:     $0.0317" in result.output
    ledger = json.loads(CliRunner().invoke(spend, ["--json"]).output)
    assert (ledger["predicted_usd"], ledger["actual_usd"]) == (0.053, 0.031705)  # one image each
    assert ledger["calls"] == 2 and ledger["errors"] == 1


def test_a_refusal_at_the_door_books_nothing(openai, tmp_path):
    openai.inject("unauthorized")
    result = run(tmp_path / "fox.png")
    assert "$0.0000" in result.output
    ledger = json.loads(CliRunner().invoke(spend, ["--json"]).output)
    assert ledger["predicted_usd"] == ledger["actual_usd"] == 0.0
