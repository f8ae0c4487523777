"""Goldens for HoVerNetTests: the HoVer-Net loss and HV targets, computed the way
hover_net (vqdang/hover_net, models/hovernet/{utils,targets}.py) does, in PyTorch/NumPy.

    python3 Tests/Fixtures/hovernet/make_goldens.py   # writes loss.json, targets.json here
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)


def blobs(h, w, specs):
    labels = np.zeros((h, w), np.int32)
    yy, xx = np.mgrid[0:h, 0:w]
    for i, (cy, cx, ry, rx) in enumerate(specs, start=1):
        labels[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1] = i
    return labels


def sobel_kernel(size):
    r = np.arange(-(size // 2), size // 2 + 1, dtype=np.float32)
    h, v = np.meshgrid(r, r)
    return h / (h * h + v * v + 1e-15), v / (h * h + v * v + 1e-15)


def gradient_hv(hv):
    kh, kv = [torch.tensor(k).view(1, 1, 5, 5) for k in sobel_kernel(5)]
    dh = F.conv2d(hv[..., 0].unsqueeze(1), kh, padding=2)
    dv = F.conv2d(hv[..., 1].unsqueeze(1), kv, padding=2)
    return torch.cat([dh, dv], dim=1).permute(0, 2, 3, 1)


def hover_loss(np_logits, hv_pred, np_onehot, hv_true):
    prob = F.softmax(np_logits, -1)
    p = torch.clamp(prob / prob.sum(-1, keepdim=True), 1e-7, 1 - 1e-7)
    ce = (-(np_onehot * torch.log(p)).sum(-1)).mean()
    inse = (prob * np_onehot).sum((0, 1, 2))
    dice = (1 - (2 * inse + 1e-3) / (prob.sum((0, 1, 2)) + np_onehot.sum((0, 1, 2)) + 1e-3)).sum()
    mse = ((hv_pred - hv_true) ** 2).mean()
    focus = torch.stack([np_onehot[..., 1]] * 2, -1)
    d = gradient_hv(hv_pred) - gradient_hv(hv_true)
    msge = (focus * d * d).sum() / (focus.sum() + 1e-8)
    return ce + dice + mse + 2 * msge, [ce, dice, mse, msge]


def hv_map(ann, min_size=30):
    """gen_instance_hv_map without mirror-padding repair and cropping (whole map)."""
    ann = ann.copy()
    ids, counts = np.unique(ann, return_counts=True)
    for i, c in zip(ids, counts):
        if i and c < min_size:
            ann[ann == i] = 0
    x_map = np.zeros(ann.shape, np.float32)
    y_map = np.zeros(ann.shape, np.float32)
    for inst_id in [i for i in np.unique(ann) if i]:
        full = (ann == inst_id).astype(np.uint8)
        rows, cols = np.where(full)
        y0, y1 = max(rows.min() - 2, 0), rows.max() + 3
        x0, x1 = max(cols.min() - 2, 0), cols.max() + 3
        inst = full[y0:y1, x0:x1]
        com = list(ndimage.center_of_mass(inst))
        com = [int(com[0] + 0.5), int(com[1] + 0.5)]
        xr = np.arange(1, inst.shape[1] + 1) - com[1]
        yr = np.arange(1, inst.shape[0] + 1) - com[0]
        ix, iy = np.meshgrid(xr, yr)
        ix[inst == 0] = 0
        iy[inst == 0] = 0
        ix = ix.astype(np.float32)
        iy = iy.astype(np.float32)
        if ix.min() < 0: ix[ix < 0] /= -ix[ix < 0].min()
        if iy.min() < 0: iy[iy < 0] /= -iy[iy < 0].min()
        if ix.max() > 0: ix[ix > 0] /= ix[ix > 0].max()
        if iy.max() > 0: iy[iy > 0] /= iy[iy > 0].max()
        xb = x_map[y0:y1, x0:x1]; xb[inst > 0] = ix[inst > 0]
        yb = y_map[y0:y1, x0:x1]; yb[inst > 0] = iy[inst > 0]
    return x_map, y_map


def flat(t):
    return [float(v) for v in np.asarray(t, np.float64).ravel()]


# Loss golden: batch 2 of 12×12.
labels = np.stack([blobs(12, 12, [(4, 4, 3, 2.5), (8, 9, 2.5, 3)]), blobs(12, 12, [(6, 6, 4, 3.5)])])
onehot = torch.tensor(np.stack([labels == 0, labels > 0], -1).astype(np.float32))
hv_true = torch.tensor(rng.uniform(-1, 1, (2, 12, 12, 2)).astype(np.float32)) * onehot[..., 1:2]
np_logits = torch.tensor(rng.normal(0, 1, (2, 12, 12, 2)).astype(np.float32), requires_grad=True)
hv_pred = torch.tensor(rng.normal(0, 0.5, (2, 12, 12, 2)).astype(np.float32), requires_grad=True)
total, terms = hover_loss(np_logits, hv_pred, onehot, hv_true)
total.backward()
json.dump({"shape": [2, 12, 12, 2], "labels": [int(v) for v in (labels > 0).ravel()],
           "np_logits": flat(np_logits.detach()), "hv_pred": flat(hv_pred.detach()), "hv_true": flat(hv_true),
           "loss": float(total), "terms": [float(t) for t in terms],
           "grad_np": flat(np_logits.grad), "grad_hv": flat(hv_pred.grad)},
          open(os.path.join(HERE, "loss.json"), "w"))

# Targets golden: ellipses of various sizes, one below the 30-pixel threshold.
ann = blobs(40, 48, [(10, 12, 6, 8), (25, 30, 7, 5), (30, 10, 2, 2), (12, 36, 5, 6.5)])
x_map, y_map = hv_map(ann)
json.dump({"width": 48, "height": 40, "labels": [int(v) for v in ann.ravel()],
           "horizontal": flat(x_map), "vertical": flat(y_map)},
          open(os.path.join(HERE, "targets.json"), "w"))
print("loss", float(total), [float(t) for t in terms])
