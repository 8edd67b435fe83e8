"""The stored library read for people: search across recordings, and exports."""
