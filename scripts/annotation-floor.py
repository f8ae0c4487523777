#!/usr/bin/env python3
"""How much outline an IoU threshold leaves on MoNuSeg nuclei (README, Interactive segmentation).

For every test nucleus: the IoU of its ground truth with itself grown by one pixel and shifted
by one pixel; with an optional folder of predicted instance maps, the best-overlap IoU of each
nucleus with a predicted instance. Needs numpy, scipy, Pillow and ../shared/data.

usage: annotation-floor.py [PRED_DIR]"""
import glob, os, sys
import numpy as np
from PIL import Image
from scipy import ndimage

def labels(path):
    value = np.array(Image.open(path)).astype(np.int64)
    return value[..., 0] + 256 * value[..., 1] + 65536 * value[..., 2] if value.ndim == 3 else value

def share(values, threshold):
    return (values >= threshold).mean()

grown, shifted, best, areas = [], [], [], []
prediction_dir = sys.argv[1] if len(sys.argv) > 1 else None
for path in sorted(glob.glob('../shared/data/monuseg/test/instance_masks/*.png')):
    truth = labels(path)
    predicted = labels(os.path.join(prediction_dir, os.path.basename(path))) if prediction_dir else None
    predicted_areas = np.bincount(predicted.ravel()) if predicted is not None else None
    for index, box in enumerate(ndimage.find_objects(truth)):
        if box is None:
            continue
        window = tuple(slice(max(0, s.start - 3), s.stop + 3) for s in box)
        mask = truth[window] == index + 1
        if mask.sum() < 10:
            continue
        areas.append(mask.sum())
        grown.append(mask.sum() / ndimage.binary_dilation(mask).sum())
        moved = np.roll(mask, 1, axis=1)
        shifted.append((moved & mask).sum() / (moved | mask).sum())
        if predicted is not None:
            # The window holds the whole nucleus, so the overlaps are complete; union = |a| + |b| − overlap.
            ids, counts = np.unique(predicted[window][mask], return_counts=True)
            best.append(max([n / (mask.sum() + predicted_areas[i] - n) for i, n in zip(ids, counts) if i] or [0]))
print(f'{len(areas)} nuclei, median area {np.median(areas):.0f} px')
for name, values in [('grown by 1 px', grown), ('shifted by 1 px', shifted), ('best predicted instance', best)]:
    if values:
        values = np.array(values)
        print(f'{name}: IoU >= 0.85 for {share(values, 0.85):.1%}, >= 0.90 for {share(values, 0.90):.1%}, mean {values.mean():.3f}')
