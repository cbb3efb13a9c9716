"""Benchmark of a whole release against a plain copy: CPU, wall and peak RSS, as ratios to the baseline.

Run from the repository root (one command; the table is generated once and cached under benchmarks/.cache):

    .venv/bin/python benchmarks/bench_release.py --rows 100000
    .venv/bin/python benchmarks/bench_release.py --rows 1000000
    .venv/bin/python benchmarks/bench_release.py --rows 10 --whole-only      # the fixed cost, first release
    .venv/bin/python benchmarks/bench_release.py --rows 10 --whole-only --warm   # …a project's later releases
    .venv/bin/python benchmarks/bench_release.py --spec configs/datasets/cultural-venues.yaml  # small, published
    .venv/bin/python benchmarks/bench_release.py --rows 10 --server   # the fixed cost against a running server
    .venv/bin/python benchmarks/bench_release.py --rows 100000 --workers 2   # single process vs 2 local workers
    .venv/bin/python benchmarks/bench_release.py --rows 100000 --dask tcp://HOST:8786   # vs an existing cluster

The table is the social-insurance sample's generator scaled up (12 columns and a free-text remark
column; see bench_guard.py). Two measurements, each against the baseline ``pandas.read_csv`` →
``to_parquet`` of the same file measured in the same run:

- *whole process*: ``kaifang release SPEC --catalog DIR`` in a child process (the spec is the shipped
  social-insurance spec pointed at the generated file), CPU-seconds of the child and everything it
  starts (its Prefect API server included), wall seconds and peak RSS (the largest process's high-water
  mark and the whole tree's sampled sum);
- *in process*: the pipeline's stage functions called here (no Prefect), per stage, as bench_guard.py
  runs them, plus publishing into a catalog with the files checked against their write-time facts.

With ``--workers N`` or ``--dask ADDRESS`` the whole-process release runs twice, in one process and with
the desensitize parts on Dask (``kaifang release --workers N`` / ``--dask ADDRESS``), against the same
baseline; CPU-seconds then include the worker processes (a local cluster's are descendants of the child;
an existing cluster's are read from its workers before and after), RSS is the peak of the whole process
tree's sum, sampled every 0.1 s, and both runs' verdicts (decision and checks) and published data files
are compared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_guard import baseline, print_stages, release, table  # noqa: E402

BENCH_KEY = "62656e63682d6b65792d30313233343536373839616263646566303132333435"


def bench_spec(data: Path, name: str) -> Path:
    """The shipped social-insurance spec, reading ``data``; hierarchies stay where the repository has them.

    Written beside the data: a file source must lie in its spec's folder or the policy's source_roots,
    and the shipped policy's roots are the samples. The caller deletes it."""
    text = (ROOT / "configs" / "datasets" / "social-insurance.yaml").read_text(encoding="utf-8")
    text = text.replace("path: ../samples/social_insurance.csv", f"path: {data.name}")
    text = text.replace("hierarchies: ../hierarchies/social-insurance",
                        f"hierarchies: {ROOT / 'configs' / 'hierarchies' / 'social-insurance'}")
    spec = data.parent / f".bench-{os.getpid()}-{name}.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def release_env(state: Path) -> dict[str, str]:
    """The environment of a measured ``kaifang release``: its machine-local state is ``state`` only.

    A Prefect home or jieba cache set in the caller's environment (the Makefile exports PREFECT_HOME)
    would take precedence over the state folder's, and a run meant to start cold would find another
    run's migrated database; nor may a release talk to an API the caller happens to name."""
    env = {**os.environ, "KAIFANG_PSEUDONYM_KEY": BENCH_KEY, "KAIFANG_STATE": str(state)}
    for name in ("PREFECT_API_URL", "PREFECT_HOME", "KAIFANG_JIEBA_CACHE_DIR"):
        env.pop(name, None)
    return env


def outcome(scratch: Path, catalog: str) -> str:
    """One line on how a measured release ended (a run that failed early measures nothing)."""
    text = (scratch / f"{catalog}.json").read_text(encoding="utf-8")
    try:
        records = json.loads(text[text.index("[\n"):])  # after any line a library printed
    except ValueError:
        return "no release record printed"
    return "; ".join(f"{r['status']}" + (f" at {r['failed_stage']}: {r['failure']}" if r.get("failure") else "")
                     for r in records)


