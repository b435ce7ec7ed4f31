"""Tables, the engine and the unit of work. Imports the domain, never the HTTP layer."""
