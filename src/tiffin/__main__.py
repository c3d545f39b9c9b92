"""``python -m tiffin`` runs the CLI."""

from tiffin.cli.main import main

main()
