"""Training-data perturbations: exact equal-L2 calibration, directions, imbalance, label errors, designs.

Submodules are imported directly (`perturbstudy.perturb.calibrate`, ...); this package file stays
light so that `perturbstudy.design` can read the series grid without importing torch.
"""
