"""Pydantic validation errors turned into the short "where: what" lines users see."""

from __future__ import annotations

from pydantic import ValidationError


def problems(exc: ValidationError, *, sep: str = ".") -> list[tuple[str, str]]:
    """(location joined by `sep`, message without pydantic's "Value error, " prefix) per error."""
    return [
        (sep.join(str(p) for p in err["loc"]), str(err["msg"]).removeprefix("Value error, "))
        for err in exc.errors()
    ]


def first_problem(exc: ValidationError, *, default: str = "input") -> str:
    """'size: String should match pattern ...' for the first error (location `default` when empty)."""
    where, msg = problems(exc)[0]
    return f"{where or default}: {msg}"


def first_problem_in(table: str, exc: ValidationError) -> str:
    """'model[2].price_usd: Input should be ...' for the first error inside a numbered table."""
    where, msg = problems(exc)[0]
    return f"{table}{'.' + where if where else ''}: {msg}"
