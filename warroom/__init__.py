"""warroom: a full-screen terminal war room for production incidents."""

__version__ = "0.1.0"

# warroom's log records go nowhere unless a program (or a test) adds a handler: the modules
# that log say so where they make their logger (integrations/delivery.py), so that a one-shot
# command, which logs nothing, does not import `logging` (a sixth of its start-up).
