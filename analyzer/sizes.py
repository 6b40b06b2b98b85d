"""How large a value would be as text, found without building the text.

Templates and queries from rule packs can make values that share parts ([a, a] nested 40
deep: 40 small lists, 2**40 elements when printed). Whatever turns such a value into text
(printing, ``tojson``, ``to_string``, ``join``) asks ``text_size`` first, which stops walking
once past its limit, so the check costs at most ``limit`` steps whatever the value.
"""

from __future__ import annotations

from typing import Any


def text_size(value: Any, limit: int = 100_000) -> int:
    """About ``len(str(value))``, found without building it: exact for strings, a close
    estimate for containers. The walk stops once past ``limit``, so a value that shares
    parts (``[a, a]`` nested 40 deep) costs ``limit`` steps, not its 2**40 logical size."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item) + 2
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() * 3 // 10 + 2
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            if total <= limit:  # past it, walking the items would only cost time
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            if total <= limit:
                stack.extend(item)
        else:
            # Other objects (a template's namespace(), a cycler) print what they hold: walk
            # that rather than calling str(), which is what could be huge.
            total += 40
            try:  # namespace() hides its attributes from getattr
                held = object.__getattribute__(item, "__dict__")
            except AttributeError:
                held = None
            if isinstance(held, dict) and total <= limit:
                stack.extend(held.values())
    return total
