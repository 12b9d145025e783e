"""Pipeline stages (prepare, train, evaluate, tune) and their I/O; imports unit_core, never the reverse."""
