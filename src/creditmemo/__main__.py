"""`python -m creditmemo …` runs the CLI (how `creditmemo serve` starts its sealer process)."""

from creditmemo.cli import main

main()
