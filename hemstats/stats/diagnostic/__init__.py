"""diagnostic."""
