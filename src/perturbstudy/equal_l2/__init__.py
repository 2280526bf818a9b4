"""The equal-L2 machinery shared by training sets and benchmarks: exact calibration, the one direction
builder, benchmark sets."""
