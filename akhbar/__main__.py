"""``python -m akhbar`` runs the CLI (the scheduler and tests start crawls this way)."""

from akhbar.cli import main

main()
