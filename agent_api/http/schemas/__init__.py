"""Request and response schemas. Never table models: inputs forbid unknown fields."""