def child(command: list[str], env: dict[str, str], cwd: Path, peak: list[float] | None = None,
          out: Path | None = None) -> tuple[float, float, int, float]:
    """CPU-s (the child and all it waited for), wall s, exit code and peak RSS (MB) of a command.

    The peak is the largest high-water mark (``VmHWM``) of any process in the child's tree, read from
    /proc while it runs. Not wait4's ``ru_maxrss``: Linux carries that figure across fork and exec, so
    a child started after this process held a large table reports this process's peak, not its own.
    With ``peak``, its first item becomes the largest RSS sum of the child's whole process tree (MB);
    with ``out``, the command's standard output goes there."""
    wall = time.perf_counter()
    stdout = out.open("wb") if out is not None else subprocess.DEVNULL
    tree = [0.0] if peak is None else peak
    high = [0.0]
    with stdout if out is not None else contextlib.nullcontext(), \
            subprocess.Popen(command, env=env, cwd=cwd, stdout=stdout, stderr=subprocess.DEVNULL) as run:
        stop = threading.Event()
        watcher = threading.Thread(target=tree_peak_rss, args=(run.pid, stop, tree, high), daemon=True)
        watcher.start()
        _, status, usage = os.wait4(run.pid, 0)  # this child's own usage, not every child's so far
        run.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        watcher.join()
    wall = time.perf_counter() - wall
    return usage.ru_utime + usage.ru_stime, wall, run.returncode, high[0]


def whole_baseline(data: Path, scratch: Path) -> tuple[float, float]:
    """The copy as a process of its own, interpreter and imports included (the issue's baseline)."""
    code = f"import pandas as pd; pd.read_csv({str(data)!r}, dtype='string').to_parquet({str(scratch / 'c.parquet')!r})"
    cpu, wall, _, _ = child([sys.executable, "-c", code], dict(os.environ), scratch)
    return cpu, wall


def whole_process(data: Path, scratch: Path, runner: list[str] | None = None, catalog: str = "catalog",
                  peak: list[float] | None = None, warm: bool = False) -> tuple[float, float, float, int]:
    """CPU-s, wall s and peak RSS (MB, the largest process of the release's tree; the baseline copy's
    does not count) of ``kaifang release``; its exit code.

    ``warm``: measure a second release in the same state folder, as a project's later releases run
    (Prefect's database migrated, jieba's dictionary cache written); else a fresh state folder."""
    spec = bench_spec(data, catalog)
    # Each run its own state (Prefect home): both pay the database's first migration.
    env = release_env(scratch / f"state-{catalog}")
    kaifang = Path(sys.executable).with_name("kaifang")
    command = [str(kaifang), "release", str(spec), "--catalog", str(scratch / catalog),
               "--policy", str(ROOT / "configs" / "policy.yaml"), "--json", *(runner or [])]
    try:
        if warm:
            child(command, env, scratch)
        cpu, wall, code, rss = child(command, env, scratch, peak, scratch / f"{catalog}.json")
    finally:
        spec.unlink(missing_ok=True)
    print(f"  {catalog}: {outcome(scratch, catalog)}")
    return cpu, wall, rss, code


def tree_peak_rss(pid: int, stop: threading.Event, peak: list[float], high: list[float]) -> None:
    """Sampled every 0.1 s until ``stop``: ``peak[0]`` becomes the largest sum of RSS (MB) over a process
    and all its descendants, ``high[0]`` the largest high-water mark (VmHWM, MB) of any one of them.

    The kernel keeps VmHWM per process image, so the last sample before a process ends holds its true
    peak however short the spike; the tree sum is only as good as the sampling."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.wait(0.1):
        total = 0
        try:
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
            high[0] = max(high[0], high_water_mb(process.pid))
        peak[0] = max(peak[0], total / 2**20)


def high_water_mb(pid: int) -> float:
    """A process's peak resident set so far (``VmHWM`` in /proc/PID/status), MB; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0.0


def cluster_cpu(address: str | None) -> float:
    """CPU-s used so far by the worker processes of an existing cluster (0 without one)."""
    if not address:
        return 0.0
    from distributed import Client

    def used() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    with Client(address, set_as_default=False) as client:
        return sum(client.run(used).values())


