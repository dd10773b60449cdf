"""The operations every kind shares, each with its forward and backward rule side by side."""
