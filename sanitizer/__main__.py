"""``python -m sanitizer`` runs the CLI."""

from .cli import main

main()
