"""How planning scales with the number of principals, against the raw SDK in the same run.

For each size N it writes a stack with N principals (each reading one schema), plans it with
`entra_pg.mockrun.run_program` (the program, the components, the recording monitor) and, as
the baseline, runs a bare program that registers the same number of plain resources under
the same mock monitor. Each measurement runs in its own subprocess so peak memory (max RSS)
is that run's alone. Prints seconds, resources per second, peak MB and the ratios
ours/baseline; the ratios are what to compare across machines, not the absolute figures.

    .venv/bin/python benchmarks/plan_scale.py            # sizes 10 100 400
    .venv/bin/python benchmarks/plan_scale.py 50 1000    # other sizes
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]

BASELINE = textwrap.dedent(
    """
    import pulumi, pulumi_postgresql as postgresql
    count = int(pulumi.Config().require("count"))
    for i in range(count):
        postgresql.Role(f"role-{i}", name=f"role_{i}", login=False)
    """
)


def stack_config(principals: int) -> dict[str, Any]:
    """The dev stack with `principals` extra existing users, one read grant each."""
    doc: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    access = doc["config"]["entra-postgres:access"]
    for i in range(principals):
        access.append(
            {
                "name": f"user{i}@contoso.com",
                "kind": "user",
                "objectId": f"00000000-0000-4000-8000-{i:012d}",
                "grants": [{"database": "orders", "schemas": ["sales"], "profile": "read"}],
            }
        )
    return doc


def measure(project: Path, stack: str) -> dict[str, float]:
    """Plan `stack` in a fresh interpreter; seconds, resource count and peak RSS."""
    code = textwrap.dedent(
        f"""
        import json, resource, time
        from pathlib import Path
        from entra_pg.mockrun import run_program
        start = time.perf_counter()
        run = run_program(Path({str(project)!r}), {stack!r})
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({{"seconds": seconds, "resources": len(run.resources), "peak_mb": peak}}))
        """
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"planning {project} failed:\n{out.stderr}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(sizes: list[int]) -> None:
    table = Table(title="entra-pg plan vs raw SDK under the same mock monitor")
    for column in (
        "principals",
        "resources",
        "ours s",
        "raw s",
        "ours res/s",
        "raw res/s",
        "time ratio/res",
        "ours MB",
        "raw MB",
        "memory ratio",
    ):
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            ours_dir = Path(tmp) / f"ours{n}"
            ours_dir.mkdir()
            (ours_dir / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
            (ours_dir / "__main__.py").write_text((ROOT / "__main__.py").read_text())
            (ours_dir / "Pulumi.bench.yaml").write_text(yaml.safe_dump(stack_config(n)))
            ours = measure(ours_dir, "bench")

            raw_dir = Path(tmp) / f"raw{n}"
            raw_dir.mkdir()
            (raw_dir / "Pulumi.yaml").write_text("name: raw\nruntime: python\n")
            (raw_dir / "__main__.py").write_text(BASELINE)
            (raw_dir / "Pulumi.bench.yaml").write_text(
                f"config:\n  raw:count: {int(ours['resources'])}\n"
            )
            raw = measure(raw_dir, "bench")

            ours_rate = ours["resources"] / ours["seconds"]
            raw_rate = raw["resources"] / raw["seconds"]
            table.add_row(
                str(n),
                str(int(ours["resources"])),
                f"{ours['seconds']:.2f}",
                f"{raw['seconds']:.2f}",
                f"{ours_rate:.0f}",
                f"{raw_rate:.0f}",
                f"{raw_rate / ours_rate:.2f}",
                f"{ours['peak_mb']:.0f}",
                f"{raw['peak_mb']:.0f}",
                f"{ours['peak_mb'] / raw['peak_mb']:.2f}",
            )
    Console().print(table)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 100, 400])
