"""Segmentation after Pervin et al. 2023: image/mask data, a MONAI UNet, IoU/Dice, FGSM / inverse-FGSM and
classic augmentations. A segmentation set is a `data.Pool` whose labels are masks [N, 1, H, W] in {0, 1}."""
