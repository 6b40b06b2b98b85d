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
from collections.abc import Callable
from typing import Any

import jinja2
from jinja2 import filters as jinja_filters
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.nodes import Compare, Concat, Dict
from jinja2.sandbox import ImmutableSandboxedEnvironment

from analyzer.sizes import text_size
from analyzer.templatesize import (
    COMPARE,
    FILTER_SIZES,
    LISTED,
    MAX_INT_BITS,
    bound_arguments,
    check_compare,
    check_size,
    format_size,
    percent_size,
    string_method_size,
)
from analyzer.versions import compare_versions


def _guard_filter(name: str, original: Callable) -> Callable:
    predict = FILTER_SIZES[name]

    @functools.wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            named = bound_arguments(original, args, kwargs)
        except TypeError:
            return original(*args, **kwargs)  # let the filter say what is wrong
        if name in LISTED and not isinstance(named[LISTED[name]], (str, dict)):
            listed = list(named[LISTED[name]])
            named[LISTED[name]] = listed
            position = 1 if getattr(original, "jinja_pass_arg", None) is not None else 0
            args = (*args[:position], listed, *args[position + 1 :])
        try:
            size = predict(named)
        except (TypeError, ValueError, AttributeError, KeyError, OverflowError):
            size = 0  # arguments the filter itself refuses; it raises its own error
        check_size(size, f"the filter {name}")
        return original(*args, **kwargs)

    return guarded


def _bounded_output(value: Any) -> Any:
    """``finalize``: what ``{{ }}`` prints is sized before ``str`` turns it into text."""
    if not isinstance(value, str):
        check_size(text_size(value), "printing this value")
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


class _GuardedCompare(_GuardedCodeGenerator):
    """Comparisons go through the environment too, to be sized before Python runs them."""

    @optimizeconst
    def visit_Compare(self, node: Compare, frame: Frame) -> None:
        # Every operand is evaluated first (no short-circuit of a < b < c): in a sandboxed
        # template that changes nothing but which error a broken chain reports.
        self.write("environment.checked_compare(")
        self.visit(node.expr, frame)
        self.write(", (")
        for op in node.ops:
            self.write(f"({op.op!r}, ")
            self.visit(op.expr, frame)
            self.write("), ")
        self.write("))")

    @optimizeconst
    def visit_Dict(self, node: Dict, frame: Frame) -> None:
        # A key is hashed, and a tuple's hash walks all of it in C: sized first.
        self.write("{")
        for index, item in enumerate(node.items):
            self.write(", " if index else "")
            self.write("environment.checked_key(")
            self.visit(item.key, frame)
            self.write("): ")
            self.visit(item.value, frame)
        self.write("}")


class RuleSandbox(ImmutableSandboxedEnvironment):
    """Rules are shared between teams: templates run sandboxed, may not mutate what they see,
    and may not build huge values ("a" * 10**9, 9 ** 9 ** 9, "%2000000000s" % "x")."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _GuardedCompare

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
                    check_size(len(sequence) * times, "'*'")
        if operator == "%" and isinstance(left, str):
            check_size(percent_size(left, right), "'%'")
        if operator == "+" and isinstance(left, (str, list, tuple)) and hasattr(right, "__len__"):
            check_size(len(left) + len(right), "'+'")
        return super().call_binop(context, operator, left, right)

    def checked_compare(self, left: Any, operations: tuple[tuple[str, Any], ...]) -> bool:
        for op, right in operations:
            check_compare(left, right, membership=op in ("in", "notin"))
            if not COMPARE[op](left, right):
                return False
            left = right
        return True

    def getitem(self, obj: Any, argument: Any) -> Any:
        return super().getitem(obj, self.checked_key(argument))

    def checked_key(self, key: Any) -> Any:
        """``key``, once sized: a tuple used as a key is hashed, all of it, in C."""
        if isinstance(key, tuple):
            check_compare(key, (), membership=True)
        return key

    def checked_concat(self, parts: tuple[Any, ...], markup: bool) -> str:
        check_size(text_size(parts), "'~'")
        join = jinja2.runtime.markup_join if markup else jinja2.runtime.str_join
        return join(parts)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            __self.checked_key(value)  # dict.get(key), set.__contains__ ... hash it
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, (list, tuple)) and args and __obj.__name__ in ("index", "count"):
            check_compare(args[0], owner, membership=True)  # compares with every item
        if isinstance(owner, (str, bytes)):
            name = getattr(__obj, "__name__", "")
            if name == "join" and args:
                args = (list(args[0]), *args[1:])  # sized, then joined: iterate it once
                check_size(text_size(args[0]) + len(owner) * len(args[0]), "join")
            try:
                size = string_method_size(owner, name, args, kwargs)
            except (TypeError, ValueError, IndexError, OverflowError):
                size = None  # arguments the method itself refuses: it raises its own error
            check_size(size or 0, f"str.{name}")
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
            check_size(format_size(fmt, values), f"str.{value.__name__}")
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
    for name in FILTER_SIZES:
        env.filters[name] = _guard_filter(name, originals[name])
    # Tests that compare (``select("equalto", x)``, ``x is in y``) are sized like operators.
    for names, op in ((("eq", "equalto", "=="), "eq"), (("ne", "!="), "ne"), (("in",), "in")):
        for name in names:
            env.tests[name] = functools.partial(_checked_test, op)
    for names, op in (
        (("lt", "lessthan", "<"), "lt"),
        (("le", "<="), "lteq"),
        (("gt", "greaterthan", ">"), "gt"),
        (("ge", ">="), "gteq"),
    ):
        for name in names:
            env.tests[name] = functools.partial(_checked_test, op)
    return env


def _checked_test(op: str, value: Any, other: Any) -> bool:
    check_compare(value, other, membership=op == "in")
    return bool(COMPARE[op](value, other))
