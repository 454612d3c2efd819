"""Tasks: what users run (body recovery, imitation, ...), composed from the library."""
