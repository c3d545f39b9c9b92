"""The ``tiffin`` command line: one thin module per command."""
