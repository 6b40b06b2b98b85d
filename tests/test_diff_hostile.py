"""`diff` on hostile and broken bundles (tests/hostile_corpus.py): a diff or a one-line
error, never a traceback; what a bundle injects is escaped and redacted as in `analyze`."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from markdown_it import MarkdownIt

from fixtures.goldens import BUNDLES
from tests import hostile_corpus as corpus
from tests.test_cli import assert_one_line_error, run
from tests.test_diff_bundles import SCHEMA

BUILDERS = [
    corpus.traversal,
    corpus.nested_traversal,
    corpus.malformed_yaml,
    corpus.alias_bomb,
    corpus.non_list_yaml,
    corpus.binary_logs,
    corpus.truncated_tar,
    corpus.nested_bomb,
    corpus.zip_bomb_entry,
]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_hostile_bundle_gives_a_diff_or_one_line(build, capsys, tmp_path):
    (tmp_path / "hostile").mkdir()
    hostile = build(tmp_path / "hostile")
    for old, new in ((BUNDLES / "healthy-v161", hostile), (hostile, BUNDLES / "healthy-v161")):
        code, out, err = run(capsys, "diff", str(old), str(new), "-f", "json")
        assert "Traceback" not in err
        if code == 2:
            assert_one_line_error(err)
        else:
            assert code == 0, err
            jsonschema.validate(json.loads(out), SCHEMA)


def test_markup_bundle_is_escaped_in_every_format(capsys, tmp_path):
    (tmp_path / "markup").mkdir()
    hostile = corpus.markup_bundle(tmp_path / "markup")
    base = BUNDLES / "rc3-console-notready"
    md = run(capsys, "diff", str(base), str(hostile), "-f", "md")[1]
    html = run(capsys, "diff", str(base), str(hostile), "-f", "html")[1]
    assert "<img" not in html and "\x1b" not in html and "\u202e" not in html
    assert "\x1b" not in md and "\u202e" not in md
    # What a ticket viewer would make live: rendered with a CommonMark parser.
    rendered = MarkdownIt("commonmark", {"html": True}).render(md)
    assert "javascript:" not in "".join(re.findall(r'href="[^"]*"', rendered))
    assert "<img" not in rendered and "<!--" not in rendered
