"""Independent reference implementations for the tests: plain pandas and Python, written from the
definitions, sharing no code with the modules under test."""

from __future__ import annotations

import itertools
import math

import pandas as pd


def generalize(df: pd.DataFrame, qi: list[str], rows: dict[str, list[list[str]]], levels) -> pd.DataFrame:
    out = df.copy()
    for column, level in zip(qi, levels, strict=True):
        mapping = {row[0]: row[level] for row in rows[column]}
        out[column] = [mapping[str(v)] for v in df[column]]
    return out


def class_violates(group: pd.DataFrame, model: dict, overall: pd.Series, order: list) -> bool:
    if len(group) < model.get("k", 1):
        return True
    sensitive = model.get("sensitive")
    if sensitive is None:
        return False
    counts = group[sensitive].value_counts()
    p = counts / counts.sum()
    if model.get("l") is not None:
        if model.get("l_variant", "distinct") == "distinct":
            if len(counts) < model["l"]:
                return True
        elif -sum(x * math.log(x) for x in p) < math.log(model["l"]) - 1e-12:
            return True
    if model.get("t") is not None:
        if model.get("t_distance", "equal") == "equal":
            d = 0.5 * sum(abs(p.get(v, 0.0) - overall[v]) for v in overall.index)
        else:
            m = len(order)
            cum_p = cum_q = 0.0
            total = 0.0
            for v in order[:-1]:
                cum_p += p.get(v, 0.0)
                cum_q += overall[v]
                total += abs(cum_p - cum_q)
            d = total / (m - 1) if m > 1 else 0.0
        if d > model["t"] + 1e-12:
            return True
    return False


def evaluate(df, qi, rows, levels, model, limit):
    """(anonymous, suppressed row mask) of one node, by plain groupby."""
    g = generalize(df, qi, rows, levels)
    sensitive = model.get("sensitive")
    overall = df[sensitive].value_counts(normalize=True) if sensitive else None
    order = sorted(overall.index) if sensitive else []
    suppressed = pd.Series(False, index=df.index)
    for _, group in g.groupby(qi):
        if class_violates(group, model, overall, order):
            suppressed[group.index] = True
    return int(suppressed.sum()) <= limit * len(df) + 1e-9, suppressed


def metric_value(df, qi, rows, levels, suppressed, metric):
    n = len(df)
    if metric == "discernibility":
        g = generalize(df, qi, rows, levels)[~suppressed]
        sizes = g.groupby(qi).size() if len(g) else pd.Series(dtype=int)
        return float((sizes**2).sum() + suppressed.sum() * n)
    per_column = []
    for column, level in zip(qi, levels, strict=True):
        mapping = {row[0]: row[level] for row in rows[column]}
        original = df[column].astype(str)
        gen = original.map(mapping)
        c0, cg = original.map(original.value_counts()), gen.map(gen.value_counts())
        if metric in ("entropy", "monotonic_entropy"):
            cost = [-math.log2(a / (n if (s and metric == "entropy") else b))
                    for a, b, s in zip(c0, cg, suppressed, strict=True)]
            per_column.append(sum(cost))
        elif metric == "loss":
            domain = len(rows[column])
            leaves = pd.Series([row[level] for row in rows[column]]).value_counts()
            x = sum(1.0 if s else leaves[v] / domain for v, s in zip(gen, suppressed, strict=True))
            low = n / domain
            per_column.append(max(0.0, (x - low) / (n - low)) if n - low > 0 else 0.0)
        else:
            top = max(len(rows[column][0]) - 1, 1)
            per_column.append(sum(1.0 if s else level / top for s in suppressed) / n)
    if metric in ("entropy", "monotonic_entropy"):
        return float(sum(per_column))
    if metric == "precision":
        return float(sum(per_column) / len(per_column))
    return float(math.prod(1 + x for x in per_column) ** (1 / len(per_column)) - 1)


def brute_force(df, qi, rows, model, limit, metric):
    """All anonymous nodes with their values: {levels: value}."""
    out = {}
    for levels in itertools.product(*[range(len(rows[c][0])) for c in qi]):
        anonymous, suppressed = evaluate(df, qi, rows, levels, model, limit)
        if anonymous:
            out[levels] = metric_value(df, qi, rows, levels, suppressed, metric)
    return out
