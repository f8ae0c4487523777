#!/usr/bin/env python3
"""How much outline an IoU threshold leaves on MoNuSeg nuclei (README, Interactive segmentation).

For every test nucleus: the IoU of its ground truth with itself grown by one pixel and shifted
by one pixel; the best IoU any threshold of the image's hematoxylin density reaches between the
nucleus's core (eroded by 2 px) and its surroundings (grown by 3 px, neighbours excluded) — an
oracle for snapping outlines to the stain; with an optional folder of predicted instance maps,
the best-overlap IoU of each nucleus with a predicted instance. Needs numpy, scipy, Pillow and
../shared/data.

usage: annotation-floor.py [PRED_DIR]"""
import glob, os, sys
import numpy as np
from PIL import Image
from scipy import ndimage

def labels(path):
    value = np.array(Image.open(path)).astype(np.int64)
    return value[..., 0] + 256 * value[..., 1] + 65536 * value[..., 2] if value.ndim == 3 else value

# Ruifrok & Johnston hematoxylin optical density (Sources/Imaging's ColorDeconvolution, skimage's rgb2hed).
HED_FROM_RGB = np.linalg.inv(np.array([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]]))

def hematoxylin(path):
    rgb = np.array(Image.open(path).convert('RGB')).astype(np.float64)
    density = np.log(np.maximum(rgb / 255, 1e-6)) / np.log(1e-6)
    return ndimage.gaussian_filter(np.maximum(density @ HED_FROM_RGB[:, 0], 0), 0.7)

def best_stain_threshold(mask, stain, others):
    core = ndimage.binary_erosion(mask, iterations=2)
    band = ndimage.binary_dilation(mask, iterations=3) & ~others & ~core
    best = 0
    for threshold in np.quantile(stain[band], np.linspace(0, 1, 41)):
        snapped = ndimage.binary_fill_holes(core | (band & (stain > threshold)))
        best = max(best, (snapped & mask).sum() / (snapped | mask).sum())
    return best

def share(values, threshold):
    return (values >= threshold).mean()

grown, shifted, stained, best, areas = [], [], [], [], []
prediction_dir = sys.argv[1] if len(sys.argv) > 1 else None
for path in sorted(glob.glob('../shared/data/monuseg/test/instance_masks/*.png')):
    truth = labels(path)
    stain = hematoxylin(path.replace('instance_masks', 'images').replace('.png', '.tif'))
    predicted = labels(os.path.join(prediction_dir, os.path.basename(path))) if prediction_dir else None
    predicted_areas = np.bincount(predicted.ravel()) if predicted is not None else None
    for index, box in enumerate(ndimage.find_objects(truth)):
        if box is None:
            continue
        # Room around the nucleus for the stain oracle's 3-px surroundings, with a margin.
        window = tuple(slice(max(0, s.start - 6), s.stop + 6) for s in box)
        mask = truth[window] == index + 1
        if mask.sum() < 10:
            continue
        areas.append(mask.sum())
        grown.append(mask.sum() / ndimage.binary_dilation(mask).sum())
        moved = np.roll(mask, 1, axis=1)
        shifted.append((moved & mask).sum() / (moved | mask).sum())
        stained.append(best_stain_threshold(mask, stain[window], (truth[window] != 0) & ~mask))
        if predicted is not None:
            # The window holds the whole nucleus, so the overlaps are complete; union = |a| + |b| − overlap.
            ids, counts = np.unique(predicted[window][mask], return_counts=True)
            best.append(max([n / (mask.sum() + predicted_areas[i] - n) for i, n in zip(ids, counts) if i] or [0]))
print(f'{len(areas)} nuclei, median area {np.median(areas):.0f} px')
for name, values in [('grown by 1 px', grown), ('shifted by 1 px', shifted), ('best hematoxylin threshold', stained), ('best predicted instance', best)]:
    if values:
        values = np.array(values)
        print(f'{name}: IoU >= 0.85 for {share(values, 0.85):.1%}, >= 0.90 for {share(values, 0.90):.1%}, mean {values.mean():.3f}')
