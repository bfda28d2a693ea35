"""warroom: a full-screen terminal war room for production incidents."""

__version__ = "0.1.0"

# Configured once, here: warroom's log records go nowhere unless a program (or a test) adds
# a handler. Without this, Python's last-resort handler prints every warning on stderr, beside
# the one line the command itself prints.
import logging as _logging

_logging.getLogger("warroom").addHandler(_logging.NullHandler())
