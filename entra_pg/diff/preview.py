"""Read `pulumi preview --json`: the engine's planned steps, as two resource sets and changes.

The document is the engine's `PreviewDigest` (pulumi `sdk/go/.../display/json.go`, printed
by `ShowPreviewDigest`): `{"config", "steps", "diagnostics", "duration", "changeSummary"}`.
Each step has `op`, `urn`, `provider`, `oldState`/`newState` (the resource state as in a
checkpoint: `type`, `custom`, `inputs`, `outputs`, `parent`, `provider`, `dependencies`,
`propertyDependencies`), `diffReasons`, `replaceReasons` and `detailedDiff`
(`{"path": {"kind": "add|add-replace|delete|delete-replace|update|update-replace",
"inputDiff": bool}}`). Secrets are printed as `"[secret]"`; values not known until the
update runs as the engine's unknown sentinel.

Which steps appear: `same` steps only with `--show-sames` (the root stack always); a
replacement is one logical `replace` step, or `create-replacement` + `delete-replaced` with
`--show-replacement-steps`. Steps are folded per URN. Without `--show-sames` the preview
shows only what changes, so privileges of unchanged roles are not in it; the report says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from entra_pg.inputfiles import MAX_JSON_BYTES, InputFileError, load_json, read_text
from entra_pg.resources import PlannedResource

from .report import ResourceChange, ResourceOp
from .resource_changes import REPLACE_ON_CHANGE, changed_properties, danger, make_context

__all__ = ["UNKNOWN", "Preview", "PreviewError", "PreviewStep", "load_preview", "parse_preview"]

#: The engine's sentinel for a value not known until the update runs.
UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
STACK_TYPE: Final = "pulumi:pulumi:Stack"

_REPLACING: Final = frozenset(
    {
        "replace",
        "create-replacement",
        "delete-replaced",
        "read-replacement",
        "import-replacement",
        "discard-replaced",
    }
)
_KNOWN_OPS: Final = frozenset(
    {
        *_REPLACING,
        "same",
        "create",
        "update",
        "delete",
        "read",
        "refresh",
        "discard",
        "remove-pending-replace",
        "import",
    }
)


class PreviewError(ValueError):
    """The file is not a `pulumi preview --json` document; the message says what is wrong."""


@dataclass(frozen=True)
class PreviewStep:
    """One step of the preview (before folding)."""

    op: str
    urn: str
    old: PlannedResource | None
    new: PlannedResource | None
    diff_reasons: tuple[str, ...]
    replace_reasons: tuple[str, ...]
    detailed_diff: Mapping[str, str]


@dataclass(frozen=True)
class Preview:
    """A parsed preview, folded per resource.

    Attributes:
        before: states before the update (old states of changed resources, plus `same`).
        after: states after it (new states, plus `same`).
        changes: one `ResourceChange` per changed URN, sorted.
        complete: True when the preview lists unchanged resources too (`--show-sames`), so
            `before`/`after` are the whole stack.
        stack: the stack name from the URNs ("" if none).
        diagnostics: error and warning messages the engine recorded.
    """

    before: tuple[PlannedResource, ...]
    after: tuple[PlannedResource, ...]
    changes: tuple[ResourceChange, ...]
    complete: bool
    stack: str
    diagnostics: tuple[str, ...] = ()


def load_preview(path: str) -> Preview:
    """Read and parse a preview file (`-` for stdin). Raises `PreviewError`."""
    where = "stdin" if path == "-" else path
    try:
        # Bounded reading (entra_pg.inputfiles): size, UTF-8, nesting, duplicate keys.
        text = read_text(path, limit=MAX_JSON_BYTES, what="a preview file")
        document = load_json(text, where)
    except InputFileError as error:
        if "invalid JSON" in error.problem:
            where_in = f" ({error.where})" if error.where else ""
            raise PreviewError(
                f"{where} is not JSON{where_in}: {error.problem.removeprefix('invalid JSON: ')}; "
                "write it with `pulumi preview --json > FILE`"
            ) from None
        raise PreviewError(error.render()) from None
    return parse_preview(document, where)


def _value(value: Any) -> Any:
    """State values as `PlannedResource` holds them: unknowns as None."""
    if isinstance(value, str):
        return None if value == UNKNOWN else value
    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    return value


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _type(urn: str) -> str:
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def _state(data: Any, urn: str, where: str) -> PlannedResource | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise PreviewError(f"{where}: a step's state for {urn} is not an object")
    provider = data.get("provider")
    deps = data.get("propertyDependencies") or {}
    return PlannedResource(
        urn=str(data.get("urn") or urn),
        type=str(data.get("type") or _type(urn)),
        name=_name(str(data.get("urn") or urn)),
        inputs=_value(dict(data.get("inputs") or {})),
        parent=data.get("parent") or None,
        provider=provider.rsplit("::", 1)[0] if isinstance(provider, str) and provider else None,
        dependencies=tuple(str(d) for d in data.get("dependencies") or ()),
        custom=bool(data.get("custom", True)),
        outputs=_value(dict(data.get("outputs") or {})),
        property_dependencies={
            str(k): tuple(str(u) for u in v or ()) for k, v in deps.items() if isinstance(v, list)
        },
    )


def _top(path: str) -> str:
    """The top-level property of a detailed-diff path (`sku.name` -> `sku`, `roles[0]` ->
    `roles`)."""
    for i, char in enumerate(path):
        if char in ".[":
            return path[:i]
    return path


def _steps(document: Mapping[str, Any], where: str) -> list[PreviewStep]:
    raw = document.get("steps") or []
    if not isinstance(raw, list):
        raise PreviewError(f"{where}: `steps` is not a list")
    steps: list[PreviewStep] = []
    for index, step in enumerate(raw):
        if not isinstance(step, Mapping) or not isinstance(step.get("urn"), str):
            raise PreviewError(f"{where}: steps[{index}] has no `urn`")
        op = str(step.get("op", ""))
        if op not in _KNOWN_OPS:
            raise PreviewError(f"{where}: steps[{index}] has an unknown op {op!r}")
        urn = step["urn"]
        detailed = step.get("detailedDiff") or {}
        if not isinstance(detailed, Mapping):
            raise PreviewError(f"{where}: steps[{index}].detailedDiff is not an object")
        steps.append(
            PreviewStep(
                op=op,
                urn=urn,
                old=_state(step.get("oldState"), urn, where),
                new=_state(step.get("newState"), urn, where),
                diff_reasons=tuple(str(k) for k in step.get("diffReasons") or ()),
                replace_reasons=tuple(str(k) for k in step.get("replaceReasons") or ()),
                detailed_diff={
                    str(k): str(v.get("kind", "")) if isinstance(v, Mapping) else ""
                    for k, v in detailed.items()
                },
            )
        )
    return steps


def parse_preview(document: Any, where: str = "preview") -> Preview:
    """Parse a `pulumi preview --json` document. Raises `PreviewError`."""
    if not isinstance(document, Mapping) or not (
        "steps" in document or "changeSummary" in document or "diagnostics" in document
    ):
        raise PreviewError(
            f"{where} is not a `pulumi preview --json` document (expected an object with "
            "`steps`); an engine event log (`--event-log`) or `pulumi stack export` is not one"
        )
    by_urn: dict[str, list[PreviewStep]] = {}
    for step in _steps(document, where):
        by_urn.setdefault(step.urn, []).append(step)

    before: dict[str, PlannedResource] = {}
    after: dict[str, PlannedResource] = {}
    folded: list[tuple[ResourceOp, list[PreviewStep]]] = []
    complete = False
    stack = ""
    for urn, steps in by_urn.items():
        parts = urn.split("::")
        stack = stack or (parts[0].rsplit(":", 1)[-1] if len(parts) >= 4 else "")
        ops = {s.op for s in steps}
        old = next((s.old for s in steps if s.old is not None), None)
        new = next((s.new for s in reversed(steps) if s.new is not None), None)
        if _type(urn) == STACK_TYPE:
            continue
        if ops <= {"same", "read", "refresh", "discard", "remove-pending-replace"}:
            complete = complete or "same" in ops
            first = old if old is not None else new
            last = new if new is not None else old
            if first is not None and last is not None:
                before[urn], after[urn] = first, last
            continue
        op: ResourceOp
        if ops & _REPLACING:
            op = "replace"
        elif "create" in ops:
            op = "create"
        elif "delete" in ops:
            op = "delete"
        elif "import" in ops:
            op = "import"
        else:
            op = "update"
        if old is not None and op != "create":
            before[urn] = old
        if new is not None and op != "delete":
            after[urn] = new
        folded.append((op, steps))

    context = make_context([*before.values(), *after.values()])
    changes: list[ResourceChange] = []
    for op, steps in folded:
        urn = steps[0].urn
        state = after.get(urn) or before.get(urn)
        type_token = state.type if state is not None else _type(urn)
        props: set[str] = set()
        reasons: set[str] = set()
        for s in steps:
            props.update(_top(p) for p in s.detailed_diff)
            props.update(_top(p) for p in s.diff_reasons)
            reasons.update(_top(p) for p in s.replace_reasons)
            reasons.update(
                _top(p) for p, kind in s.detailed_diff.items() if kind.endswith("-replace")
            )
        if not props and urn in before and urn in after and op in ("update", "replace"):
            props.update(changed_properties(before[urn], after[urn]))
            if op == "replace" and not reasons:
                reasons.update(p for p in props if p in REPLACE_ON_CHANGE.get(type_token, ()))
        props |= reasons
        subject = before.get(urn) or after.get(urn)
        changes.append(
            ResourceChange(
                urn=urn,
                type=type_token,
                name=_name(urn),
                op=op,
                properties=tuple(sorted(props)) if op in ("update", "replace") else (),
                replace_reasons=tuple(sorted(reasons)) if op == "replace" else (),
                danger=danger(op, subject, context) if subject is not None else "",
            )
        )

    diagnostics = tuple(
        f"{d.get('severity', 'info')}: {str(d.get('message', '')).strip()}"
        for d in document.get("diagnostics") or ()
        if isinstance(d, Mapping) and d.get("severity") in ("error", "warning")
    )
    return Preview(
        before=tuple(before[u] for u in sorted(before)),
        after=tuple(after[u] for u in sorted(after)),
        changes=tuple(sorted(changes, key=lambda c: c.urn)),
        complete=complete,
        stack=stack,
        diagnostics=diagnostics,
    )


def preview_step_ops(document: Mapping[str, Any]) -> Sequence[str]:
    """The ops in document order (for tests and debugging)."""
    return [str(s.get("op")) for s in document.get("steps") or () if isinstance(s, Mapping)]
