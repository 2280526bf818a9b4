"""Adversarial-training methods as `Strategy` objects of the one trainer (`perturbstudy.train`).

STD, AT (Madry), SAT (Goodfellow), AMAT (Ma & Liang), DPAAT (Li et al. 2024) and its ablations
D-A (adaptive epsilon only) and D-B (synchronisation loss only). Every method generates its
adversarial examples with `perturbstudy.attacks` (L2 PGD), the project's only attack code.
"""

from .strategies import (
    METHOD_LABELS,
    METHODS,
    AdversarialTraining,
    AdversarySettings,
    AMATTraining,
    DPAATTraining,
    SATTraining,
    amat_radius_update,
    build_strategy,
    dpaat_epsilon,
    synchronisation_loss,
)

__all__ = [
    "METHODS", "METHOD_LABELS", "AdversarySettings", "AdversarialTraining", "SATTraining", "AMATTraining",
    "DPAATTraining", "build_strategy", "dpaat_epsilon", "synchronisation_loss", "amat_radius_update",
]
