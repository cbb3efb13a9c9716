"""CLI command groups, one module per capability; `pipelines.cli` gathers their `commands` lists."""
