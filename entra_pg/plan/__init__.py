"""`entra-pg plan`'s views of a mock run: the JSON document and the terminal form.

Both carry the same content: the resources, the access matrix, the stack outputs, policy
violations when the pack ran, and a summary of counts.
"""

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
