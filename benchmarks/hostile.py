"""Hostile bundles and rule packs at full size: each must end in a report, or in exit 2 (128 + n
when signal n stops it) with one line, within a minute, under 1 GB of memory, writing nothing
outside its private temporary folder.

    python benchmarks/hostile.py

Builds the corpus of tests/hostile_corpus.py at the sizes issue 4 names (a 2 GB log of zeros,
zipped and as a sparse file, a 300 MB line without a newline, YAML of tiny values at the
parse limit ...), analyzes each with the CLI in a fresh process (benchmarks/measure.py), and
prints exit code, wall time and peak RSS.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from measure import PROJECT, analyze_command, measure

sys.path.insert(0, str(PROJECT))

from tests import hostile_corpus as corpus
from tests import hostile_kinds as kinds

GIB = 1024 * corpus.MIB


def _deep_home() -> Path:
    """A folder of its own for the 1,500-level folder: rglob and shutil.rmtree recurse per
    level and would fail on it, so it is kept out of the work folder and removed at exit."""
    home = Path(tempfile.mkdtemp(prefix="hostile-deep-"))
    atexit.register(corpus.remove_deep, home)
    return home


def cases(work: Path) -> list[tuple]:
    secret = work / "host-secret"
    secret.write_text("root:x:0:0\n")

    def at(name: str) -> Path:
        folder = work / name
        folder.mkdir()
        return folder

    return [
        ("zip bomb: 2 GiB of zeros in a node log", [corpus.zip_bomb_entry(at("bomb"), 2 * GIB)]),
        ("2 GiB of zeros, sparse file", [corpus.zeros_log(at("zeros"), 2 * GIB)]),
        ("300 MiB line without a newline", [corpus.long_line(at("line"), 300 * corpus.MIB)]),
        ("90 MiB of tiny YAML values", [corpus.tiny_values_yaml(at("tiny"), 90 * corpus.MIB)]),
        ("YAML alias bomb", [corpus.alias_bomb(at("alias"))]),
        ("10 million entries declared", [corpus.many_entries_declared(at("entries"))]),
        ("80 GiB declared", [corpus.huge_declared_sizes(at("declared"))]),
        ("archive in a node zip", [corpus.nested_bomb(at("nested"))]),
        ("../ and absolute names", [corpus.traversal(at("traversal"))]),
        ("tar links to host files", [corpus.tar_links(at("links"), secret)]),
        ("truncated tar.gz", [corpus.truncated_tar(at("truncated"))]),
        ("malformed YAML", [corpus.malformed_yaml(at("malformed"))]),
        ("binary logs", [corpus.binary_logs(at("binary"))]),
        ("split bundle, first part", corpus.split_bytes(at("split"))[:1]),
        # issue 10: archives and folders
        ("12 node zips of 199k entries", [corpus.many_node_zip_entries(at("budget"))]),
        ("deflate64 and encrypted entries", [corpus.unreadable_methods(at("methods"))]),
        ("folder 1,500 levels deep", [corpus.deep_folder(_deep_home(), 1500)]),
        ("names not UTF-8, folder", [corpus.non_utf8_folder(at("nonutf8"))]),
        ("names not UTF-8, tar.gz", [corpus.non_utf8_tar(at("nonutf8tar"))]),
        ("5,000-character tar path", [corpus.long_tar_path(at("longpath"), 5000)]),
        (
            "tar bomb: 1000 MiB of zeros in a member",
            [corpus.tar_bomb(at("tarbomb"), 1000 * corpus.MIB)],
        ),
        ("/usr, a huge folder that is no bundle", [Path("/usr")]),
        (
            "ticket folder with 3 bundles",
            [corpus.ticket_folder(at("ticket"), ["a.zip", "b\x1b[2J.zip"], 1)],
        ),
        ("outer zip around one bundle zip", [corpus.outer_zip(at("outer"))]),
        ("64 KiB lines against the redaction", [corpus.secret_shapes(at("secrets"))]),
        # Hostile rule packs (issue 10, item 11), analyzing the healthy fixture: name,
        # bundle, and the extra arguments that point the CLI at the pack.
        ("rules: templates building 2 GB", [corpus.BASE], rules(corpus.template_bombs(at("tpl")))),
        ("rules: jmespath [@, @] x 34", [corpus.BASE], rules(corpus.query_bombs(at("query")))),
        ("rules: YAML alias bomb", [corpus.BASE], rules(corpus.rule_alias_bomb(at("ralias")))),
        ("rules: 5,000 in a chain", [corpus.BASE], rules(corpus.rule_graph(at("chain")))),
        (
            "rules: 5,000, each explains 50",
            [corpus.BASE],
            rules(corpus.rule_graph(at("dense"), fan_out=50)),
        ),
        ("odd values, 20,025 pods (25 odd)", [corpus.odd_values(at("odd"))]),
        ("200,000 out-of-range log times", [corpus.odd_log_times(at("times"))]),
        ("192 MiB of near-miss kernel lines", [corpus.busy_logs(at("busy"))]),
        # issue 12, item 4: supportconfig archives are read in place, inside node zips
        (
            "xz bomb: 4 GiB in a node zip's scc/*.txz",
            [corpus.scc_bomb(at("scc"), 4 * GIB)],
            rules(corpus.scc_rules(at("sccrules"))),
        ),
        (
            "pax header of 2 GiB in scc/*.txz",
            [corpus.scc_pax_bomb(at("pax"))],
            rules(corpus.scc_rules(at("paxrules"))),
        ),
        # issue 15: the other bundle kinds
        ("troubleshoot: 90 MiB JSON of tiny objects", [kinds.troubleshoot_tiny_json(at("tsj"))]),
        ("troubleshoot: JSON 5,000,000 deep", [kinds.troubleshoot_deep_json(at("tsdeep"))]),
        ("longhorn legacy: alias bomb, odd lists", [kinds.longhorn_legacy_bombs(at("lhl"))]),
        ("logs collector: 2 GiB journald unit", [kinds.logs_collector_zeros(at("lc"))]),
        *_interrupted_cases(at),
        *_output_cases(work, at),
    ]


#: runs a command under a file-size limit: a disk that fills up at 1 KiB (Python ignores
#: SIGXFSZ, so a write past the limit fails with EFBIG as one on a full disk with ENOSPC)
FILE_SIZE_LIMIT = [
    sys.executable,
    "-c",
    "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024)); "
    "os.execv(sys.argv[1], sys.argv[1:])",
]


def _output_cases(work: Path, at: Callable[[str], Path]) -> list[tuple]:
    """Issue 10, items 4 and 5: markup in every string the Markdown report shows; -o naming
    a symbolic link; the disk full while the report is written over a previous one. Each
    case adds CLI arguments (the later -f and -o win) and perhaps a command prefix."""
    markup = at("markup")
    link = at("link") / "report.md"
    link.symlink_to(work / "host-secret")  # what a report must not overwrite
    full = at("full") / "report.md"
    full.write_text("# the previous report\n")
    return [
        (
            "markup in every report string, Markdown",
            [corpus.markup_bundle(markup)],
            ["--rules", str(corpus.markup_rules(markup)), "-f", "md"],
        ),
        ("-o names a symbolic link", [corpus.bundle_dir(at("linked"))], ["-o", str(link)]),
        (
            "disk full writing over a report",
            [corpus.bundle_dir(at("disk"))],
            ["-f", "md", "-o", str(full)],
            FILE_SIZE_LIMIT,
        ),
    ]


def _interrupted(signal: int) -> list[str]:
    """A command prefix that starts the analysis, sends it ``signal`` half a second later
    (mid-scan on the busy bundle) and exits with the analysis's own exit code."""
    return [
        sys.executable,
        "-c",
        "import subprocess, sys, time; run = subprocess.Popen(sys.argv[2:]); time.sleep(0.5); "
        "run.send_signal(int(sys.argv[1])); sys.exit(run.wait())",
        str(signal),
    ]


