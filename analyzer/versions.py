"""Versions of Harvester, Kubernetes/RKE2 and Rancher, and the ranges rules are gated on.

Harvester tags (``v1.5.0-rc3``), RKE2 versions (``v1.32.3+rke2r1``) and image tags
(``v1.32.3-rke2r1-build20250312``) are all read as semver: the pre-release orders before the
release (rc2 < rc3 < GA), build metadata is ignored. Development builds (``1a861fc-dirty``,
``master-head``) are not versions: ``parse_version`` returns None and a rule gated on them is
skipped with that reason rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

_VERSION_RE = re.compile(
    r"^v?(?P<major>\d+)(?:\.(?P<minor>\d+))?(?:\.(?P<patch>\d+))?"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+?))?(?:\+(?P<build>[0-9A-Za-z.-]+))?$"
)
# RKE2 image tags put the distribution suffix after a dash: v1.32.3-rke2r1-build20250312.
_RKE2_TAG_RE = re.compile(r"^(v?\d+\.\d+\.\d+)-(rke2r\d+|k3s\d+)(?:-build\d+)?$")
_COMPARATORS = ("<=", ">=", "==", "!=", "<", ">", "=")
#: longer than any real version or image tag: a 5,000-digit "version" is none (and int()
#: of its digits would fail past 4300 of them)
_MAX_VERSION_LENGTH = 128


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...] = ()

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def _key(self) -> tuple:
        # A release sorts after its pre-releases; numeric identifiers before alphanumeric ones.
        pre_key = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, not self.pre, pre_key)

    def __str__(self) -> str:
        text = f"v{self.major}.{self.minor}.{self.patch}"
        return text + ("-" + ".".join(str(p) for p in self.pre) if self.pre else "")


def _pre_parts(pre: str) -> tuple[int | str, ...]:
    # "rc3" compares as ("rc", 3) so that rc10 > rc9, as people expect of Harvester tags.
    parts: list[int | str] = []
    for ident in pre.split("."):
        for piece in re.findall(r"\d+|[A-Za-z-]+", ident):
            parts.append(int(piece) if piece.isdigit() else piece)
    return tuple(parts)


def parse_version(text: object) -> Version | None:
    """The version in ``text``, or None for anything that is not a release version."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if len(text) > _MAX_VERSION_LENGTH:
        return None
    tag = _RKE2_TAG_RE.match(text)
    if tag:
        text = f"{tag.group(1)}+{tag.group(2)}"
    match = _VERSION_RE.match(text)
    if not match:
        return None
    return Version(
        int(match["major"]),
        int(match["minor"] or 0),
        int(match["patch"] or 0),
        _pre_parts(match["pre"]) if match["pre"] else (),
    )


def compare_versions(a: object, b: object) -> int | None:
    """-1, 0 or 1 as ``a`` is older, equal or newer than ``b``; None if either is no version."""
    va, vb = parse_version(a), parse_version(b)
    if va is None or vb is None:
        return None
    return (va > vb) - (va < vb)


@dataclass(frozen=True)
class VersionRange:
    """A conjunction of constraints such as ``>=1.5.0-rc2, <1.5.0``."""

    text: str
    constraints: tuple[tuple[str, Version], ...]

    @classmethod
    def parse(cls, text: str) -> VersionRange:
        constraints = []
        for part in str(text).split(","):
            part = part.strip()
            if not part:
                continue
            op = next((c for c in _COMPARATORS if part.startswith(c)), "==")
            bound = part[len(op) :].strip() if part.startswith(op) else part
            version = parse_version(bound)
            if version is None:
                raise ValueError(f"'{bound}' is not a version")
            constraints.append(("==" if op == "=" else op, version))
        if not constraints:
            raise ValueError("empty version range")
        return cls(str(text), tuple(constraints))

    def contains(self, version: Version) -> bool:
        checks = {
            "<": version.__lt__,
            "<=": version.__le__,
            ">": version.__gt__,
            ">=": version.__ge__,
            "==": version.__eq__,
            "!=": version.__ne__,
        }
        return all(checks[op](bound) for op, bound in self.constraints)
