"""The whole `entra-pg plan` against the raw Pulumi SDK, same resource count, in one run.

For each size PxD (P principals over D databases) it generates a realistic stack (D databases
with one to four schemas each, built-in and custom profiles; users, existing groups, groups and
applications the stack creates, with owners, members and federated credentials, service
principals, a few migration identities holding `ddl`), then measures, each in a fresh
interpreter so that peak memory (max RSS) belongs to that measurement alone:

- ours: `entra-pg plan --stack bench` exactly as a user runs it (`entra_pg.cli.main`): the
  program under the mock monitor, the policy pack over gRPC, the access matrix and the rich
  tables (written to /dev/null). The pack runs in its own process; its peak is reported
  apart ("pack MB") and is not in "ours MB".
- raw: the Pulumi SDK alone registering as many typed resources (`pulumi_postgresql.Role`)
  as ours declared, under the SDK's own `MockMonitor` and its own `run_in_stack` (no
  entra-pg code, no recording, no policy pack, nothing rendered).

Printed per size: resources, wall seconds, CPU seconds (user + system; ours includes the
pack's) and peak MB of both, the ratios ours/raw (time, CPU and memory; below 1.0 means ours
is cheaper; on a busy machine the CPU ratio is the steadier one), where ours spent its time
(program, policy pack, the rest: imports, config, matrix and rendering), and whether the
offline runner's SDK workarounds were active (`entra_pg.mockrun.sdkpatch`). The ratios are
what to compare across machines, not the absolute figures; on a shared machine run it more
than once (`--repeat`). `ENTRA_PG_SDK_WORKAROUNDS=0` measures ours without the workarounds.

    .venv/bin/python benchmarks/plan_scale.py                 # sizes 100x3 1000x10
    .venv/bin/python benchmarks/plan_scale.py 10x1 400x5 --repeat 3
    .venv/bin/python benchmarks/plan_scale.py 1000x10 --json  # one JSON line per measurement
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import textwrap
import uuid
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = ("100x3", "1000x10")
NAMESPACE = "entra-postgres"
_IDS = uuid.UUID("7f1c9a4e-2b3d-4e5f-8a6b-9c0d1e2f3a4b")

# Runs in the child interpreter: the CLI as a user runs it, with timers around its phases.
OURS = textwrap.dedent(
    """
    import contextlib, json, os, resource, sys, time
    from pathlib import Path
    project, stack = sys.argv[1], sys.argv[2]

    def cpu_seconds(who):
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    timings = {"program": 0.0, "policies": 0.0, "resources": 0}
    # The peak of each process the plan starts (the pack, the Analyze relay), as its own
    # VmHWM, sampled while it runs: the peak only grows, so the last reading is within 20 ms
    # of the end. (RUSAGE_CHILDREN would give only the largest of them, and Linux counts a
    # child's RSS from before its exec, that is this process's, in its ru_maxrss.)
    import subprocess, threading
    peaks, started = {"pack": 0.0, "relay": 0.0}, []
    real_init = subprocess.Popen.__init__

    def tracked_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        command = " ".join(map(str, self.args)) if isinstance(self.args, list) else str(self.args)
        started.append((self.pid, "relay" if "relay.py" in command else "pack"))

    def sample():
        while True:
            for pid, kind in list(started):
                try:
                    with open(f"/proc/{pid}/status") as status:
                        for line in status:
                            if line.startswith("VmHWM:"):
                                peaks[kind] = max(peaks[kind], int(line.split()[1]) / 1024)
                except OSError:
                    pass
            time.sleep(0.02)

    subprocess.Popen.__init__ = tracked_init
    threading.Thread(target=sample, daemon=True).start()
    start = time.perf_counter()
    import entra_pg.mockrun as mockrun
    import entra_pg.policycheck as policycheck
    run_program = mockrun.run_program
    streaming = getattr(policycheck, "StreamingCheck", None)  # None: an older tree
    check = streaming.finish if streaming is not None else policycheck.check

    def timed_run(*args, **kwargs):
        began = time.perf_counter()
        run = run_program(*args, **kwargs)
        timings["program"] += time.perf_counter() - began
        timings["resources"] = len(run.resources)
        return run

    def timed_check(*args, **kwargs):
        began = time.perf_counter()
        try:
            return check(*args, **kwargs)
        finally:
            timings["policies"] += time.perf_counter() - began

    mockrun.run_program = timed_run
    if streaming is not None:  # the pack judges while the program runs: time what is left
        streaming.finish = timed_check
    else:
        policycheck.check = timed_check
    from entra_pg import cli
    cli.run_program = timed_run  # the name cli imported, whichever module it came from
    try:
        from entra_pg.mockrun import sdkpatch
        patched = sdkpatch.status().active
    except ImportError:  # an older tree without the workarounds
        patched = None
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        code = cli.main(["plan", "--stack", stack, "--project-dir", project])
    seconds = time.perf_counter() - start
    print(json.dumps({
        "code": code,
        "seconds": seconds,
        "resources": timings["resources"],
        "program_s": timings["program"],
        "policies_s": timings["policies"],
        "cpu_s": cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "pack_mb": peaks["pack"],
        "relay_mb": peaks["relay"],
        "patched": patched,
    }))
    """
)

# Runs in the child interpreter: nothing but the SDK, as its language host would run a program
# that registers `count` typed resources under the SDK's own mock monitor.
RAW = textwrap.dedent(
    """
    import asyncio, json, resource, sys, threading, time
    start = time.perf_counter()
    import pulumi, pulumi_postgresql as postgresql
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.stack import run_in_stack
    count = int(sys.argv[1])

    class Echo(pulumi.runtime.Mocks):
        def new_resource(self, args):
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args):
            return {}, []

    monitor = mocks.MockMonitor(Echo())
    settings.configure(mocks.MockSettings(
        monitor=monitor, engine=mocks.MockEngine(None), project="raw", stack="bench",
        dry_run=True, monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
        outputs=set(), lock=threading.Lock(), package_refs={}, base_providers_by_ref={},
        root_directory=".", organization="organization", parallel=None, callbacks=None,
    ))

    def program():
        for i in range(count):
            postgresql.Role(f"role-{i}", name=f"role_{i}", login=False)

    loop = asyncio.new_event_loop()
    loop.run_until_complete(run_in_stack(program))
    loop.run_until_complete(loop.shutdown_default_executor())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "seconds": time.perf_counter() - start,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "resources": count,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    """
)


def _oid(*parts: object) -> str:
    return str(uuid.uuid5(_IDS, "/".join(map(str, parts))))


def stack_config(principals: int, databases: int, *, seed: int = 12) -> dict[str, Any]:
    """A `Pulumi.<stack>.yaml` document with `principals` principals over `databases` databases.

    The server, admins, pipeline and catalog are the dev stack's. Database i has 1 + i % 4
    schemas. Principals cycle through the shapes a real stack has (per 20: 11 users, 2
    existing groups, 2 created groups with owners and members, 3 applications with a federated
    credential, one of them a migration identity holding `ddl`, 2 service principals), each
    with one to three grants on databases and schemas picked by a seeded generator: the same
    arguments always give the same stack.
    """
    if principals < 1 or databases < 1:
        raise ValueError("a benchmark stack needs at least one principal and one database")
    doc: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text("utf-8"))
    config = doc["config"]
    rng = random.Random(seed)  # noqa: S311 (a repeatable benchmark stack, not a secret)
    dbs = [
        {"name": f"app{d:02d}", "schemas": [f"s{s}" for s in range(1 + d % 4)]}
        for d in range(databases)
    ]
    config[f"{NAMESPACE}:databases"] = dbs
    config[f"{NAMESPACE}:profiles"] = {
        "support": {
            "description": "Look up rows and replay failed jobs.",
            "privileges": {
                "database": ["CONNECT"],
                "schema": ["USAGE"],
                "table": ["SELECT"],
                "function": ["EXECUTE"],
            },
        },
        "appender": {
            "description": "Insert-only writers (event sinks).",
            "privileges": {
                "database": ["CONNECT"],
                "schema": ["USAGE"],
                "table": ["SELECT", "INSERT"],
                "sequence": ["USAGE"],
            },
        },
    }

    def grants(count: int, profiles: tuple[str, ...]) -> list[dict[str, Any]]:
        picked: list[dict[str, Any]] = []
        for db in rng.sample(dbs, min(count, len(dbs))):
            schemas = db["schemas"]
            grant: dict[str, Any] = {"database": db["name"], "profile": rng.choice(profiles)}
            if rng.random() < 0.7:  # else every schema of the database
                grant["schemas"] = sorted(rng.sample(schemas, rng.randint(1, len(schemas))))
            picked.append(grant)
        return picked

    access: list[dict[str, Any]] = []
    for i in range(principals):
        shape = i % 20
        if shape < 11:
            entry: dict[str, Any] = {
                "name": f"user{i:05d}@contoso.com",
                "kind": "user",
                "objectId": _oid("user", i),
                "grants": grants(rng.randint(1, 2), ("read", "read", "support", "write")),
            }
        elif shape < 13:
            entry = {
                "name": f"existing-team-{i:05d}",
                "kind": "existingGroup",
                "objectId": _oid("group", i),
                "grants": grants(rng.randint(1, 3), ("read", "support")),
            }
        elif shape < 15:
            entry = {
                "name": f"team-{i:05d}",
                "kind": "group",
                "description": f"Team {i} readers and support.",
                "owners": [f"lead{i % 7}@contoso.com"],
                "members": [f"member{i}-{m}@contoso.com" for m in range(1 + i % 3)],
                "grants": grants(rng.randint(1, 3), ("read", "support", "write")),
            }
        elif shape < 18:
            migration = shape == 17
            entry = {
                "name": f"service-{i:05d}",
                "kind": "application",
                "description": f"Service {i}.",
                "owners": ["platform-lead@contoso.com"],
                "federatedCredentials": [
                    {
                        "name": "github-runtime",
                        "subject": f"repo:contoso/service-{i:05d}:environment:prod",
                    }
                ],
                "grants": grants(1, ("ddl",))
                if migration
                else grants(rng.randint(1, 2), ("write", "appender", "read")),
            }
            if migration:
                entry["migration"] = True
        else:
            entry = {
                "name": f"external-sp-{i:05d}",
                "kind": "servicePrincipal",
                "objectId": _oid("sp", i),
                "grants": grants(rng.randint(1, 2), ("read", "appender")),
            }
        access.append(entry)
    config[f"{NAMESPACE}:access"] = access
    return doc


def write_project(directory: Path, principals: int, databases: int) -> Path:
    """This repository's project and program with a generated `Pulumi.bench.yaml`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text("utf-8"), "utf-8")
    (directory / "__main__.py").write_text((ROOT / "__main__.py").read_text("utf-8"), "utf-8")
    document = stack_config(principals, databases)
    (directory / "Pulumi.bench.yaml").write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    return directory


