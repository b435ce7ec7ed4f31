"""Pure business rules: no database, no HTTP, no I/O."""
