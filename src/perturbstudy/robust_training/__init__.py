"""Adversarial training after Li et al. 2024 and neighbours: methods as strategies of the one trainer,
the attack suite, metrics, Grad-CAM and tables. "Medical" names a paper's data, not this package: the
methods run on MNIST digits as a demonstration and on MedMNIST data for results."""
