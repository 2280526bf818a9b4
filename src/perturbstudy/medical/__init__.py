"""DPAAT medical runs (Li et al. 2024): the six CNNs, metrics, the attack suite, Grad-CAM, tables.

Import `perturbstudy.medical.models` to register the torchvision CNNs with `perturbstudy.models`.
"""
