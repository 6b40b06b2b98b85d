"""Finding secrets in text from a bundle and replacing them by [REDACTED]: the finder.

support-bundle-kit masks the tokens it knows about (``token: '***'``), but logs and objects
carry others: bearer and Basic credentials in request logs, passwords in URLs and connection
strings, ``*_PASSWORD=`` in env dumps, private keys and kubeconfig key data pasted into configs,
JWTs (service-account tokens), RKE2/K3s join tokens, Rancher and cloud API tokens. Reports are
attached to tickets, so everything taken from the bundle is redacted by default
(``--no-redact`` opts out, see analyzer/redact.py) and the report says how many were.

Redaction works on a window of lines, not one line at a time: a private key, a YAML block
scalar or an env entry (``- name: DB_PASSWORD`` then ``value: ...``) spans several lines, and a
log line's context may start or end in the middle of a key. Every replacement keeps the line
count, so the cited line keeps its number and its context.

The finder is our own patterns, not detect-secrets. Measured on tests/secret_corpus.py (59
secrets in 51 shapes, 43 look-alikes): these patterns find 59 of 59 and touch no look-alike
(the patterns before issue 10 found 22 and redacted 6 look-alikes). detect-secrets 1.5 with its
filters finds 12 of 59 and redacts 1 look-alike (25 of 59 and 8 look-alikes when told the text
is YAML); in ad-hoc mode, unfiltered, 58 of 59 but 41 of the 43 look-alikes, as it flags nearly
every word. It takes 230-440 us a line, 10 to 20 times these patterns (about 23 us). Its keyword
and high-entropy plugins are built for source code: they miss ``KEY=value`` env dumps,
lower-case values and key bodies, which are what bundles hold; run after these patterns it
finds nothing more. So it would be a dependency that adds nothing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

REDACTED = "[REDACTED]"

# -- secrets recognised by their shape, wherever they are ----------------------------------------
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
#: a line of a key's body (base64), or one of the headers of an encrypted PEM key
_PEM_BODY = re.compile(r"\s*(?:[A-Za-z0-9+/]{16,}={0,2}|(?:Proc-Type|DEK-Info):.*|)\s*")
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    # A private key on one line: its body follows the header, maybe as JSON-escaped \n.
    (
        re.compile(
            _PEM_BEGIN.pattern
            + r"(?:(?!-----END)[A-Za-z0-9+/=\s\\:,-])*(?:"
            + _PEM_END.pattern
            + ")?"
        ),
        "[REDACTED PRIVATE KEY]",
    ),
    (
        # Starts only where a run of base64url starts (not at each "eyJ" in "eyJ-eyJ-..."),
        # so a line that is no JWT costs one pass, not one per start.
        re.compile(
            r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}+\.eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]{5,}"
        ),
        "[REDACTED JWT]",
    ),
    # RKE2/K3s secure join tokens: K10<ca hash>::<user>:<password>
    (re.compile(r"\bK10[0-9a-f]{32,}::[^\s:\"']+:[^\s\"',}]+"), "[REDACTED TOKEN]"),
    # Rancher API and kubeconfig tokens: <name>:<secret>
    (
        re.compile(r"\b(?:token|kubeconfig-u(?:ser)?)-[a-z0-9]{5,}:[A-Za-z0-9]{20,}"),
        "[REDACTED TOKEN]",
    ),
    # Cloud and SaaS keys whose prefix names them: AWS key ids, GitHub, GitLab, Slack, Google,
    # Stripe. A key id is half of a credential and names the account: redacted too.
    (
        re.compile(
            r"\b(?:(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}"
            r"|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_-]{20,}"
            r"|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|[rs]k_(?:live|test)_[A-Za-z0-9]{16,})"
        ),
        "[REDACTED KEY]",
    ),
    # Authorization: <scheme> <credentials>; then a bearer token anywhere.
    (
        re.compile(
            r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?"
            r"(?:basic|bearer|token|digest|apikey)\s+)[^\s\"',;]+"
        ),
        r"\1" + REDACTED,
    ),
    # A bearer token: a digit, a capital or a symbol in it, or long ("bearer authentication"
    # is prose).
    (
        re.compile(
            r"(?i:(\bbearer\s+))(?:(?=[a-z]*+[0-9A-Z._~+/=:-])[A-Za-z0-9._~+/=:-]{8,}|[a-z]{24,})"
        ),
        r"\1" + REDACTED,
    ),
    # [user]:password@ in a URL; the password may itself hold an @, so up to the last one.
    (
        re.compile(r"(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*+://)[^/\s:@\"']*:[^/\s\"']*@"),
        r"\1" + REDACTED + "@",
    ),
)


# -- secrets recognised by the name they are given ------------------------------------------------
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: a key name holding one of these words names a secret ...
_SECRET_WORDS = _words(
    "password passwd passphrase secret token apikey credential credentials dockerconfigjson "
    "dockercfg privatekey signature sig"
)
#: ... or one of these pairs of words (api_key, AWS_SECRET_ACCESS_KEY, client-key-data, tls.key)
_SECRET_PAIRS = frozenset(
    (
        ("api", "key"),
        ("access", "key"),
        ("secret", "key"),
        ("private", "key"),
        ("client", "key"),
        ("tls", "key"),
        ("ssh", "privatekey"),
    )
)
#: ... unless its last word says it is about a secret, not one: secretName, tokenFile, ...
_NOT_SECRET_LAST = _words(
    "name names ref refs namespace file path dir type ttl seconds expiration expiry expires "
    "length policy provider enabled count mode source selector id ids version url uri endpoint "
    "format algorithm kind resource duration interval timeout age rotation required min max "
    "size label labels template ready set exists"
)
_KEY_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
#: values that are no secret whatever the key: masked already, booleans, empty, block scalar
#: indicators (the block's lines are handled by the window), references to variables
_NOT_SECRET_VALUE = re.compile(
    r"(?i)\**|\[REDACTED.*|<redacted>|true|false|yes|no|null|none|~|[|>][-+0-9]*"
    r"|\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|<[^<>]*>|[{\[].*"
)
#: a mid-line "key: value" in prose ("token: mismatch") counts only if the value looks
#: generated: a digit, a capital or a symbol in it
_GENERATED = re.compile(r".*[0-9A-Z+/=_.@!#$%^&*-]")


_REFERENCE_TO_KEY = frozenset(p for p in _SECRET_PAIRS if p[1] == "key")
#: the name of a Kubernetes object, maybe with its namespace (tlsSecret: longhorn-tls,
#: secret="cattle-system/serving-cert"), not a UUID-like generated value
_OBJECT_NAME = re.compile(r"(?=.*[-./])[a-z0-9][a-z0-9.-]*+(?:/[a-z0-9][a-z0-9.-]*+)?")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: an absolute path (--kubelet-client-key=/var/lib/.../client.key): where a secret is kept
_PATH = re.compile(r"/(?:[a-z0-9_.-]+/)+[A-Za-z0-9_.-]*")


def _key_words(key: str) -> list[str]:
    return [w.lower() for w in _KEY_WORDS.findall(key)]


def _is_secret_key(key: str) -> bool:
    words = _key_words(key)
    if not words or words[-1] in _NOT_SECRET_LAST or {"checksum", "digest"} & set(words):
        return False
    if key.lower() == "auth":  # a registry's user:password in base64 (.dockerconfigjson)
        return True
    pairs = set(itertools.pairwise(words))
    if words[-1] == "key" and not pairs & _REFERENCE_TO_KEY:
        return False  # passwordKey: admin-password names the key in a Secret that holds it
    return any(w in _SECRET_WORDS for w in words) or bool(pairs & _SECRET_PAIRS)


def _is_secret(key: str, value: str, structured: bool) -> bool:
    """Whether ``value``, given to ``key``, is a secret. ``structured``: the syntax says it was
    assigned (YAML key, JSON, env, flag); prose ("token: mismatch") needs a generated look."""
    if not _is_secret_key(key):
        return False
    value = value.strip()
    if _NOT_SECRET_VALUE.fullmatch(value) or _PATH.fullmatch(value):
        return False
    words = set(_key_words(key))
    if (
        "secret" in words
        and not (words - {"secret"}) & (_SECRET_WORDS | {"key"})
        and _OBJECT_NAME.fullmatch(value)
        and not _UUID.fullmatch(value)
    ):
        # tlsSecret, kubeConfigSecret, certificates.kubevirt.io/secret: Kubernetes fields
        # named *Secret hold the name of a Secret object, not its content.
        return False
    return structured or (len(value) >= 4 and _GENERATED.match(value) is not None)


#: key, separator, value (patterns run in Python's re, not RE2: the lookbehinds and possessive
#: runs keep each line linear; benchmarks/hostile.py has 64 KiB lines built against them);
#: the value quoted (to its closing quote, JSON-escaped or not), the
#: rest of the line for a YAML key at the start of a line, else up to a delimiter
_KEY_VALUE = re.compile(
    r"""(?P<start>^\s*(?:-\s+)?)?(?<![\w./-])(?P<kq>\\?["']?)(?P<key>[\w./-]++)"""
    r"""(?P=kq)\s*(?P<sep>:(?P<colon>)|=)(?P<gap>[ \t]*)"""
    r"""(?:(?P<vq>\\?["'])(?P<quoted>.*?)(?P=vq)|(?P<bare>[^\s"'\\,;&}\]]+"""
    # a YAML key's bare value (key at the start of the line, a colon) runs to the line's end
    r"""(?(start)(?(colon)(?:[ \t]+[^\s#]\S*)*|)|)))"""
)
_FLAG = re.compile(r"(?<!\S)(--?[\w.-]+)([ \t]+)([^\s\-\"'][^\s\"']*)")
#: "name": "DB_PASSWORD", "value": "..." in a JSON env list
_ENV_JSON = re.compile(
    r"""(["']?name["']?\s*:\s*["']?(?P<key>[\w.-]+)["']?\s*,\s*["']?value["']?\s*:\s*)"""
    r"""(?P<vq>\\?["'])(?P<value>.*?)(?P=vq)"""
)


def _key_values(line: str) -> tuple[str, int]:
    count = 0

    def key_value(m: re.Match[str]) -> str:
        nonlocal count
        quoted = m["vq"] is not None
        value = m["quoted"] if quoted else m["bare"]
        yaml_key = m["start"] is not None and m["sep"] == ":"
        # A mid-line "key: value" without quotes is where prose lives; elsewhere the syntax
        # says the value was assigned: env, logfmt and flags (=), JSON ("key":), YAML keys.
        structured = yaml_key or m["sep"] == "=" or bool(m["kq"])
        if not _is_secret(m["key"], value, structured):
            return m.group(0)
        count += 1
        head = m.group(0)[: m.end("gap") - m.start(0)]
        return head + m.group(0)[len(head) :].replace(value, REDACTED, 1)

    def flag(m: re.Match[str]) -> str:
        nonlocal count
        # "--token flag" in prose: a flag's value after a space counts only if it looks generated
        if not _is_secret(m[1].lstrip("-"), m[3], False):
            return m.group(0)
        count += 1
        return m[1] + m[2] + REDACTED

    def env_json(m: re.Match[str]) -> str:
        nonlocal count
        if not _is_secret(m["key"], m["value"], True):
            return m.group(0)
        count += 1
        return m.group(1) + m["vq"] + REDACTED + m["vq"]

    line = _ENV_JSON.sub(env_json, line)
    line = _KEY_VALUE.sub(key_value, line)
    line = _FLAG.sub(flag, line)
    return line, count


def _redact_line(line: str) -> tuple[str, int]:
    count = 0
    for pattern, replacement in _SHAPES:
        line, found = pattern.subn(replacement, line)
        count += found
    line, found = _key_values(line)
    return line, count + found


# -- secrets over several lines ---------------------------------------------------------------
_BLOCK_START = re.compile(
    r"(?P<indent>\s*)(?:-\s+)?[\"']?(?P<key>[\w.-]+)[\"']?:\s*[|>][-+0-9]*\s*"
)
_ENV_NAME = re.compile(r"\s*-\s+name:\s*[\"']?(?P<key>[\w.-]+)[\"']?\s*")
_ENV_VALUE = re.compile(r"(?P<head>\s*value:\s*)(?P<value>.*?)\s*")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _multiline(lines: Sequence[str]) -> tuple[set[int], dict[int, str], int]:
    """Lines wholly secret (a key's body, a secret block scalar), values on their own line
    (an env entry's ``value:``), and how many secrets they make."""
    hidden: set[int] = set()
    rewritten: dict[int, str] = {}
    count = 0
    # the last END line: whether a key's body goes on, found in one pass (not one per line)
    last_end = max((i for i, line in enumerate(lines) if _PEM_END.search(line)), default=-1)
    n = 0
    while n < len(lines):
        line = lines[n]
        block = _BLOCK_START.fullmatch(line)
        env = _ENV_NAME.fullmatch(line)
        if block and _is_secret_key(block["key"]):
            # A YAML block scalar: the lines indented deeper than its key are its value.
            end = n + 1
            while end < len(lines) and (
                not lines[end].strip() or _indent(lines[end]) > len(block["indent"])
            ):
                end += 1
            if end > n + 1:
                hidden.update(range(n + 1, end))
                count += 1
            n = end
            continue
        if env and n + 1 < len(lines) and _is_secret_key(env["key"]):
            value = _ENV_VALUE.fullmatch(lines[n + 1])
            raw = value["value"].strip("\"'") if value else ""
            if value and _is_secret(env["key"], raw, True):
                rewritten[n + 1] = value["head"] + REDACTED
                count += 1
        begin = _PEM_BEGIN.search(line)
        if begin and not _PEM_BEGIN.fullmatch(line.strip()):
            n += 1  # a key on one line: _SHAPES replaces it
            continue
        if begin:
            # The header line is replaced (and counted) by _SHAPES; its body follows, to the
            # END line, or as long as lines look like a key's body when the window cuts it.
            end = n + 1
            while end < len(lines) and not _PEM_END.search(lines[end]):
                if not _PEM_BODY.fullmatch(lines[end]) and last_end < end:
                    break
                end += 1
            hidden.update(range(n + 1, end))
            n = end
            continue
        if _PEM_END.search(line) and n and n - 1 not in hidden:
            # The window starts inside a key: its body is the run of lines just before END.
            start = n
            while start > 0 and start - 1 not in hidden and _PEM_BODY.fullmatch(lines[start - 1]):
                start -= 1
            body = [i for i in range(start, n) if lines[i].strip()]
            if body:
                hidden.update(range(start, n))
                count += 1
        n += 1
    return hidden, rewritten, count


def redact_lines(lines: Sequence[str]) -> tuple[list[str], int]:
    """``lines`` (consecutive lines of one text) with secrets replaced, as many lines, and how
    many secrets there were."""
    hidden, rewritten, count = _multiline(lines)
    out = []
    for n, line in enumerate(lines):
        if n in hidden:
            out.append(line[: _indent(line)] + REDACTED if line.strip() else line)
            continue
        cleaned, found = _redact_line(rewritten.get(n, line))
        out.append(cleaned)
        count += found
    return out, count


def redact(text: str) -> tuple[str, int]:
    """``text`` with secrets replaced, and how many were."""
    if not text:
        return text, 0
    lines, count = redact_lines(text.split("\n"))
    return "\n".join(lines), count
