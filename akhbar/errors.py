"""Errors whose message is meant for the user as it is (the CLI prints it as one line)."""


class AkhbarError(Exception):
    """Base of errors that explain themselves; anything else is a bug or an outside failure."""
