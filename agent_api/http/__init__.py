"""The HTTP layer: routes, request parsing, authentication, and mapping errors to responses.
Nothing below this package knows about HTTP."""
