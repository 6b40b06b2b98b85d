"""The Jinja sandbox rule templates run in: immutable, and bounded in what it may build.

Rule packs are shared between teams, so a template is untrusted code. Jinja's immutable
sandbox keeps it from reaching Python internals or changing what it reads; this module keeps it
from exhausting memory. Every operation that can make a value much larger than its inputs
(``*``, ``**``, ``%``, ``+``, ``~``, str methods such as ``center`` or ``replace``,
``str.format``, and filters such as ``center``, ``format``, ``indent``, ``wordwrap``, ``join``,
``sum``, ``tojson``, ``batch``) has the size of its result predicted from its arguments
*before* it runs, and is refused (SecurityError) when that exceeds MAX_TEMPLATE_VALUE: checking
the result afterwards would be too late, as ``'%2000000000s' % 'x'`` allocates 2 GB at once.
Printing a value is bounded the same way (``finalize``), so ``{{ huge }}`` stops before ``str``.
"""

from __future__ import annotations

import functools
import inspect
import re
import string
from collections.abc import Callable, Iterable
from typing import Any

import jinja2
from jinja2 import filters as jinja_filters
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.nodes import Concat
from jinja2.sandbox import ImmutableSandboxedEnvironment

from analyzer.sizes import text_size
from analyzer.versions import compare_versions

#: the largest string or list (characters or items) a template expression may build
MAX_TEMPLATE_VALUE = 100_000
#: the largest integer a template may compute, in bits (about 20,000 digits)
MAX_INT_BITS = 65_536
#: the largest indent ``tojson`` may use
MAX_JSON_INDENT = 16

_PRINTF = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?[hlL]?"
    r"(?P<conversion>[diouxXeEfFgGcrsa%])"
)
_DIGITS = re.compile(r"\d+")


def _check(size: int, what: str) -> None:
    if size > MAX_TEMPLATE_VALUE:
        raise SecurityError(
            f"{what} would build a value of about {size} characters or items "
            f"(a template may build at most {MAX_TEMPLATE_VALUE})"
        )


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


def _string_method_size(owner: str | bytes, name: str, args: tuple, kwargs: dict) -> int | None:
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


def _bound_arguments(original: Callable, args: tuple, kwargs: dict) -> dict[str, Any]:
    """The filter's arguments by name, the context Jinja passes first left out."""
    bound = inspect.signature(original).bind(*args, **kwargs)
    bound.apply_defaults()
    named = dict(bound.arguments)
    if getattr(original, "jinja_pass_arg", None) is not None:
        named.pop(next(iter(named)))
    return named


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
_FILTER_SIZES: dict[str, Callable[[dict[str, Any]], int]] = {
    "center": lambda a: max(text_size(_first_text(a)), int(a["width"])),
    "indent": _indent_size,
    "wordwrap": _wordwrap_size,
    "truncate": lambda a: text_size(a["s"]) + len(str(a["end"])),
    "format": lambda a: percent_size(str(a["value"]), a["args"] or a["kwargs"]),
    "replace": lambda a: (
        _string_method_size(str(a["s"]), "replace", (str(a["old"]), str(a["new"]), a["count"]), {})
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
    "slice": lambda a: int(a["slices"]),
}
#: filters whose first argument is iterated twice (sized, then used): made a list first
_LISTED = {"join": "value", "sum": "iterable"}


def _guard_filter(name: str, original: Callable) -> Callable:
    predict = _FILTER_SIZES[name]

    @functools.wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            named = _bound_arguments(original, args, kwargs)
        except TypeError:
            return original(*args, **kwargs)  # let the filter say what is wrong
        if name in _LISTED and not isinstance(named[_LISTED[name]], (str, dict)):
            listed = list(named[_LISTED[name]])
            named[_LISTED[name]] = listed
            position = 1 if getattr(original, "jinja_pass_arg", None) is not None else 0
            args = (*args[:position], listed, *args[position + 1 :])
        try:
            size = predict(named)
        except (TypeError, ValueError, AttributeError, KeyError, OverflowError):
            size = 0  # arguments the filter itself refuses; it raises its own error
        _check(size, f"the filter {name}")
        return original(*args, **kwargs)

    return guarded


def _bounded_output(value: Any) -> Any:
    """``finalize``: what ``{{ }}`` prints is sized before ``str`` turns it into text."""
    if not isinstance(value, str):
        _check(text_size(value), "printing this value")
    return value


class _GuardedCodeGenerator(CodeGenerator):
    """``a ~ b`` compiles to a join Jinja does not let a sandbox intercept; route it
    through the environment so its size is checked first."""

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("), context.eval_ctx.volatile or context.eval_ctx.autoescape)")


class RuleSandbox(ImmutableSandboxedEnvironment):
    """Rules are shared between teams: templates run sandboxed, may not mutate what they see,
    and may not build huge values ("a" * 10**9, 9 ** 9 ** 9, "%2000000000s" % "x")."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _GuardedCodeGenerator

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)):
            if abs(right) > 64:
                raise SecurityError(f"exponent {right} is too large in a template")
            if isinstance(left, int) and left.bit_length() * abs(right) > MAX_INT_BITS:
                raise SecurityError("a template may not compute a number that large")
        if operator == "*":
            both_ints = isinstance(left, int) and isinstance(right, int)
            if both_ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise SecurityError("a template may not compute a number that large")
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(times, int):
                    _check(len(sequence) * times, "'*'")
        if operator == "%" and isinstance(left, str):
            _check(percent_size(left, right), "'%'")
        if operator == "+" and isinstance(left, (str, list, tuple)) and hasattr(right, "__len__"):
            _check(len(left) + len(right), "'+'")
        return super().call_binop(context, operator, left, right)

    def checked_concat(self, parts: tuple[Any, ...], markup: bool) -> str:
        _check(text_size(parts), "'~'")
        join = jinja2.runtime.markup_join if markup else jinja2.runtime.str_join
        return join(parts)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, (str, bytes)):
            name = getattr(__obj, "__name__", "")
            if name == "join" and args:
                args = (list(args[0]), *args[1:])  # sized, then joined: iterate it once
                _check(text_size(args[0]) + len(owner) * len(args[0]), "join")
            try:
                size = _string_method_size(owner, name, args, kwargs)
            except (TypeError, ValueError, IndexError, OverflowError):
                size = None  # arguments the method itself refuses: it raises its own error
            _check(size or 0, f"str.{name}")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt, mapping = value.__self__, value.__name__ == "format_map"

        def checked(*args: Any, **kwargs: Any) -> str:
            values = list(args) + list(kwargs.values())
            if mapping and args and isinstance(args[0], dict):
                values = list(args[0].values())
            _check(format_size(fmt, values), f"str.{value.__name__}")
            return wrapped(*args, **kwargs)

        return checked


def _version_cmp(a: Any, b: Any) -> int | None:
    return compare_versions(a, b)


def make_environment() -> RuleSandbox:
    """The environment rule templates are parsed and rendered in."""
    env = RuleSandbox(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        finalize=_bounded_output,
    )
    env.globals["version_cmp"] = _version_cmp
    # lipsum(10**7) builds paragraphs without bound and no rule needs placeholder text.
    env.globals.pop("lipsum", None)
    # join and sum have async variants that wrap the sync ones: guard the sync ones, as
    # templates are rendered synchronously. ("e"/"escape" grow a text at most 6 times.)
    originals = {
        **env.filters,
        "join": jinja_filters.sync_do_join,
        "sum": jinja_filters.sync_do_sum,
    }
    for name in _FILTER_SIZES:
        env.filters[name] = _guard_filter(name, originals[name])
    return env
