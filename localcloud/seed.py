"""Seeding: tenants, workspaces, credentials, queues and topics in one JSON document (`POST /seed`, `--seed-file`).

Each part of the cloud declares the sections it accepts and how one item of each is applied (the `seed` of its
`ControlApi`); this module checks the document and applies the sections in name order, so the same document
always does the same thing, whether it comes from a file at start or through the control plane.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from localcloud.control.router import ControlApi, ControlError, SeedSection


def seed_sections(apis: Iterable[ControlApi]) -> dict[str, SeedSection]:
    """Every section the parts of the cloud accept; a section claimed twice is a wiring mistake."""
    sections: dict[str, SeedSection] = {}
    for api in apis:
        for name, section in api.seed.items():
            if name in sections:
                raise ValueError(f"seed section {name!r} is contributed twice")
            sections[name] = section
    return sections


def apply_seed(seed: Mapping[str, object], sections: Mapping[str, SeedSection]) -> dict[str, object]:
    """`{"seeded": {section: items}}`; ControlError naming the section or field of the first bad item."""
    unknown = sorted(set(seed) - set(sections))
    if unknown:
        raise ControlError(400, f"unknown seed section(s): {', '.join(unknown)}")
    counts: dict[str, object] = {}
    for name in sorted(sections):
        items = seed.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ControlError(400, f"{name}: must be a list of objects")
        for item in items:
            sections[name](item)
        counts[name] = len(items)
    return {"seeded": counts}