def _child(code: str, *args: str) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        raise SystemExit(f"benchmark child failed ({out.returncode}):\n{out.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def measure(size: str, workdir: Path) -> dict[str, Any]:
    """Plan one generated stack with the CLI, then the raw SDK at the same resource count."""
    principals, databases = parse_size(size)
    project = write_project(workdir / size, principals, databases)
    ours = _child(OURS, str(project), "bench")
    if ours["code"] not in (0, 1):
        raise SystemExit(f"entra-pg plan exited {ours['code']} on the generated stack {size}")
    raw = _child(RAW, str(ours["resources"]))
    return {
        "size": size,
        "principals": principals,
        "databases": databases,
        "resources": ours["resources"],
        "ours_s": ours["seconds"],
        "raw_s": raw["seconds"],
        "time_ratio": ours["seconds"] / raw["seconds"],
        "ours_cpu_s": ours["cpu_s"],
        "raw_cpu_s": raw["cpu_s"],
        "cpu_ratio": ours["cpu_s"] / raw["cpu_s"],
        "program_s": ours["program_s"],
        "policies_s": ours["policies_s"],
        "rest_s": ours["seconds"] - ours["program_s"] - ours["policies_s"],
        "ours_mb": ours["peak_mb"],
        "pack_mb": ours["pack_mb"],
        "raw_mb": raw["peak_mb"],
        "memory_ratio": ours["peak_mb"] / raw["peak_mb"],
        "relay_mb": ours.get("relay_mb", 0.0),
        "total_memory_ratio": (ours["peak_mb"] + ours["pack_mb"] + ours.get("relay_mb", 0.0))
        / raw["peak_mb"],
        "exit_code": ours["code"],
        "patched": ours["patched"],
    }


def parse_size(text: str) -> tuple[int, int]:
    """`"1000x10"` as (1000, 10); a bare number means one database."""
    principals, _, databases = text.lower().partition("x")
    try:
        parsed = int(principals), int(databases or "1")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size {text!r}: write PRINCIPALSxDATABASES, e.g. 1000x10"
        ) from None
    if min(parsed) < 1:
        raise argparse.ArgumentTypeError(f"size {text!r}: both numbers must be at least 1")
    return parsed


