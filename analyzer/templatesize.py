"""Sizes rule templates must not exceed, and the size an operation would give, predicted
from its arguments before it runs (see analyzer/sandbox.py, which applies them)."""

from __future__ import annotations

import inspect
import operator
import re
import string
from collections.abc import Callable, Iterable
from typing import Any

import jinja2
from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError

from analyzer.sizes import text_size

#: the largest string or list (characters or items) a template expression may build
MAX_TEMPLATE_VALUE = 100_000
#: the largest integer a template may compute, in bits (about 20,000 digits)
MAX_INT_BITS = 65_536
#: the largest indent ``tojson`` may use
MAX_JSON_INDENT = 16
#: the most work (in characters of the values as text) one comparison or hash may take
MAX_COMPARE = 1_000_000
_CONTAINERS = (list, tuple, dict, set, frozenset)
COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gteq": operator.ge,
    "lt": operator.lt,
    "lteq": operator.le,
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}

_PRINTF = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?[hlL]?"
    r"(?P<conversion>[diouxXeEfFgGcrsa%])"
)
_DIGITS = re.compile(r"\d+")


def check_size(size: int, what: str) -> None:
    if size > MAX_TEMPLATE_VALUE:
        raise SecurityError(
            f"{what} would build a value of about {size} characters or items "
            f"(a template may build at most {MAX_TEMPLATE_VALUE})"
        )


def check_compare(left: Any, right: Any, membership: bool = False) -> None:
    """Refuse a comparison (or the hash behind ``in`` a dict or set) that would walk more than
    MAX_COMPARE. Python compares and hashes containers in C, element by element, where no
    signal can stop it: two lists built as [a, a] 40 deep would take hours to compare."""
    if membership:
        if isinstance(left, _CONTAINERS) and isinstance(right, _CONTAINERS):
            needle = text_size(left, MAX_COMPARE)
            if (
                needle * max(1, 1 if isinstance(right, (dict, set, frozenset)) else len(right))
                > MAX_COMPARE
            ):
                raise SecurityError("a template may not compare values that large")
        return
    # A comparison stops at the end of the smaller value: one of them small is enough.
    if (
        isinstance(left, _CONTAINERS)
        and isinstance(right, _CONTAINERS)
        and text_size(left, MAX_COMPARE) > MAX_COMPARE
        and text_size(right, MAX_COMPARE) > MAX_COMPARE
    ):
        raise SecurityError("a template may not compare values that large")


def _elements_size(values: Any) -> int:
    """0, or SecurityError if sorting, min/max or unique would compare or hash containers
    larger than MAX_COMPARE (strings and numbers compare in one step)."""
    items = list(values.values()) if isinstance(values, dict) else values
    if not isinstance(items, (list, tuple)) or not any(isinstance(v, _CONTAINERS) for v in items):
        return 0
    if text_size(items, MAX_COMPARE) > MAX_COMPARE:
        raise SecurityError("a template may not sort or compare values that large")
    return 0


def _number(text: str) -> int:
    # A width of 10**12 or more is as refused as one of 10**6: no need to parse it exactly.
    return int(text) if len(text) < 13 else 10**12


def percent_size(fmt: str, args: Any) -> int:
    """The size ``fmt % args`` would have (printf style), at most overestimated."""
    values = list(args) if isinstance(args, tuple) else [args]
    if isinstance(args, dict):
        values = list(args.values())
    ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    widest_arg = max((text_size(v) for v in values), default=0)
    size = len(fmt)
    for spec in _PRINTF.finditer(fmt):
        for part in ("width", "precision"):
            number = spec[part]
            if number == "*":
                size += max(ints, default=0)
            elif number:
                size += _number(number)
        size += widest_arg
    return size


def format_size(fmt: str, args: Iterable[Any]) -> int:
    """The size ``fmt.format(*args)`` would have: widths and precisions, nested ``{}`` widths
    taken from the largest integer argument, and the widest argument once per field."""
    values = list(args)
    ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    widest_arg = max((text_size(v) for v in values), default=0)
    size = len(fmt)
    pending = [fmt]
    while pending:
        for _, field, spec, _ in string.Formatter().parse(pending.pop()):
            if field is None:
                continue
            size += widest_arg
            if spec:
                size += sum(_number(d) for d in _DIGITS.findall(spec))
                if "{" in spec:
                    size += max(ints, default=0) * spec.count("{")
    return size


