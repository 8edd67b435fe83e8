"""A configuration that does not hold, said in one line: the variable, the value given
(a secret's hidden) and what is allowed, instead of pydantic's report of many lines."""

from __future__ import annotations

import re

from pydantic import AliasChoices, BaseModel, ValidationError
from pydantic_settings import SettingsError


def first_problem(exc: ValidationError, model: type[BaseModel]) -> str:
    problem = exc.errors(include_url=False)[0]
    name = str(problem["loc"][0]) if problem["loc"] else ""
    given = problem.get("input")
    shown = (
        "(hidden)"
        if _is_secret(model, name)
        else repr(given if isinstance(given, str) else str(given))
    )
    reason = problem["msg"].removeprefix("Value error, ")
    return f"{_variable(model, name)}={shown}: {reason[:1].lower()}{reason[1:]}"


def unparsed(exc: SettingsError, model: type[BaseModel]) -> str:
    """A list or a mapping that is not JSON."""
    found = re.search(r'field "(\w+)"', str(exc))
    variable = _variable(model, found.group(1)) if found else "a MUMU_ variable"
    return f'{variable}: not valid JSON (a list looks like ["/data"])'


def _variable(model: type[BaseModel], name: str) -> str:
    field_info = model.model_fields.get(name)
    alias = field_info.validation_alias if field_info else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"MUMU_{name.upper()}" if name else "a MUMU_ variable"


def _is_secret(model: type[BaseModel], name: str) -> bool:
    field_info = model.model_fields.get(name)
    return field_info is not None and "SecretStr" in str(field_info.annotation)
