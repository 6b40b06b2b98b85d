"""When a log line was written, from the formats found in bundles.

Journal lines (``Mar 17 17:57:10 node1 rke2[15500]: ...``) and klog lines
(``I0322 23:49:24.123456 ...``) carry no year: it is taken from the bundle's creation time, and
a date later in the year than the bundle was created belongs to the year before (a log that
spans New Year). A line whose time cannot be read (the partial first line of a log cut at
10 MB, a continuation line) has no time rather than a guessed one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}  # noqa: SIM905
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?"
)
_JOURNAL = re.compile(r"^([A-Z][a-z]{2}) ([ \d]?\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? ")
_KLOG = re.compile(r"^[IWEF](\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s")
# Where an RFC 3339 time may sit inside a line: kubelet's prefix on pod logs, then the
# fields logrus (time="...") and zap/etcd ("ts":"...") write.
_EMBEDDED = re.compile(r'^(?=\d{4}-)|time="|"ts":"|\btime=|"time":"')


def parse_rfc3339(text: str | None) -> datetime | None:
    """An aware datetime for an RFC 3339 time, or None."""
    if not text:
        return None
    match = _RFC3339.match(text.strip())
    return _from_rfc3339(match) if match else None


def _from_rfc3339(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        stamp = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=timezone.utc,
        )
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            # Year 1 with a positive offset, or year 9999 with a negative one, is outside
            # what datetime holds once moved to UTC: such a time is no time at all.
            stamp -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    except (ValueError, OverflowError):
        return None
    return stamp


def _yearless(month: int, day: int, rest: tuple[str, ...], reference: datetime) -> datetime | None:
    hour, minute, second, fraction = rest
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    for year in (reference.year, reference.year - 1):
        try:
            stamp = datetime(
                year, month, day, int(hour), int(minute), int(second), micro, tzinfo=timezone.utc
            )
        except ValueError:  # 29 February in a year that has none, or year 0
            continue
        # A day of grace: the collector's clock and the nodes' may differ a little (none for
        # a bundle that claims to be made on the last day datetime holds).
        if stamp <= reference or stamp - reference <= timedelta(days=1):
            return stamp
    return None


def line_time(line: str, reference: datetime | None) -> datetime | None:
    """The time a log line was written, in UTC, or None if it carries none."""
    match = _JOURNAL.match(line)
    if match:
        if reference is None:
            return None
        month = _MONTHS.get(match.group(1))
        return (
            _yearless(month, int(match.group(2)), match.groups()[2:], reference) if month else None
        )
    match = _KLOG.match(line)
    if match:
        if reference is None:
            return None
        return _yearless(int(match.group(1)), int(match.group(2)), match.groups()[2:], reference)
    for where in _EMBEDDED.finditer(line[:400]):
        stamp = _RFC3339.match(line, where.end())
        if stamp:
            return _from_rfc3339(stamp)
    return None


def iso(stamp: datetime | None) -> str | None:
    """``2022-03-22T23:49:24Z``: second precision is what engineers compare across nodes."""
    if stamp is None:
        return None
    # Not strftime: its %Y does not pad years before 1000 on every platform.
    return (
        f"{stamp.year:04d}-{stamp.month:02d}-{stamp.day:02d}"
        f"T{stamp.hour:02d}:{stamp.minute:02d}:{stamp.second:02d}Z"
    )
