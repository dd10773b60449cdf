"""regularize."""
