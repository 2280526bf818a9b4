"""The augmentation variants of Pervin et al.'s comparison (torch-free: the config contract reads them)."""

SIGN_VARIANTS = ("fgsm", "inverse_fgsm")  # copies made by the model trained without augmentation
CLASSIC_VARIANTS = ("flip", "rotate", "crop", "jitter")  # their Table 3, torchvision v2
VARIANTS = ("none", *SIGN_VARIANTS, *CLASSIC_VARIANTS)
