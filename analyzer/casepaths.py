"""Where a rule test case may read and write: every path it names stays inside the fixtures
folder or the case's temporary copy of the fixture.

A test file is untrusted like the rest of its pack: ``files: {/etc/cron.d/x: ...}``,
``remove: [../../home]`` or ``fixture: ../..`` would write, delete or copy host files. Lint
reports such paths (``file -> cases[i].field: ...``), ``rules test`` refuses the case, and the
copy is checked again as it is written: it holds no links, so no write can follow one out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from analyzer.bundle.archive import safe_member_name


def outside(value: Any) -> str | None:
    """Why ``value`` is not a relative path that stays inside its folder (None if it is)."""
    if not isinstance(value, str) or safe_member_name(value) is None:
        shown = repr(str(value)[:200])
        return f"{shown} is not a relative path inside the bundle (absolute, '..' or empty)"
    return None


def unsafe_paths(raw: dict) -> Iterator[tuple[str, str]]:
    """Every path a case names that could leave the fixtures folder or the bundle's copy."""
    fixture = raw.get("fixture")
    if outside(fixture):
        yield (
            "fixture",
            f"{str(fixture)[:200]!r} is not a fixture folder name (absolute, '..' or empty)",
        )
    for key in ("files", "append", "add_items"):
        value = raw.get(key)
        for rel in value if isinstance(value, dict) else ():
            if (why := outside(rel)) is not None:
                yield key, why
    remove = raw.get("remove")
    for i, rel in enumerate(remove if isinstance(remove, list) else ()):
        if (why := outside(rel)) is not None:
            yield f"remove[{i}]", why
    edits = raw.get("set")
    for j, edit in enumerate(edits if isinstance(edits, list) else ()):
        if isinstance(edit, dict) and (why := outside(edit.get("file"))) is not None:
            yield f"set[{j}].file", why


def inside(root: Path, rel: Any, field_name: str, links: bool = False) -> Path:
    """``root / rel``, refused unless it stays inside ``root``: a test file is untrusted, and
    an absolute or ``..`` path, or a link on the way, would write or delete host files.
    ``links``: links are allowed on the way if they end inside ``root`` (read-only use)."""
    name = safe_member_name(rel) if isinstance(rel, str) else None
    if name is None:
        raise ValueError(f"{field_name}: {str(rel)[:200]!r} is not a path inside the bundle")
    target = root / name
    # The copy holds no links (not_regular leaves them out); checked again, as it is cheap.
    relative = Path(name)
    for step in () if links else (relative, *relative.parents[:-1]):
        if (root / step).is_symlink():
            raise ValueError(f"{field_name}: {name} goes through a link")
    if not target.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"{field_name}: {name} resolves outside the bundle")
    return target


def not_regular(folder: str, names: list[str]) -> set[str]:
    """What the copy leaves out: links (a write through one would land outside the copy,
    and the analyzer never follows them in a folder bundle anyway) and special files."""
    base = Path(folder)
    return {
        n
        for n in names
        if (base / n).is_symlink() or not ((base / n).is_file() or (base / n).is_dir())
    }
