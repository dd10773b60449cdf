"""Problem specifications: what a problem file says, checked and in numbers (dataclasses)."""