def measured(data: Path, scratch: Path, runner: list[str], catalog: str,
             address: str | None) -> tuple[float, float, float, int]:
    """As whole_process, with the cluster's CPU added and the process tree's peak RSS instead."""
    peak = [0.0]
    before = cluster_cpu(address)
    cpu, wall, _, code = whole_process(data, scratch, runner, catalog, peak)
    return cpu + cluster_cpu(address) - before, wall, peak[0], code


def same_release(scratch: Path, first: str, second: str) -> bool:
    """Did two runs (their --json records and published data files) reach the same verdict and bytes?"""
    def outcome(catalog: str) -> tuple:
        text = (scratch / f"{catalog}.json").read_text(encoding="utf-8")
        records = json.loads(text[text.index("[\n"):])
        verdicts = [(r["status"], r.get("decision"), r.get("evaluation"), r.get("rows_out")) for r in records]
        files = {p.name: p.read_bytes() for p in sorted((scratch / catalog).glob("datasets/*/[0-9]*/data.*"))}
        return verdicts, files

    return outcome(first) == outcome(second)


def compare_runners(data: Path, scratch: Path, args: argparse.Namespace, proc_cpu: float, proc_wall: float) -> None:
    """The release in one process and on Dask, each against the copy process and one another."""
    runner = ["--dask", args.dask] if args.dask else ["--workers", str(args.workers)]
    label = f"--dask {args.dask}" if args.dask else f"--workers {args.workers}"
    single = measured(data, scratch, [], "catalog-single", None)
    on_dask = measured(data, scratch, runner, "catalog-dask", args.dask)
    for name, (cpu, wall, rss, code) in (("single process", single), (label, on_dask)):
        print(f"{name:>16}: {cpu:8.1f} CPU-s ({cpu / proc_cpu:5.1f}× the copy process), {wall:7.1f} s wall "
              f"({wall / proc_wall:5.1f}×), peak RSS of all processes {rss:.0f} MB, exit {code}")
    print(f"Dask / single process: CPU {on_dask[0] / single[0]:.2f}×, wall {on_dask[1] / single[1]:.2f}×, "
          f"peak RSS {on_dask[2] / max(single[2], 1):.2f}×; same verdict and published bytes: "
          f"{same_release(scratch, 'catalog-single', 'catalog-dask')}")


def publish_in_process(work: Path) -> tuple[float, float]:
    """What publishing adds to writing: hash the staged files, measure them again, check them against the facts."""
    import pyarrow.parquet as pq

    from catalog.files import scan_staged
    from catalog.written import check_written, describe_written

    staged = work / "staged"
    paths = sorted(p for p in staged.iterdir() if p.is_file() and p.name.startswith("data."))
    meta = pq.ParquetFile(staged / "data.parquet")
    cpu, wall = time.process_time(), time.perf_counter()
    facts = describe_written(staged, paths, meta.metadata.num_rows, meta.schema_arrow.names)
    data, _ = scan_staged(staged)
    schema = [(name, "") for name in meta.schema_arrow.names]
    problems = check_written(staged, facts, {f.path: (f.bytes, f.sha256) for f in data}, schema)
    assert not problems, problems
    return time.process_time() - cpu, time.perf_counter() - wall


def spec_release(spec: Path, server: bool = False) -> None:
    """The fixed cost of a small release that publishes: a shipped spec as it is, warm state, fresh catalog.

    The 10-row social-insurance table is refused at verify (every record is unique), so it never pays
    for validation (Great Expectations) and publishing; a shipped sample that publishes does. With
    ``server``, against a running Prefect server, whose CPU during the release is added."""
    from pipelines.extract import detect_encoding
    from pipelines.spec import load_spec

    loaded = load_spec(spec)
    source = loaded.resolve(loaded.spec.source.file.path)
    with tempfile.TemporaryDirectory() as scratch_dir, contextlib.ExitStack() as stack:
        scratch = Path(scratch_dir)
        code = (f"import pandas as pd; pd.read_csv({str(source)!r}, dtype='string', "
                f"encoding={detect_encoding(source)!r}).to_parquet({str(scratch / 'c.parquet')!r})")
        proc_cpu, proc_wall, _, _ = child([sys.executable, "-c", code], dict(os.environ), scratch)
        env = release_env(scratch / "state")
        server_cpu: Callable[[], float] = lambda: 0.0  # noqa: E731 - no server of its own
        if server:
            env["PREFECT_API_URL"], server_cpu = stack.enter_context(prefect_server(scratch))
        kaifang = Path(sys.executable).with_name("kaifang")

        def command(catalog: str) -> list[str]:
            return [str(kaifang), "release", str(spec), "--catalog", str(scratch / catalog),
                    "--policy", str(ROOT / "configs" / "policy.yaml"), "--json"]

        child(command("first"), env, scratch)  # migrates Prefect's database, writes jieba's cache
        tree, before = [0.0], server_cpu()
        cpu, wall, code_, rss = child(command("catalog"), env, scratch, tree, scratch / "catalog.json")
        cpu += server_cpu() - before
        where = "against a running Prefect server (its CPU included)" if server else "its own temporary server"
        print(f"{spec.name}: copy of its source as a process {proc_cpu:.2f} CPU-s; "
              f"release ({outcome(scratch, 'catalog')}), warm state, fresh catalog, {where}: {cpu:.1f} CPU-s "
              f"({cpu / proc_cpu:.1f}× the copy), {wall:.1f} s wall, peak RSS {rss:.0f} MB (largest process; "
              f"{tree[0]:.0f} MB all processes), exit {code_}")


