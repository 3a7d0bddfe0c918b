"""Run the Pulumi program in-process under the SDK's mock monitor and record what it declares.

There is no Pulumi CLI or cloud here, so the program runs as the Python language host would
run it, against a recording subclass of the SDK's `MockMonitor`:

- Config: `entra_pg.stack.load_stack` merges `Pulumi.yaml` and `Pulumi.<stack>.yaml` as the
  engine does; the program gets one string per key (structured values JSON-encoded, which
  `pulumi.Config.get_object` parses with `json.loads`) and the secret keys.
- Runtime: the same settings `pulumi.runtime.set_mocks(..., preview=True)` installs (mock
  monitor and engine, dry run as in `pulumi preview`), but without `set_mocks`' eager root
  `Stack`: `pulumi.runtime.run_in_stack` creates the root stack itself, runs the program file
  with `runpy` (as the language host does), waits until every output and RPC has settled and
  registers the stack outputs, which are recorded too.
- Isolation: every run happens in a fresh copy of the caller's `contextvars` context (the
  SDK keeps settings, config and the root resource in context variables) on its own event
  loop, so runs repeat in one process without leaking into each other or into the caller.
- Recording: the monitor keeps every RegisterResource request as the engine receives it
  (type, name, parent, provider, inputs with camelCase keys, dependencies, property
  dependencies) with the mocked response as outputs, plus invokes and read resources.
- Answers: `PlaceholderMocks` returns deterministic, clearly fake values (UUIDs derived with
  uuid5 from the URN or query, strings containing "placeholder") for what the cloud would
  assign, so references between resources resolve and nothing pretends to be real.
"""

from entra_pg.mockrun.monitor import STACK_TYPE, RecordingMonitor
from entra_pg.mockrun.placeholders import PLACEHOLDER_NAMESPACE, PlaceholderMocks, placeholder_uuid
from entra_pg.mockrun.records import Diagnostic, InvokeRecord, PlanConfigError, PlanError, PlanRun
from entra_pg.mockrun.run import run_program
from entra_pg.mockrun.wire import (
    ARCHIVE_SIG,
    ASSET_SIG,
    OUTPUT_VALUE_SIG,
    RESOURCE_SIG,
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN,
)

__all__ = [
    "ARCHIVE_SIG",
    "ASSET_SIG",
    "OUTPUT_VALUE_SIG",
    "PLACEHOLDER_NAMESPACE",
    "RESOURCE_SIG",
    "SECRET_SIG",
    "SIG_KEY",
    "STACK_TYPE",
    "UNKNOWN",
    "Diagnostic",
    "InvokeRecord",
    "PlaceholderMocks",
    "PlanConfigError",
    "PlanError",
    "PlanRun",
    "RecordingMonitor",
    "placeholder_uuid",
    "run_program",
]
