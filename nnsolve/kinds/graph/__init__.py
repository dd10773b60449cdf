"""graph: a computational graph of scalars."""
