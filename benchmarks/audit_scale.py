"""The audit against ldap2pg 5.9 on the same generated cluster, in one run.

For each size N (tables) it grows one throwaway cluster (PostgreSQL from
tests/support/pgcluster.py) to N tables in one managed schema, owned by the database's
owner role, with the model's grants and default privileges in place (converged by the
audit's own fix script, run with `psql -f`), plus R principals (LOGIN roles, members of
the schema's capability role). Then, side by side on that cluster:

- `entra-pg audit --json` (the whole CLI: model, catalog read, comparison, rendering);
- `ldap2pg --dry` with a static configuration of the same roles and privileges (its
  inspection of roles and privileges, and its diff; nothing is applied).

Each tool runs in its own process: time is wall-clock; memory is sampled every 10 ms over
the tool's processes (entra-pg forks its stack reader for part of its run): "MB" is the
peak of their summed proportional set size (what the machine holds), "RSS MB" the sum of
each process's own peak RSS, an upper bound (at least GNU time's max RSS, Debian package
`time`). Query counts come from a separate run of each
tool with `log_statement` on for its role, counted in the server log. Prints the figures
and the ratios entra-pg / ldap2pg; the ratios are what to compare across machines.

    bash benchmarks/audit_setup.sh                     # ldap2pg 5.9 in its own venv
    .venv/bin/python benchmarks/audit_scale.py         # 10000 and 50000 tables, 1000 roles
    .venv/bin/python benchmarks/audit_scale.py --roles 200 2000 10000
    .venv/bin/python benchmarks/audit_scale.py --repeat 3 --baseline /tmp/main-src
    .venv/bin/python benchmarks/audit_scale.py --acl-per-table 10000   # drift on every table

`--acl-per-table` also grants each table SELECT directly to one principal (table i to
principal i mod R): as many distinct ACLs as tables, and an extra privilege per principal
for both tools to report (the audit: one finding per principal).

`--repeat N` runs each tool N times, in turns, and keeps the fastest run (a shared
machine's noise only ever adds time) and the median (what a run usually takes: on two
cores the fastest of a few is often one lucky schedule); memory comes from one more run
of each, sampled.
`--baseline DIR` also times the audit of another source tree (e.g. `git archive main |
tar -x -C DIR`) on the same cluster and requires its JSON report to equal this tree's:
before/after figures of one change.
Both trees' bytecode is compiled first, as an installed wheel has it: with
PYTHONDONTWRITEBYTECODE set (as on the development machine) every run would otherwise
compile every module again (about 0.3 s).
"""

# ruff: noqa: S603 - runs this project's CLI, ldap2pg and psql with arguments built here.

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from psycopg import sql
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.pgcluster import PgCluster, start_cluster  # noqa: E402
from tests.support.stacks import local_target, write_stack  # noqa: E402

LDAP2PG = ROOT / "benchmarks" / ".venv-ldap2pg" / "bin" / "ldap2pg"
DB = "bench"
SCHEMA = "app"
OWNER = f"{DB}_owner"
READ_CAP = f"{DB}_{SCHEMA}_read"
STACK = "bench"


def principals(count: int) -> list[str]:
    return [f"user{n:05d}@contoso.com" for n in range(count)]


def stack_config(cluster: PgCluster, roles: int) -> dict[str, Any]:
    return {
        **local_target(cluster.host, cluster.port, cluster.superuser),
        "databases": [{"name": DB, "schemas": [SCHEMA]}],
        "access": [
            {
                "name": name,
                "kind": "user",
                "objectId": f"00000000-0000-4000-8000-{n:012d}",
                "grants": [{"database": DB, "schemas": [SCHEMA], "profile": "read"}],
            }
            for n, name in enumerate(principals(roles), start=1)
        ],
    }


