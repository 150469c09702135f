"""Labels in the conversations search and filter: `label:vip` or `label:"big order"` terms
in the search text, and the `label` parameter's comma-separated ids."""

from __future__ import annotations

import re

from wazify.labels.queries import labels_named, unknown_labels
from wazify.lib.errors import Invalid
from wazify.lib.inputs import MAX_DB_ID

LABEL_TERM = re.compile(r'(?<!\S)label:(?:"([^"]*)"|(\S+))', re.IGNORECASE)


def split_label_terms(q: str) -> tuple[str, list[str]]:
    """(the search text without its label terms, the label names they name)."""
    names = [" ".join((quoted or bare).split()) for quoted, bare in LABEL_TERM.findall(q)]
    return LABEL_TERM.sub(" ", q).strip(), [name for name in names if name]


def parse_label_ids(value: str) -> list[int]:
    ids = []
    for part in (item.strip() for item in value.split(",")):
        if not part.isdigit() or not 1 <= int(part) <= MAX_DB_ID:
            raise Invalid(f"label {part!r}: give label ids, comma-separated", field="label")
        ids.append(int(part))
    return ids


async def label_filter(
    workspace_id: int, label: str | None, q: str | None
) -> tuple[tuple[int, ...], str | None] | None:
    """The label ids a list must have (all of them) and the search text left; None when
    the search names a label the workspace does not have (nothing can match). An unknown
    id in `label` is a 400: it is a client's mistake, where a search is a person's."""
    ids = parse_label_ids(label) if label else []
    unknown = await unknown_labels(workspace_id, ids)
    if unknown:
        raise Invalid(
            f"no label {unknown[0]} in this workspace", field="label", code="unknown_label"
        )
    if not q:
        return tuple(dict.fromkeys(ids)), q
    rest, names = split_label_terms(q)
    if names:
        found = await labels_named(workspace_id, names)
        if any(name.casefold() not in found for name in names):
            return None
        ids += [found[name.casefold()] for name in names]
    return tuple(dict.fromkeys(ids)), rest