def string_method_size(owner: str | bytes, name: str, args: tuple, kwargs: dict) -> int | None:
    """The size a growing str/bytes method would return, or None for the others."""
    n = len(owner)
    if name in ("center", "ljust", "rjust", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        return max(n, int(width))
    if name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        return n + owner.count("\t" if isinstance(owner, str) else b"\t") * max(0, int(tabsize))
    if name == "replace":
        old, new = args[0], args[1]
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        times = n + 1 if not old else owner.count(old)
        times = times if count is None or count < 0 else min(times, count)
        return n + times * max(0, len(new) - len(old))
    if name == "translate" and isinstance(args[0], dict):
        longest = max((text_size(v) for v in args[0].values()), default=1)
        return n * max(1, longest)
    return None


def bound_arguments(original: Callable, args: tuple, kwargs: dict) -> dict[str, Any]:
    """The filter's arguments by name, the context Jinja passes first left out."""
    bound = inspect.signature(original).bind(*args, **kwargs)
    bound.apply_defaults()
    named = dict(bound.arguments)
    if getattr(original, "jinja_pass_arg", None) is not None:
        # kept apart, last: the predictions that look items up need the environment
        named["_passed"] = named.pop(next(iter(named)))
    return named


def _compared_size(a: dict[str, Any]) -> int:
    """sort, unique, min, max, groupby: size what they compare or hash, the items or, with
    ``attribute``, the items' attributes (so that sorting many objects by name is fine)."""
    items = _first_text(a)
    attribute = a.get("attribute")
    if attribute is not None and isinstance(a.get("_passed"), jinja2.Environment):
        items = list(items.values()) if isinstance(items, dict) else items
        if isinstance(items, (list, tuple)):
            getter = jinja_filters.make_multi_attrgetter(a["_passed"], attribute)
            items = [getter(item) for item in items]
    return _elements_size(items)


def _first_text(named: dict[str, Any]) -> Any:
    return next(iter(named.values()))


def _lines(value: Any) -> int:
    return value.count("\n") + 1 if isinstance(value, str) else text_size(value) + 1


def _indent_size(a: dict[str, Any]) -> int:
    width = a["width"]
    width = len(width) if isinstance(width, str) else int(width)
    return text_size(a["s"]) + _lines(a["s"]) * width


def _wordwrap_size(a: dict[str, Any]) -> int:
    text, width = a["s"], max(1, int(a["width"]))
    breaks = text_size(text) // width + _lines(text)
    breaks += text.count(" ") if isinstance(text, str) else 0
    return text_size(text) + breaks * len(a["wrapstring"] or "\n")


def _json_size(a: dict[str, Any]) -> int:
    indent = a.get("indent") or 0
    if not isinstance(indent, int) or indent > MAX_JSON_INDENT:
        raise SecurityError(f"tojson indent may be at most {MAX_JSON_INDENT}")
    # JSON escapes a character in at most 6; an indented value's lines are at most its items.
    size = text_size(a["value"])
    return size * (6 + indent * min(size, 1000))


def _sum_size(a: dict[str, Any]) -> int:
    start = a["start"]
    if not isinstance(start, (str, list, tuple)):
        return 0
    return len(start) + text_size(a["iterable"])


def _urlize_size(a: dict[str, Any]) -> int:
    extra = sum(len(str(a.get(k) or "")) for k in ("target", "rel", "extra_schemes"))
    return text_size(a["value"]) * (16 + extra)


#: filter -> the size of its result, from its arguments by name
FILTER_SIZES: dict[str, Callable[[dict[str, Any]], int]] = {
    "center": lambda a: max(text_size(_first_text(a)), int(a["width"])),
    "indent": _indent_size,
    "wordwrap": _wordwrap_size,
    "truncate": lambda a: text_size(a["s"]) + len(str(a["end"])),
    "format": lambda a: percent_size(str(a["value"]), a["args"] or a["kwargs"]),
    "replace": lambda a: (
        string_method_size(str(a["s"]), "replace", (str(a["old"]), str(a["new"]), a["count"]), {})
        or 0
    ),
    "join": lambda a: text_size(a["value"]) + len(str(a["d"])) * len(a["value"]),
    "sum": _sum_size,
    "tojson": _json_size,
    "pprint": lambda a: text_size(_first_text(a)) * 8,
    "string": lambda a: text_size(_first_text(a)),
    "xmlattr": lambda a: text_size(a["d"]) * 6,
    "urlize": _urlize_size,
    "forceescape": lambda a: text_size(_first_text(a)) * 6,
    "batch": lambda a: int(a["linecount"]),
    "sort": _compared_size,
    "unique": _compared_size,
    "min": _compared_size,
    "max": _compared_size,
    "groupby": _compared_size,
    "dictsort": lambda a: _elements_size(_first_text(a)),
    "slice": lambda a: int(a["slices"]),
}
# Filters that turn their value into text (str, escape, urlencode) without growing it
# much: sized so that a value sharing parts is not printed to text, 2**40 elements long.
for _name in (
    "capitalize",
    "e",
    "escape",
    "lower",
    "safe",
    "striptags",
    "title",
    "trim",
    "upper",
    "urlencode",
    "wordcount",
):
    FILTER_SIZES[_name] = lambda a: text_size(_first_text(a))
#: filters whose first argument is iterated twice (sized, then used): made a list first
LISTED = {"join": "value", "sum": "iterable", "sort": "value", "unique": "value"}
LISTED |= {"min": "value", "max": "value", "groupby": "value"}