def ldap2pg_config(cluster: PgCluster, roles: int) -> dict[str, Any]:
    """The same roles and read privileges, the way ldap2pg 5.9 declares them."""
    return {
        "version": 5,
        "postgres": {
            "dsn": cluster.dsn(user="bench_ldap2pg"),
            "databases_query": [DB],
            "schemas_query": [SCHEMA],
            "owners_query": [OWNER],
            "managed_roles_query": [OWNER, READ_CAP, *principals(roles)],
        },
        "privileges": {
            "ro": [
                "__connect__",
                "__usage_on_schemas__",
                "__select_on_tables__",
                "__select_on_sequences__",
                "__usage_on_sequences__",
            ]
        },
        "sync_map": [
            {
                "roles": [
                    {"names": [OWNER], "options": "NOLOGIN"},
                    {"names": [READ_CAP], "options": "NOLOGIN"},
                    {"names": principals(roles), "options": "LOGIN", "parents": [READ_CAP]},
                ],
                "grant": {"privilege": "ro", "role": READ_CAP, "database": DB, "schema": SCHEMA},
            }
        ],
    }


class TreePeaks:
    """The memory of a process's descendants while they run, two ways.

    `entra-pg audit` is two processes for part of its run (it forks its stack reader), and
    GNU time's max RSS is only the larger of them. Sampled every 10 ms:
    - `rss`: the sum of each process's own peak (VmHWM): an upper bound, pages the two
      share (all of the parent's at the fork) are counted in both;
    - `pss`: the largest sum, at one instant, of the processes' proportional set sizes
      (a shared page counts once, split between its sharers): what the machine holds.
    A peak only grows, so the last reading of each process is within 10 ms of its end."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peaks: dict[int, int] = {}
        self.pss = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _descendants(self) -> list[int]:
        found, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
        return found

    @staticmethod
    def _field(path: str, name: str) -> int:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1])
        return 0

    def _sample(self) -> None:
        while not self.done.is_set():
            now = 0
            for pid in self._descendants():
                try:
                    peak = self._field(f"/proc/{pid}/status", "VmHWM:")
                    now += self._field(f"/proc/{pid}/smaps_rollup", "Pss:")
                except OSError:
                    continue  # ended meanwhile
                self.peaks[pid] = max(self.peaks.get(pid, 0), peak)
            self.pss = max(self.pss, now)
            self.done.wait(0.01)

    def stop(self) -> tuple[float, float]:
        """(rss, pss) in MB (see the class doc)."""
        self.done.set()
        self.thread.join()
        return sum(self.peaks.values()) / 1024, self.pss / 1024


@dataclass(frozen=True)
class Run:
    """One run of a tool: wall-clock seconds, memory (TreePeaks: `rss` at least GNU time's
    max RSS), stdout. `median` is the median of the timed runs (measure_best)."""

    seconds: float
    rss_mb: float
    pss_mb: float
    stdout: str
    median: float = 0.0


def measure(argv: list[str], env: dict[str, str], cwd: Path, *, sample: bool = True) -> Run:
    """Run argv under GNU time, its memory sampled (TreePeaks) unless `sample` is false
    (the sampler's reads of /proc cost CPU the tool would otherwise have: timed runs go
    without it, and their memory figures are 0). A small `time` process forks the tool: a
    child forked straight from this process would start with this process's pages counted."""
    out, err, rss = cwd / "stdout.txt", cwd / "stderr.txt", cwd / "maxrss.txt"
    # Files, not pipes: a tool that writes much (ldap2pg logs every planned query) would
    # block on a full pipe while we wait for it.
    with out.open("w") as handle, err.open("w") as errors:
        start = time.perf_counter()
        process = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", str(rss), *argv],
            stdout=handle,
            stderr=errors,
            env=env,
            cwd=cwd,
        )
        peaks = TreePeaks(process.pid) if sample else None
        code = process.wait()
        elapsed = time.perf_counter() - start
        summed, pss = peaks.stop() if peaks is not None else (0.0, 0.0)
    if code not in (0, 1, 2):
        raise RuntimeError(f"{argv[0]} exited {code}: {err.read_text(errors='replace')[-2000:]}")
    largest = int(rss.read_text().split()[-1]) / 1024 if sample else 0.0
    return Run(elapsed, max(largest, summed), pss, out.read_text())


