#!/usr/bin/env python3
"""Golden arrays for the Imaging tests, from scikit-image / scipy.

Run from the repository root:  python3 scripts/goldens/imaging_goldens.py
Writes Tests/Fixtures/imaging/goldens.json (small arrays only, row-major, nested lists).
Versions used: numpy 2.4, scipy 1.17, scikit-image 0.26.
"""
import json
import numpy as np
from scipy import ndimage as ndi
import skimage
from skimage import color, draw, filters, measure, morphology, segmentation

rng = np.random.default_rng(20261125)
out = {"versions": {"numpy": np.__version__, "skimage": skimage.__version__}}

# Colour deconvolution
rgb = rng.integers(0, 256, size=(5, 6, 3), dtype=np.uint8)
rgb[0, 0] = [0, 0, 0]
rgb[0, 1] = [255, 255, 255]
hed = color.rgb2hed(rgb)
out["hed"] = {"rgb": rgb.tolist(), "hed": hed.tolist(), "rgb_back": color.hed2rgb(hed).tolist()}

# Otsu (two classes and three): a three-mode mixture, float64 values exactly representable in float32
values = np.concatenate([rng.normal(0.2, 0.05, 500), rng.normal(0.5, 0.05, 300), rng.normal(0.8, 0.04, 400)])
values = values.astype(np.float32).astype(np.float64).reshape(30, 40)
out["otsu"] = {"values": values.tolist(), "threshold": float(filters.threshold_otsu(values)),
               "multi3": filters.threshold_multiotsu(values, classes=3).tolist()}

# Gaussian blur
plane = rng.random((9, 12)).astype(np.float32).astype(np.float64)
out["gaussian"] = {"plane": plane.tolist(), "sigma": 1.5,
                   "blurred": ndi.gaussian_filter(plane, 1.5, mode="reflect", truncate=4.0).tolist()}

# HoVerNet Sobel kernel (np.meshgrid "xy": h varies along x), correlated with mirror (reflect-101) borders
def sobel_kernel(size):
    r = np.arange(-size // 2 + 1, size // 2 + 1, dtype=np.float64)
    h, v = np.meshgrid(r, r)
    return h / (h * h + v * v + 1.0e-15), v / (h * h + v * v + 1.0e-15)

plane = rng.random((8, 10)).astype(np.float32).astype(np.float64)
kh, kv = sobel_kernel(5)
out["sobel5"] = {"plane": plane.tolist(), "kernel_h": kh.tolist(),
                 "h": ndi.correlate(plane, kh, mode="mirror").tolist(),
                 "v": ndi.correlate(plane, kv, mode="mirror").tolist()}

# Morphology
mask = rng.random((16, 20)) > 0.55
out["morphology"] = {
    "mask": mask.astype(int).tolist(),
    "disk2": morphology.disk(2).astype(int).tolist(),
    "ellipse_3_2": morphology.ellipse(3, 2).astype(int).tolist(),
    "erode_disk2": morphology.binary_erosion(mask, morphology.disk(2)).astype(int).tolist(),
    "dilate_disk2": morphology.binary_dilation(mask, morphology.disk(2)).astype(int).tolist(),
    "open_disk1": morphology.binary_opening(mask, morphology.disk(1)).astype(int).tolist(),
    "close_ellipse_3_2": morphology.binary_closing(mask, morphology.ellipse(3, 2)).astype(int).tolist(),
}

# Holes, components, small objects
mask = rng.random((18, 22)) > 0.45
out["components"] = {
    "mask": mask.astype(int).tolist(),
    "filled": ndi.binary_fill_holes(mask).astype(int).tolist(),
    "label4": measure.label(mask, connectivity=1).tolist(),
    "label8": measure.label(mask, connectivity=2).tolist(),
    "small_removed_5_conn2": morphology.remove_small_objects(mask, min_size=5, connectivity=2).astype(int).tolist(),
}

# Euclidean distance transform
mask = rng.random((25, 30)) > 0.2
mask[10:20, 5:25] = True
out["edt"] = {"mask": mask.astype(int).tolist(), "distance": ndi.distance_transform_edt(mask).tolist()}

# Watershed: random elevation, a few markers, a mask
elevation = rng.random((20, 24)).astype(np.float32).astype(np.float64)
markers = np.zeros((20, 24), dtype=np.int64)
for label, (y, x) in enumerate([(2, 3), (15, 20), (10, 10), (5, 18)], start=1):
    markers[y, x] = label
ws_mask = rng.random((20, 24)) > 0.1
ws_mask[markers > 0] = True
out["watershed"] = {"elevation": elevation.tolist(), "markers": markers.tolist(), "mask": ws_mask.astype(int).tolist(),
                    "labels": segmentation.watershed(elevation, markers, mask=ws_mask).tolist(),
                    "labels_nomask": segmentation.watershed(elevation, markers).tolist()}

# Polygons with fractional vertices (MoNuSeg-like), rasterised at pixel centres
polygons = []
for _ in range(4):
    n = int(rng.integers(3, 12))
    angles = np.sort(rng.random(n) * 2 * np.pi)
    radii = 3 + 5 * rng.random(n)
    xs = 10 + radii * np.cos(angles) + rng.random()
    ys = 9 + radii * np.sin(angles) + rng.random()
    rr, cc = draw.polygon(ys, xs, shape=(20, 22))
    m = np.zeros((20, 22), dtype=int)
    m[rr, cc] = 1
    polygons.append({"x": xs.tolist(), "y": ys.tolist(), "mask": m.tolist()})
# integer vertices: edges through pixel centres
xs = np.array([2.0, 12.0, 12.0, 7.0, 2.0]); ys = np.array([2.0, 2.0, 10.0, 14.0, 10.0])
rr, cc = draw.polygon(ys, xs, shape=(20, 22)); m = np.zeros((20, 22), dtype=int); m[rr, cc] = 1
polygons.append({"x": xs.tolist(), "y": ys.tolist(), "mask": m.tolist()})
out["polygons"] = polygons

with open("Tests/Fixtures/imaging/goldens.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote Tests/Fixtures/imaging/goldens.json")
