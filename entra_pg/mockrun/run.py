"""Run the program in-process under the recording mock monitor (see the package docstring)."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import json
import logging
import os
import runpy
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import settings as sdk_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_in_stack

from entra_pg.mockrun import sdkpatch
from entra_pg.mockrun.failures import plan_error
from entra_pg.mockrun.monitor import RecordingMonitor
from entra_pg.mockrun.placeholders import PlaceholderMocks
from entra_pg.mockrun.records import Diagnostic, PlanConfigError, PlanRun
from entra_pg.model import ConfigError, ConfigIssue
from entra_pg.resources import PlannedResource
from entra_pg.stack import StackFiles, StackLoadError, load_stack

__all__ = ["run_program"]


class _Diagnostics(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[Diagnostic] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(Diagnostic(record.levelname.lower(), record.getMessage()))


@contextmanager
def _program_environment(project_dir: Path) -> Iterator[None]:
    """cwd and import path as the language host sets them: the project directory."""
    previous_cwd = os.getcwd()
    entry = str(project_dir)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    os.chdir(project_dir)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        if added:
            with suppress(ValueError):
                sys.path.remove(entry)


def run_program(
    project_dir: Path,
    stack: str,
    *,
    program: Path | None = None,
    files: StackFiles | None = None,
    sdk_workarounds: bool = True,
    on_resource: Callable[[PlannedResource], None] | None = None,
) -> PlanRun:
    """Run the project's program for `stack` under mocks and return what it declared.

    Args:
        project_dir: the directory with `Pulumi.yaml`.
        stack: the stack whose `Pulumi.<stack>.yaml` provides the config.
        program: run this file instead of the project's `__main__.py` (tests).
        files: already loaded project and stack files (skips `load_stack`).
        sdk_workarounds: skip the SDK costs `entra_pg.mockrun.sdkpatch` describes, where its
            guard allows (False: the SDK's own behaviour; the result is the same either way).
        on_resource: called with each resource as the program registers it, from the SDK's
            executor threads, in registration order, with its parent as `PlanRun.resources`
            holds it (None for the stack's children; a component's outputs are registered
            later and are not in it). For analysis while the program runs
            (`entra_pg.policycheck.StreamingCheck.submit`); it must be cheap and not raise.

    Raises:
        StackLoadError: the project or stack file is missing or malformed.
        PlanConfigError: the config is invalid: the engine's own checks (required keys,
            declared types) or the program raised a `ConfigError` (directly, or as the
            `config_error` of a `ProgramConfigError`), or a Pulumi config error.
        PlanError: the program failed otherwise (message without traceback, `details` with).
    """
    if files is None:
        try:
            files = load_stack(project_dir, stack)
        except ConfigError as exc:
            raise PlanConfigError(exc) from exc
    target = (program or files.program).resolve()
    if not target.is_file():
        raise StackLoadError(
            f"no program to run: {target} does not exist",
            files.project_file,
            [ConfigIssue("main", f"{target} does not exist", "add __main__.py or fix `main`")],
        )
    monitor = RecordingMonitor(PlaceholderMocks(files.engine_config()))
    if on_resource is not None:
        notify = on_resource

        def declared(record: PlannedResource) -> None:
            # The stack registers first, so its URN is known by now (see `_finish`).
            if record.parent is not None and record.parent == monitor.stack_urn:
                record = dataclasses.replace(record, parent=None)
            notify(record)

        monitor.on_register = declared
    handler = _Diagnostics()
    # A private logger: MockEngine logs the program's diagnostics here, not to the root.
    engine_logger = logging.Logger("entra_pg.plan.engine", logging.INFO)
    engine_logger.addHandler(handler)

    started = time.perf_counter()
    context = contextvars.copy_context()
    with _program_environment(files.project_dir):
        try:
            context.run(_run_isolated, files, target, monitor, engine_logger, sdk_workarounds)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise plan_error(exc, files) from exc
    seconds = time.perf_counter() - started

    stack_urn = monitor.stack_urn
    outputs = monitor.registered_outputs
    resources = sorted(
        (_finish(r, stack_urn, outputs) for r in monitor.registered), key=lambda r: r.urn
    )
    return PlanRun(
        files=files,
        stack_urn=stack_urn,
        resources=tuple(resources),
        outputs=outputs.get(stack_urn, {}),
        # Invokes run on executor threads: their order is scheduling, so sort for stability.
        invokes=tuple(
            sorted(monitor.invoked, key=lambda i: (i.token, json.dumps(i.args, sort_keys=True)))
        ),
        reads=tuple(sorted(monitor.read, key=lambda r: r.urn)),
        diagnostics=tuple(handler.records),
        seconds=seconds,
    )


def _finish(
    record: PlannedResource, stack_urn: str, registered_outputs: Mapping[str, Any]
) -> PlannedResource:
    """Stack children get parent None; components get their registered outputs."""
    parent = None if record.parent == stack_urn else record.parent
    outputs = record.outputs if record.custom else registered_outputs.get(record.urn, {})
    return dataclasses.replace(record, parent=parent, outputs=outputs)


def _run_isolated(
    files: StackFiles,
    program: Path,
    monitor: RecordingMonitor,
    logger: logging.Logger,
    workarounds: bool,
) -> None:
    """Configure the SDK in the current (copied) context and run the program to the end."""
    # Another run, or a test's set_mocks, may have left a root Stack in the copied context.
    sdk_settings.ROOT.set(None)
    features = monitor.GetDeploymentInfo(None).supportedFeatures  # type: ignore[no-untyped-call]
    sdk_settings.configure(
        sdk_mocks.MockSettings(  # type: ignore[no-untyped-call]
            monitor=monitor,
            monitor_features=set(features),
            engine=sdk_mocks.MockEngine(logger),
            project=files.project,
            stack=files.stack,
            root_directory=str(files.project_dir),
            organization="organization",
            dry_run=True,
            parallel=None,
            callbacks=None,
            # Fresh mutable state: the copied context would otherwise share these objects.
            outputs=set(),
            lock=threading.Lock(),
            package_refs={},
            base_providers_by_ref={},
        )
    )
    set_all_config(files.engine_config(), files.secret_keys())

    def run_main() -> Coroutine[Any, Any, None]:
        # What the language host does: run the program file as __main__. Then, still inside
        # the program function, wait for everything it scheduled at once (sdkpatch.settle).
        runpy.run_path(str(program), run_name="__main__")
        return sdkpatch.settle(enabled=workarounds)

    loop = asyncio.new_event_loop()
    try:
        with sdkpatch.skipping_stack_traces(enabled=workarounds):
            loop.run_until_complete(run_in_stack(run_main))
    finally:
        # As the SDK's automation server does: cancel what a failure left pending, then
        # join the executor threads and close their loops, so nothing leaks into the next run.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            with suppress(BaseException):
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        for worker_loop in monitor.worker_loops:
            if worker_loop is not loop and not worker_loop.is_running():
                worker_loop.close()