def measure_best(
    tools: dict[str, tuple[list[str], dict[str, str]]], cwd: Path, repeat: int
) -> dict[str, Run]:
    """Each tool (name -> argv, env) `repeat` times, in turns (a noisy minute slows all of
    them alike), then once sampled: the fastest and the median time, the sampled run's
    memory, the last stdout."""
    timed: dict[str, list[Run]] = {name: [] for name in tools}
    for _ in range(repeat):
        for name, (argv, env) in tools.items():
            timed[name].append(measure(argv, env, cwd, sample=False))
    best = {}
    for name, (argv, env) in tools.items():
        sampled = measure(argv, env, cwd)
        times = [r.seconds for r in timed[name]]
        best[name] = Run(
            min(times),
            sampled.rss_mb,
            sampled.pss_mb,
            timed[name][-1].stdout,
            statistics.median(times),
        )
    return best


def count_queries(cluster: PgCluster, role: str, run: Any) -> int:
    """Queries `role` sent while `run()` ran, from the server log (log_statement = all)."""
    cluster.query(sql.SQL("ALTER ROLE {} SET log_statement = 'all'").format(sql.Identifier(role)))
    before = cluster.log_file.stat().st_size
    run()
    with cluster.log_file.open("rb") as log:
        log.seek(before)
        text = log.read().decode(errors="replace")
    cluster.query(sql.SQL("ALTER ROLE {} RESET log_statement").format(sql.Identifier(role)))
    return sum(
        1 for line in text.splitlines() if "LOG:  statement: " in line or "LOG:  execute " in line
    )


