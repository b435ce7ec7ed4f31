"""The back office's views, one module per role's screens (and ``account`` for everyone)."""
