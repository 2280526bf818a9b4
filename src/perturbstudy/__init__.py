"""perturbstudy: how perturbations in training data change the robustness of CNNs."""

__version__ = "0.1.0"
