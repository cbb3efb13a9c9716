"""Turning form posts into validated models, and validation errors into Chinese messages.

Messages name the field and the rule, never echo what was typed: an error page must not become
a way to reflect input back into the page.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

_RULES = {
    "missing": "必填",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "bool_parsing": "须为是或否",
}
MAX_FIELD = 5000
M = TypeVar("M", bound=BaseModel)


def form_dict(form: FormData, checkboxes: tuple[str, ...] = ()) -> dict[str, Any]:
    """Plain dict of the submitted strings (over-long values cut, so validation reports them, not crashes)."""
    data: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, str):
            data[key] = value[:MAX_FIELD]
    for key in checkboxes:
        data[key] = key in form and form[key] in ("on", "true", "1", "yes")
    return data


def describe(error: ValidationError, labels: dict[str, str]) -> list[str]:
    messages = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        label = labels.get(field, field)
        rule = _RULES.get(item["type"])
        if rule:
            text = rule.format(**item.get("ctx", {}))
        elif item["type"] == "value_error":
            text = str(item["msg"]).removeprefix("Value error, ")
        else:
            text = "格式不正确"
        messages.append(f"{label}：{text}")
    return messages


def parse(model: type[M], data: dict[str, Any], labels: dict[str, str]) -> tuple[M | None, list[str]]:
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, describe(error, labels)