def grow(cluster: PgCluster, have: int, want: int, roles: int, acl_per_table: bool) -> None:
    """Tables `have`+1 .. `want` in the managed schema, owned by the owner role (the model's
    default privileges grant them to the read capability). With `acl_per_table`, table i
    is also granted SELECT directly to principal i mod `roles`, beyond the model: every
    table has an ACL of its own, and each principal holds an extra privilege."""
    for start in range(have, want, 1000):
        cluster.query(
            sql.SQL(
                "DO $$ BEGIN FOR i IN {} .. {} LOOP "
                "EXECUTE format('CREATE TABLE %I.%I (id int, total int)', {}, 't' || i); "
                "IF {} THEN EXECUTE format('GRANT SELECT ON %I.%I TO %I', {}, 't' || i, "
                "format('user%s@contoso.com', lpad((i % {})::text, 5, '0'))); END IF; "
                "END LOOP; END $$"
            ).format(
                sql.Literal(start + 1),
                sql.Literal(min(start + 1000, want)),
                sql.Literal(SCHEMA),
                sql.Literal(acl_per_table),
                sql.Literal(SCHEMA),
                sql.Literal(roles),
            ),
            dbname=DB,
            role=OWNER,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 50_000])
    parser.add_argument("--roles", type=int, default=1000, help="principals (LOGIN roles)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool (fastest, median)")
    parser.add_argument(
        "--baseline", type=Path, help="also time the audit of this source tree (same report)"
    )
    parser.add_argument(
        "--acl-per-table",
        action="store_true",
        help="grant each table SELECT to one principal: an ACL per table, drift per principal",
    )
    args = parser.parse_args()
    if not LDAP2PG.exists():
        print("run bash benchmarks/audit_setup.sh first (ldap2pg 5.9 in its own venv)")
        return 1
    console = Console()
    for tree in (ROOT, *([args.baseline] if args.baseline is not None else [])):
        compileall.compile_dir(tree / "entra_pg", quiet=1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, start_cluster() as cluster:
        work = Path(tmp)
        for role in ("bench_entrapg", "bench_ldap2pg"):
            cluster.query(sql.SQL("CREATE ROLE {} LOGIN SUPERUSER").format(sql.Identifier(role)))
        project = write_stack(work / "project", stack_config(cluster, args.roles), STACK)
        config = work / "ldap2pg.yml"
        config.write_text(yaml.safe_dump(ldap2pg_config(cluster, args.roles)), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        audit = [
            sys.executable,
            "-m",
            "entra_pg",
            "audit",
            "--stack",
            STACK,
            "-C",
            str(project),
            "--dsn",
            cluster.dsn(user="bench_entrapg"),
            "--json",
        ]
        # Converge the empty cluster with the audit's own fix script (twice: the schema
        # and its grants are found missing once the database exists).
        for _ in range(2):
            subprocess.run(
                [*audit, "--sql-file", str(work / "fix.sql")],
                env=env,
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [
                    str(cluster.bindir / "psql"),
                    "-X",
                    "-q",
                    "-f",
                    str(work / "fix.sql"),
                    cluster.dsn(),
                ],
                check=True,
                capture_output=True,
            )
        # The fix script disabled the login and superuser of ldap2pg's role (outside the
        # model): give them back. entra-pg then reports it (2 findings, on every size).
        cluster.query(sql.SQL("ALTER ROLE bench_ldap2pg LOGIN SUPERUSER"))
        ldap2pg = [str(LDAP2PG), "--dry", "--quiet", "--config", str(config)]
        have = 0
        for size in sorted(args.sizes):
            console.print(f"growing the cluster to {size} tables ...")
            grow(cluster, have, size, args.roles, args.acl_per_table)
            have = size
            cluster.query(sql.SQL("VACUUM ANALYZE"), dbname=DB)
            tools = {"ours": (audit, env), "theirs": (ldap2pg, env)}
            if args.baseline is not None:
                tools["base"] = (audit, {**env, "PYTHONPATH": str(args.baseline.resolve())})
            runs = measure_best(tools, work, args.repeat)
            ours, theirs = runs["ours"], runs["theirs"]
            document = json.loads(ours.stdout)
            if args.baseline is not None:
                base = runs["base"]
                if json.loads(base.stdout) != document:
                    raise SystemExit(f"the baseline's report differs at {size} tables")
                console.print(f"  baseline audit: {base.seconds:.2f} s, {base.pss_mb:.0f} MB")
            ours_q = count_queries(cluster, "bench_entrapg", lambda: measure(audit, env, work))
            theirs_q = count_queries(cluster, "bench_ldap2pg", lambda: measure(ldap2pg, env, work))
            rows.append(
                {
                    "roles": args.roles,
                    "findings": document["summary"]["findings"],
                    "entra-pg s": ours.seconds,
                    "ldap2pg s": theirs.seconds,
                    "time ratio": ours.seconds / theirs.seconds,
                    "entra-pg s (median)": ours.median,
                    "ldap2pg s (median)": theirs.median,
                    "time ratio (median)": ours.median / theirs.median,
                    "entra-pg MB": ours.pss_mb,
                    "ldap2pg MB": theirs.pss_mb,
                    "memory ratio": ours.pss_mb / theirs.pss_mb,
                    "entra-pg RSS MB": ours.rss_mb,
                    "ldap2pg RSS MB": theirs.rss_mb,
                    "RSS ratio": ours.rss_mb / theirs.rss_mb,
                    "entra-pg queries": ours_q,
                    "ldap2pg queries": theirs_q,
                    **(
                        {
                            "baseline s": base.seconds,
                            "baseline s (median)": base.median,
                            "baseline MB": base.pss_mb,
                        }
                        if args.baseline is not None
                        else {}
                    ),
                    "tables": size,
                }
            )
            console.print(f"  {rows[-1]}", highlight=False)
    # A row per figure and a column per size: readable in 80 columns.
    shape = ", an ACL per table" if args.acl_per_table else ""
    table = Table(title=f"entra-pg audit vs ldap2pg 5.9 --dry, same cluster{shape}")
    table.add_column("tables")
    for row in rows:
        table.add_column(f"{row['tables']:,}", justify="right")
    for figure in [k for k in rows[0] if k != "tables"] if rows else []:
        cells = []
        for row in rows:
            value = row[figure]
            if figure.endswith(("ratio", " s", "(median)")):
                cells.append(f"{value:.2f}")
            elif figure.endswith("MB"):
                cells.append(f"{value:.0f}")
            else:
                cells.append(f"{value:,}")
        table.add_row(figure, *cells)
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
