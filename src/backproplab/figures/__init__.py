"""The figures: matplotlib (Agg) drawings of data, networks, learning curves and sweeps.
matplotlib is imported by the function that draws, never at start-up."""
