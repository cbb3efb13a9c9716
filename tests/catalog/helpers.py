"""Hand-made release records and staged folders, so catalog tests need nothing of the pipeline."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from catalog.record import Check, DatasetMeta, Decision, PublishedColumn, QualitySummary, ReleaseRecord
from catalog.staging import write_staged
from catalog.store import CatalogStore

COLUMNS = [
    PublishedColumn(name="站点", type="string", action="keep"),
    PublishedColumn(name="日期", type="date", action="keep"),
    PublishedColumn(name="客流", type="integer", action="keep"),
    PublishedColumn(name="联系电话", type="string", action="mask", entity="CN_PHONE"),
]


def frame(rows: int = 3, offset: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "站点": [f"站点{i}" for i in range(rows)],
            "日期": pd.to_datetime(["2024-01-01"] * rows).date,
            "客流": [100 + i + offset for i in range(rows)],
            "联系电话": ["138****0000"] * rows,
        }
    )


def make_record(
    dataset_id: str = "bus-ridership",
    cls: str = "unconditional",
    title: str = "公交客流统计",
    run_id: str = "run-1",
    publisher: str = "济南市交通运输局",
    theme: str = "交通出行",
) -> ReleaseRecord:
    decision = None
    if cls != "not_open":
        decision = Decision(
            declared_class="not_open",
            basis=["personal_information"],
            target_class=cls,  # type: ignore[arg-type]
            published_class=cls,
            reclassified=True,
            reason="脱敏后满足开放要求",  # type: ignore[arg-type]
            checks=[Check(name="k_anonymity", passed=True, figure="k=5", requirement="k>=5")],
            policy_version="2024-1",
            policy_sha256="0" * 64,
        )
    return ReleaseRecord(
        run_id=run_id,
        dataset=DatasetMeta(
            id=dataset_id,
            title=title,
            description=f"{title}的说明",
            publisher=publisher,
            publisher_code="JN-JT",
            theme=theme,
            keywords=["客流", "公交"],
            update_frequency="monthly",
            licence="CC-BY-4.0",
            contact="data@example.gov.cn",
            declared_class="not_open" if cls == "not_open" else "conditional",  # type: ignore[arg-type]
            basis=["personal_information"] if cls == "not_open" else ["consent"],
            conditions="仅限科研用途" if cls == "conditional" else None,
        ),
        spec_path=f"configs/datasets/{dataset_id}.yaml",
        spec_sha256="1" * 64,
        policy_version="2024-1",
        rows_in=3,
        rows_out=3,
        columns=COLUMNS,
        decision=decision,
        quality=QualitySummary(passed=True, evaluated=4, docs_index="quality/index.html"),
    )


def stage(
    folder: Path,
    rows: int = 3,
    offset: int = 0,
    formats: tuple[str, ...] = ("csv", "parquet", "json"),
    quality: bool = True,
) -> Path:
    """Write a staged folder exactly as the pipeline does: data.csv, data.parquet, data.json, quality/."""
    write_staged(frame(rows, offset), folder, COLUMNS, formats)
    if quality:
        (folder / "quality").mkdir(exist_ok=True)
        (folder / "quality" / "index.html").write_text("<html><body>质量报告</body></html>", "utf-8")
    return folder


XSS_TITLE = '道路<script>alert("x")</script>养护'


def build_catalog(root: Path, base_url: str = "http://localhost:8000") -> CatalogStore:
    """A small catalog with one dataset of each class, one with two versions and one with a hostile title."""
    store = CatalogStore(root / "catalog", base_url=base_url)
    store.publish(make_record("bus-ridership"), stage(root / "s-bus-1"))
    store.publish(make_record("bus-ridership", run_id="run-2"), stage(root / "s-bus-2", offset=7))
    store.publish(
        make_record(
            "clinic-visits", cls="conditional", title="门诊量统计", publisher="济南市卫生健康委员会", theme="医疗卫生"
        ),
        stage(root / "s-clinic", formats=("csv",)),
    )
    store.publish(
        make_record("court-cases", cls="not_open", title="案件信息", publisher="济南市中级人民法院", theme="司法"), None
    )
    store.publish(make_record("road-works", title=XSS_TITLE, theme="城市建设"), stage(root / "s-road", quality=False))
    return store


CSRF_META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]{64})">')


def portal_client_class():
    """A Starlette TestClient that sends the portal's CSRF token with every POST, as its forms do."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    class PortalClient(TestClient):
        def csrf(self) -> str:
            match = CSRF_META.search(self.get("/").text)
            assert match, "the portal renders no CSRF token"
            return match.group(1)

        def post(self, url, *args, data=None, **kwargs):  # type: ignore[override]
            data = dict(data or {})
            data.setdefault("csrf", self.csrf())
            return super().post(url, *args, data=data, **kwargs)

    return PortalClient


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(app: Any, port: int) -> Iterator[str]:
    """`app` on a real uvicorn server on 127.0.0.1:`port`, in a thread; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


serve = serving  # the harvest tests' name for the same helper