@contextlib.contextmanager
def prefect_server(scratch: Path) -> Iterator[tuple[str, Callable[[], float]]]:
    """A Prefect server of its own (``prefect server start``, fresh home, a free port), as a data office
    that schedules releases runs one; yields its API address and a function giving its CPU-s so far."""
    import socket
    import urllib.request

    import psutil

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PREFECT_HOME": str(scratch / "server-home"), "PREFECT_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    prefect = Path(sys.executable).with_name("prefect")
    server = subprocess.Popen([str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the Prefect server did not start") from None
                time.sleep(1)

        def used() -> float:
            total = 0.0
            root = psutil.Process(server.pid)
            for process in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = process.cpu_times()
                    total += times.user + times.system
            return total

        yield api, used
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--whole-only", action="store_true", help="only the whole-process release")
    parser.add_argument("--warm", action="store_true", help="time a second release in the same state folder")
    parser.add_argument("--workers", type=int, default=0,
                        help="also release with the desensitize parts on a local cluster of N workers")
    parser.add_argument("--dask", metavar="ADDRESS", help="also release on this existing Dask cluster")
    parser.add_argument("--spec", type=Path, help="instead: release this spec as it is (warm state, fresh catalog)")
    parser.add_argument("--server", action="store_true",
                        help="against a running Prefect server of its own instead of the release's temporary one "
                             "(with --rows or --spec; warm state, fresh catalog)")
    args = parser.parse_args()
    if args.spec is not None:
        spec_release(args.spec.resolve(), args.server)
        return
    data = table(args.rows)
    if args.server:  # the generated table's spec, released as --spec releases a shipped one
        spec = bench_spec(data, "server")
        try:
            spec_release(spec, server=True)
        finally:
            spec.unlink(missing_ok=True)
        return
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        base_cpu, base_wall = baseline(data, scratch / "copy.parquet")
        proc_cpu, proc_wall = whole_baseline(data, scratch)
        print(f"rows {args.rows:,}; baseline read_csv → to_parquet: in process {base_cpu:.2f} CPU-s, "
              f"{base_wall:.2f} s; as a process {proc_cpu:.2f} CPU-s, {proc_wall:.2f} s")
        if args.workers or args.dask:
            compare_runners(data, scratch, args, proc_cpu, proc_wall)
            return
        tree = [0.0]
        cpu, wall, rss, code = whole_process(data, scratch, peak=tree, warm=args.warm)
        print(f"whole process  kaifang release: {cpu:8.1f} CPU-s ({cpu / proc_cpu:5.1f}× the copy process), "
              f"{wall:7.1f} s wall ({wall / proc_wall:5.1f}×), peak RSS {rss:.0f} MB (largest process; "
              f"{tree[0]:.0f} MB all processes), exit {code}; {cpu / max(args.rows, 1) * 1e6:.0f} CPU-µs per row")
        if args.whole_only:
            return
        results = release(data, scratch / "run")
        verdict = results.pop("_verdict")
        results["check files"] = publish_in_process(scratch / "run")
    print(f"in process (stage functions, no Prefect), decision: {verdict}")
    _, total_wall = print_stages(results, base_cpu)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"in-process wall {total_wall / base_wall:.1f}× the baseline; peak RSS of this process "
          f"{peak:.0f} MB (the in-process baseline copy included)")


if __name__ == "__main__":
    main()