#: What the table shows, one row each (a column per measurement keeps it within 80 columns).
ROWS = {
    "resources": "resources",
    "ours_s": "ours wall s",
    "raw_s": "raw wall s",
    "time_ratio": "wall ours/raw",
    "ours_cpu_s": "ours CPU s (+ pack)",
    "raw_cpu_s": "raw CPU s",
    "cpu_ratio": "CPU ours/raw",
    "program_s": "ours: program s",
    "policies_s": "ours: pack after it s",
    "rest_s": "ours: rest s",
    "ours_mb": "ours MB",
    "pack_mb": "pack MB",
    "relay_mb": "relay MB",
    "raw_mb": "raw MB",
    "memory_ratio": "memory ours/raw",
    "total_memory_ratio": "(ours+pack+relay)/raw",
}


def _cell(key: str, value: Any) -> str:
    if key.endswith("ratio"):
        return f"{value:.2f}"
    if key.endswith("_s"):
        return f"{value:.1f}"
    if key.endswith("_mb"):
        return f"{value:.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(rows: list[dict[str, Any]]) -> Table:
    """The results as a rich table: a row per figure, a column per measurement."""
    out = Table(title="entra-pg plan (whole CLI) vs the raw SDK, same resource count")
    out.add_column("PxD")
    for row in rows:
        out.add_column(row["size"], justify="right")
    for key, title in ROWS.items():
        out.add_row(title, *(_cell(key, row[key]) for row in rows))
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints a table (or JSON lines with `--json`)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sizes", nargs="*", default=list(DEFAULT_SIZES), metavar="PxD")
    parser.add_argument("--repeat", type=int, default=1, help="measure each size N times")
    parser.add_argument("--json", action="store_true", help="one JSON object per measurement")
    args = parser.parse_args(argv)
    for size in args.sizes:
        try:
            parse_size(size)
        except argparse.ArgumentTypeError as error:
            parser.error(str(error))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="plan-bench-") as tmp:
        for size in args.sizes:
            for _ in range(args.repeat):
                row = measure(size, Path(tmp))
                rows.append(row)
                if args.json:
                    print(json.dumps(row), flush=True)
    if not args.json:
        Console().print(table(rows))
        patched = {row["patched"] for row in rows}
        print(f"offline runner SDK workarounds active: {', '.join(map(str, sorted(patched)))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