def _interrupted_cases(at: Callable[[str], Path]) -> list[tuple]:
    """Issue 10, item 12: SIGINT, SIGTERM and SIGHUP in the middle of a scan, and a TMPDIR
    that fills up while node zips are copied into it (the same file-size limit as a full
    disk; the report goes to /dev/null, which no limit touches)."""
    busy = corpus.busy_logs(at("interrupted"))
    return [
        *(
            (f"signal {sig.name} mid-scan", [busy], [], _interrupted(sig))
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        ),
        ("TMPDIR full while node zips are copied", [busy], [], FILE_SIZE_LIMIT),
    ]


def rules(pack: Path) -> list[str]:
    return ["--rules", str(pack)]


#: exit codes of a run ended by SIGHUP, SIGINT, SIGTERM (128 + the signal's number)
INTERRUPTED = (129, 130, 143)


def main() -> int:
    failures = 0
    # The analyses get a temporary folder of their own (TMPDIR, passed on by measure): what
    # is left there is theirs, whatever else runs on the machine.
    with (
        tempfile.TemporaryDirectory(prefix="hostile-bench-") as folder,
        tempfile.TemporaryDirectory(prefix="hostile-tmp-") as private,
    ):
        work, tmp = Path(folder), Path(private)
        os.environ["TMPDIR"] = private
        print(f"cores: {os.cpu_count()}")
        print(f"{'case':<40} {'exit':>4} {'wall s':>7} {'peak MB':>8}  outcome")
        for name, paths, *how in cases(work):
            # a case may add CLI arguments, and a command prefix (e.g. a resource limit)
            extra, prefix = (*how, [], None)[:2]
            listing = {p for p in work.rglob("*")}
            run = measure(analyze_command(paths, *extra), prefix=prefix)
            messages = run.stderr.strip().splitlines()
            wall, peak = run.wall, run.peak_mb
            written = {p for p in work.rglob("*")} - listing
            ok = (
                run.returncode in (0, 2, *INTERRUPTED)
                and len(messages) == 1
                and wall < 60
                and peak < 1024
                and not written
            )
            failures += not ok
            outcome = messages[0][:70] if messages else "?"
            print(
                f"{name:<40} {run.returncode:>4} {wall:>7.2f} {peak:>8.0f}  "
                f"{'ok' if ok else 'FAILED'}: {outcome}"
            )
        leftovers = set(tmp.glob("bundle-analyzer-*"))
        if leftovers:
            print(f"left in {tmp}: {sorted(p.name for p in leftovers)}")
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
