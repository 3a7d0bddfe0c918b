"""`entra-pg plan`'s views of a mock run: the JSON document and the terminal form.

Both carry the same content: the resources, the access matrix, the stack outputs, policy
violations when the pack ran, and a summary of counts. The names load on first use
(entra_pg/lazyexports.py): every command registers `plan` (cli.py) and must not load
rich for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from entra_pg.lazyexports import lazy_exports

if TYPE_CHECKING:
    from .describe import describe, is_placeholder, mark_placeholder, object_names, short_type
    from .document import DOCUMENT_VERSION, ViolationLike, plan_document, summary
    from .terminal import fits, render_body, render_head, render_plan

__all__ = [
    "DOCUMENT_VERSION",
    "ViolationLike",
    "describe",
    "fits",
    "is_placeholder",
    "mark_placeholder",
    "object_names",
    "plan_document",
    "render_body",
    "render_head",
    "render_plan",
    "short_type",
    "summary",
]

# Each name and its module: loaded on first use (entra_pg/lazyexports.py).
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "describe": ".describe",
        "is_placeholder": ".describe",
        "mark_placeholder": ".describe",
        "object_names": ".describe",
        "short_type": ".describe",
        "DOCUMENT_VERSION": ".document",
        "ViolationLike": ".document",
        "plan_document": ".document",
        "summary": ".document",
        "fits": ".terminal",
        "render_body": ".terminal",
        "render_head": ".terminal",
        "render_plan": ".terminal",
    },
)
