"""backprop."""
