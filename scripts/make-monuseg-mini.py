#!/usr/bin/env python3
"""Builds Samples/monuseg-mini: six 256x256 crops of MoNuSeg TRAIN images with their
instance label maps (uint16 PNG, ids renumbered 1..N in raster order).

Run from the repository root with ../shared present:  python3 scripts/make-monuseg-mini.py
Needs numpy and Pillow.
"""
import os
import numpy as np
from PIL import Image

SOURCE = "../shared/data/monuseg/train"
OUT = "Samples/monuseg-mini"
# (image id, x, y): varied organs and densities.
CROPS = [
    ("TCGA-18-5592-01Z-00-DX1", 372, 372),
    ("TCGA-21-5786-01Z-00-DX1", 100, 600),
    ("TCGA-A7-A13E-01Z-00-DX1", 600, 100),
    ("TCGA-B0-5711-01Z-00-DX1", 372, 600),
    ("TCGA-G9-6362-01Z-00-DX1", 600, 600),
    ("TCGA-NH-A8F7-01A-01-TS1", 100, 100),
]
SIZE = 256

os.makedirs(f"{OUT}/images", exist_ok=True)
os.makedirs(f"{OUT}/instance_masks", exist_ok=True)
for name, x, y in CROPS:
    image = np.array(Image.open(f"{SOURCE}/images/{name}.tif").convert("RGB"))[y:y + SIZE, x:x + SIZE]
    labels = np.array(Image.open(f"{SOURCE}/instance_masks/{name}.png")).astype(np.int64)[y:y + SIZE, x:x + SIZE]
    # Renumber in order of first appearance (raster order).
    flat = labels.ravel()
    _, first = np.unique(flat, return_index=True)
    order = [flat[i] for i in sorted(first) if flat[i] != 0]
    mapping = {old: new for new, old in enumerate(order, start=1)}
    renumbered = np.zeros_like(labels)
    for old, new in mapping.items():
        renumbered[labels == old] = new
    stem = f"{name}_x{x}_y{y}"
    Image.fromarray(image).save(f"{OUT}/images/{stem}.png", optimize=True)
    Image.fromarray(renumbered.astype(np.uint16)).save(f"{OUT}/instance_masks/{stem}.png", optimize=True)
    print(stem, len(mapping), "nuclei")
