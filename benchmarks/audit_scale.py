"""The audit against ldap2pg 5.9 on the same generated cluster, in one run.

For each size N (tables) it grows one throwaway cluster (PostgreSQL from
tests/support/pgcluster.py) to N tables in one managed schema, owned by the database's
owner role, with the model's grants and default privileges in place (converged by the
audit's own fix script, run with `psql -f`), plus R principals (LOGIN roles, members of
the schema's capability role). Then, side by side on that cluster:

- `entra-pg audit --json` (the whole CLI: model, catalog read, comparison, rendering);
- `ldap2pg --dry` with a static configuration of the same roles and privileges (its
  inspection of roles and privileges, and its diff; nothing is applied).

Each tool runs in its own process: time is wall-clock, peak memory is the process's max
RSS (GNU time, Debian package `time`). Query counts come from a separate run of each
tool with `log_statement` on for its role, counted in the server log. Prints the figures
and the ratios entra-pg / ldap2pg; the ratios are what to compare across machines.

    bash benchmarks/audit_setup.sh                     # ldap2pg 5.9 in its own venv
    .venv/bin/python benchmarks/audit_scale.py         # 10000 and 50000 tables, 1000 roles
    .venv/bin/python benchmarks/audit_scale.py --roles 200 2000 10000
    .venv/bin/python benchmarks/audit_scale.py --repeat 3 --baseline /tmp/main-src

`--repeat N` runs each tool N times and keeps the fastest run (a shared machine's noise
only ever adds time) and the highest peak memory. `--baseline DIR` also times the audit of
another source tree (e.g. `git archive main | tar -x -C DIR`) on the same cluster and
requires its JSON report to equal this tree's: before/after figures of one change.
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
import subprocess
import sys
import tempfile
import time
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


def measure(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Run argv; return (seconds, peak MB, stdout).

    Peak memory is GNU time's max RSS of the tool alone: a child forked straight from this
    process would start with this process's pages counted (its max RSS never reads lower
    than ours), so a small `time` process forks it instead."""
    out, err, rss = cwd / "stdout.txt", cwd / "stderr.txt", cwd / "maxrss.txt"
    # Files, not pipes: a tool that writes much (ldap2pg logs every planned query) would
    # block on a full pipe while we wait for it.
    with out.open("w") as handle, err.open("w") as errors:
        start = time.perf_counter()
        code = subprocess.call(
            ["/usr/bin/time", "-f", "%M", "-o", str(rss), *argv],
            stdout=handle,
            stderr=errors,
            env=env,
            cwd=cwd,
        )
        elapsed = time.perf_counter() - start
    if code not in (0, 1, 2):
        raise RuntimeError(f"{argv[0]} exited {code}: {err.read_text(errors='replace')[-2000:]}")
    peak_kb = int(rss.read_text().split()[-1])
    return elapsed, peak_kb / 1024, out.read_text()


def measure_best(
    argv: list[str], env: dict[str, str], cwd: Path, repeat: int
) -> tuple[float, float, str]:
    """`measure` `repeat` times: the fastest time, the highest peak, the last stdout."""
    runs = [measure(argv, env, cwd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


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


def grow(cluster: PgCluster, have: int, want: int) -> None:
    for start in range(have, want, 1000):
        cluster.query(
            sql.SQL(
                "DO $$ BEGIN FOR i IN {} .. {} LOOP "
                "EXECUTE format('CREATE TABLE %I.%I (id int, total int)', {}, 't' || i); "
                "END LOOP; END $$"
            ).format(
                sql.Literal(start + 1),
                sql.Literal(min(start + 1000, want)),
                sql.Literal(SCHEMA),
            ),
            dbname=DB,
            role=OWNER,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 50_000])
    parser.add_argument("--roles", type=int, default=1000, help="principals (LOGIN roles)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; fastest counts")
    parser.add_argument(
        "--baseline", type=Path, help="also time the audit of this source tree (same report)"
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
            grow(cluster, have, size)
            have = size
            cluster.query(sql.SQL("VACUUM ANALYZE"), dbname=DB)
            ours_s, ours_mb, out = measure_best(audit, env, work, args.repeat)
            document = json.loads(out)
            theirs_s, theirs_mb, _ = measure_best(ldap2pg, env, work, args.repeat)
            if args.baseline is not None:
                base_env = {**env, "PYTHONPATH": str(args.baseline.resolve())}
                base_s, base_mb, base_out = measure_best(audit, base_env, work, args.repeat)
                if json.loads(base_out) != document:
                    raise SystemExit(f"the baseline's report differs at {size} tables")
                console.print(f"  baseline audit: {base_s:.2f} s, {base_mb:.0f} MB")
            ours_q = count_queries(cluster, "bench_entrapg", lambda: measure(audit, env, work))
            theirs_q = count_queries(cluster, "bench_ldap2pg", lambda: measure(ldap2pg, env, work))
            rows.append(
                {
                    "roles": args.roles,
                    "findings": document["summary"]["findings"],
                    "entra-pg s": ours_s,
                    "ldap2pg s": theirs_s,
                    "time ratio": ours_s / theirs_s,
                    "entra-pg MB": ours_mb,
                    "ldap2pg MB": theirs_mb,
                    "memory ratio": ours_mb / theirs_mb,
                    "entra-pg queries": ours_q,
                    "ldap2pg queries": theirs_q,
                    **(
                        {"baseline s": base_s, "baseline MB": base_mb}
                        if args.baseline is not None
                        else {}
                    ),
                    "tables": size,
                }
            )
            console.print(f"  {rows[-1]}", highlight=False)
    # A row per figure and a column per size: readable in 80 columns.
    table = Table(title="entra-pg audit vs ldap2pg 5.9 --dry, same cluster")
    table.add_column("tables")
    for row in rows:
        table.add_column(f"{row['tables']:,}", justify="right")
    for figure in [k for k in rows[0] if k != "tables"] if rows else []:
        cells = []
        for row in rows:
            value = row[figure]
            if figure.endswith(("ratio", " s")):
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
