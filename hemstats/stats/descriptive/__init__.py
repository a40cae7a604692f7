"""descriptive."""
