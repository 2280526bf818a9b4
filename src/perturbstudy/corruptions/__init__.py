"""Distribution-shift benchmarks: MNIST-C corruptions for digits (written once here), MedMNIST-C corruptions and
training augmentations for MedMNIST data (the optional `medmnistc` package), the seeded and hashed benchmark sets
built from them, and their metrics (accuracy per corruption and severity, mCA, relative corruption error)."""
