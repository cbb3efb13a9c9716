"""The steward-editable trade-secret lexicon (``configs/lexicons/trade_secret.yaml``).

Trade secrets are a property of a column in its table, not of a cell: 营业收入 of an
identified enterprise is secret, the same figure summed by district is not. So the lexicon
gives keyword categories with weights, exclusions for public statistics, and the signals that
make a table "about identified enterprises". Errors name the file and key, never a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# The repository's project lexicon when run from a checkout, else the copy shipped in the package.
_CHECKOUT_PATH = Path(__file__).resolve().parent.parent / "configs" / "lexicons" / "trade_secret.yaml"
PACKAGED_PATH = Path(__file__).resolve().parent / "trade_secret.yaml"
DEFAULT_PATH = _CHECKOUT_PATH if _CHECKOUT_PATH.is_file() else PACKAGED_PATH
_project_path: Path | None = None


def use_default(path: Path | None) -> None:
    """Make ``path`` (a project's lexicon) the default of ``load_lexicon``; None: the built-in one."""
    global _project_path
    _project_path = path


def default_path() -> Path:
    """The lexicon ``load_lexicon()`` reads: the current project's, else the built-in one."""
    return _project_path or DEFAULT_PATH


class LexiconError(ValueError):
    """The lexicon file cannot be used; the message is one line naming the file and key."""


@dataclass(frozen=True)
class Category:
    name: str
    weight: float
    numeric: bool
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class TradeSecretLexicon:
    categories: tuple[Category, ...]
    exclude: tuple[str, ...] = ()
    threshold: float = 0.6
    numeric_boost: float = 0.1
    context_boost: float = 0.3
    enterprise_headers: tuple[str, ...] = ()
    name_suffixes: tuple[str, ...] = ()
    source: str = "<built-in>"

    def category_for(self, header: str) -> Category | None:
        """The heaviest category whose keyword occurs in the column name, unless excluded."""
        low = header.lower()
        if any(word.lower() in low for word in self.exclude):
            return None
        best: Category | None = None
        for category in self.categories:
            if any(word.lower() in low for word in category.keywords) and (
                best is None or category.weight > best.weight
            ):
                best = category
        return best

    def is_enterprise_header(self, header: str) -> bool:
        low = header.lower()
        return any(word.lower() in low for word in self.enterprise_headers)


def _fail(path: Path, key: str, message: str) -> LexiconError:
    return LexiconError(f"{path}: {key}: {message}")


def _words(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise _fail(path, key, "expected a list of words")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _number(path: Path, key: str, value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _fail(path, key, "expected a number between 0 and 1")
    return float(value)


def parse_lexicon(data: Any, path: Path) -> TradeSecretLexicon:
    if not isinstance(data, dict):
        raise _fail(path, "(top level)", "expected a mapping")
    known = {"version", "threshold", "numeric_boost", "categories", "exclude", "enterprise_context"}
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise _fail(path, unknown[0], f"unknown key; expected one of {sorted(known)}")
    raw_categories = data.get("categories")
    if not isinstance(raw_categories, dict) or not raw_categories:
        raise _fail(path, "categories", "expected a mapping of category name to settings")
    categories = []
    for name, body in raw_categories.items():
        key = f"categories.{name}"
        if not isinstance(body, dict):
            raise _fail(path, key, "expected a mapping with weight and keywords")
        extra = sorted(set(map(str, body)) - {"description", "weight", "numeric", "keywords"})
        if extra:
            raise _fail(path, f"{key}.{extra[0]}", "unknown key")
        keywords = _words(path, f"{key}.keywords", body.get("keywords"))
        if not keywords:
            raise _fail(path, f"{key}.keywords", "list at least one keyword")
        categories.append(
            Category(
                name=str(name),
                weight=_number(path, f"{key}.weight", body.get("weight"), 0.5),
                numeric=bool(body.get("numeric", False)),
                keywords=keywords,
            )
        )
    context = data.get("enterprise_context") or {}
    if not isinstance(context, dict):
        raise _fail(path, "enterprise_context", "expected a mapping")
    return TradeSecretLexicon(
        categories=tuple(categories),
        exclude=_words(path, "exclude", data.get("exclude")),
        threshold=_number(path, "threshold", data.get("threshold"), 0.6),
        numeric_boost=_number(path, "numeric_boost", data.get("numeric_boost"), 0.1),
        context_boost=_number(path, "enterprise_context.boost", context.get("boost"), 0.3),
        enterprise_headers=_words(path, "enterprise_context.headers", context.get("headers")),
        name_suffixes=_words(path, "enterprise_context.name_suffixes", context.get("name_suffixes")),
        source=str(path),
    )


def load_lexicon(path: str | Path | None = None) -> TradeSecretLexicon:
    """Load the lexicon; default: the project's ``configs/lexicons/trade_secret.yaml`` (``default_path``)."""
    target = Path(path) if path is not None else default_path()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LexiconError(f"{target}: file not found") from None
    except UnicodeDecodeError:
        raise LexiconError(f"{target}: not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise LexiconError(f"{target}: invalid YAML{where}") from None
    return parse_lexicon(data, target)
