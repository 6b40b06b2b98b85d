# The entry point installs the signal handlers, then imports the CLI (see analyzer/entry.py).
from analyzer.entry import run

run()
