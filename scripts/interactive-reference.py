#!/usr/bin/env python3
"""An independent reference for the interactive NoC figures (README, Interactive segmentation).

A different framework (PyTorch), architecture and resolution from `annotator interactive`: a
U-Net click model (1.9 M parameters at --width 32, output at the image's own resolution, a
64-px window at native magnification centred on the clicks and the current mask) trained
with RITM-style iterative click sampling on MoNuSeg masks, and scored with the protocol of
`annotator interactive eval` (robot clicker at the interior point farthest from the boundary
of the larger error region, up to 20 clicks, the same early stop and optional 1-px boundary
tolerance). It asks whether a larger, full-resolution network gets closer to the annotated
outlines than ours. Needs torch, numpy, scipy, Pillow and ../shared/data; not part of the
build or the tests.

usage: interactive-reference.py split                      # the held-out split of the README
       interactive-reference.py train OUT.pt --images A,B,... [--steps 4000] [--width 32]
       interactive-reference.py eval MODEL.pt --images A,B,... [--split train] [--nuclei 300]
                                [--threshold 0.5] [--tolerance 0]
--images takes base names from DATA/SPLIT/images (DATA: --data, default ../shared/data/monuseg)."""
import argparse, glob, os, sys, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from PIL import Image
from scipy import ndimage

ROOT = '../shared/data/monuseg'
WIN = 64
RADIUS = 2.0
MEAN = np.array([0.65, 0.50, 0.70], np.float32)
STD = np.array([0.20, 0.20, 0.15], np.float32)


def load(split, name):
    rgb = np.array(Image.open(f'{ROOT}/{split}/images/{name}.tif').convert('RGB')).astype(np.float32) / 255
    lab = np.array(Image.open(f'{ROOT}/{split}/instance_masks/{name}.png')).astype(np.int64)
    if lab.ndim == 3:
        lab = lab[..., 0] + 256 * lab[..., 1] + 65536 * lab[..., 2]
    return (rgb - MEAN) / STD, lab


def names(split):
    found = sorted(os.path.basename(p)[:-4] for p in glob.glob(f'{ROOT}/{split}/images/*.tif'))
    if not found:
        sys.exit(f'no MoNuSeg images in {ROOT}/{split}/images (give --data)')
    return found


def block(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True),
                         nn.Conv2d(o, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, w=32):
        super().__init__()
        c = [w, 2 * w, 4 * w, 8 * w]
        self.e0, self.e1, self.e2, self.e3 = block(6, c[0]), block(c[0], c[1]), block(c[1], c[2]), block(c[2], c[3])
        self.d2, self.d1, self.d0 = block(c[3] + c[2], c[2]), block(c[2] + c[1], c[1]), block(c[1] + c[0], c[0])
        self.out = nn.Conv2d(c[0], 1, 1)

    def forward(self, x):
        a = self.e0(x)
        b = self.e1(F.max_pool2d(a, 2))
        c = self.e2(F.max_pool2d(b, 2))
        d = self.e3(F.max_pool2d(c, 2))
        up = lambda t, s: F.interpolate(t, size=s.shape[-2:], mode='bilinear', align_corners=False)
        c = self.d2(torch.cat([up(d, c), c], 1))
        b = self.d1(torch.cat([up(c, b), b], 1))
        a = self.d0(torch.cat([up(b, a), a], 1))
        return self.out(a)[:, 0]


YY, XX = np.mgrid[0:WIN, 0:WIN]


def disks(clicks, positive):
    m = np.zeros((WIN, WIN), np.float32)
    for (x, y, p) in clicks:
        if p == positive:
            m[(XX - x) ** 2 + (YY - y) ** 2 <= RADIUS ** 2] = 1
    return m


def overlap(shape, x0, y0):
    """The slices of an image of `shape` and of the WIN×WIN window at (x0, y0) that coincide."""
    h, w = shape[:2]
    xs, ys, xe, ye = max(0, x0), max(0, y0), min(w, x0 + WIN), min(h, y0 + WIN)
    if xe <= xs or ye <= ys:
        return None
    return (slice(ys, ye), slice(xs, xe)), (slice(ys - y0, ye - y0), slice(xs - x0, xe - x0))


def crop(arr, x0, y0, fill=0):
    """WIN×WIN window at (x0, y0) of arr (H, W[, C]), out-of-image filled."""
    out = np.full((WIN, WIN) + arr.shape[2:], fill, arr.dtype)
    if (both := overlap(arr.shape, x0, y0)):
        out[both[1]] = arr[both[0]]
    return out


def paste(window, x0, y0, shape):
    """The WIN×WIN window placed at (x0, y0) in zeros of `shape`."""
    out = np.zeros(shape, window.dtype)
    if (both := overlap(shape, x0, y0)):
        out[both[0]] = window[both[1]]
    return out


def robot_click(truth, pred, clicked):
    fn = np.pad(truth & ~pred, 1)
    fp = np.pad(~truth & pred, 1)
    dfn = ndimage.distance_transform_edt(fn)[1:-1, 1:-1]
    dfp = ndimage.distance_transform_edt(fp)[1:-1, 1:-1]
    for (x, y) in clicked:
        dfn[y, x] = dfp[y, x] = 0
    if dfn.max() <= 0 and dfp.max() <= 0:
        return None
    positive = dfn.max() > dfp.max()
    d = dfn if positive else dfp
    y, x = np.unravel_index(np.argmax(d), d.shape)
    return int(x), int(y), positive


def net_input(img_win, clicks, prev):
    return np.concatenate([img_win.transpose(2, 0, 1), disks(clicks, True)[None], disks(clicks, False)[None], prev[None]], 0)


def split():
    """Every fifth training image from the third (sorted by name) held out, as in the README."""
    all_names = names('train')
    held = all_names[2::5]
    print('train:', ','.join(n for n in all_names if n not in held))
    print('held-out:', ','.join(held))


def train(args):
    torch.set_num_threads(2)
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    data = [load('train', n) for n in args.images.split(',')]
    objs = []
    for k, (_, lab) in enumerate(data):
        for i, sl in enumerate(ndimage.find_objects(lab)):
            if sl is not None and (lab[sl] == i + 1).sum() >= 12:
                objs.append((k, i + 1, sl))
    print(f'{len(objs)} nuclei in {len(data)} images', flush=True)
    model = UNet(args.width)
    print(sum(p.numel() for p in model.parameters()), 'parameters', flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.05)
    start = time.time()
    for step in range(args.steps):
        imgs, truths, clicks = [], [], []
        for _ in range(args.batch):
            k, idx, sl = objs[rng.integers(len(objs))]
            img, lab = data[k]
            cy = (sl[0].start + sl[0].stop) // 2 + rng.integers(-8, 9)
            cx = (sl[1].start + sl[1].stop) // 2 + rng.integers(-8, 9)
            x0, y0 = cx - WIN // 2, cy - WIN // 2
            iw = crop(img, x0, y0)
            t = crop(lab, x0, y0) == idx
            rot, flip = rng.integers(4), rng.integers(2)
            iw, t = np.rot90(iw, rot), np.rot90(t, rot)
            if flip:
                iw, t = iw[:, ::-1], t[:, ::-1]
            iw = iw * (1 + rng.normal(0, 0.05, 3)).astype(np.float32) + rng.normal(0, 0.1, 3).astype(np.float32)
            dist = ndimage.distance_transform_edt(np.pad(t, 1))[1:-1, 1:-1]
            cand = np.argwhere(dist >= max(1.0, 0.4 * dist.max()))
            y, x = cand[rng.integers(len(cand))]
            imgs.append(np.ascontiguousarray(iw, np.float32)); truths.append(np.ascontiguousarray(t)); clicks.append([(x, y, True)])
        prev = [np.zeros((WIN, WIN), np.float32) for _ in imgs]
        extra = rng.integers(0, args.max_extra + 1)
        model.eval()
        with torch.no_grad():
            for _ in range(extra):
                x = torch.from_numpy(np.stack([net_input(i, c, p) for i, c, p in zip(imgs, clicks, prev)]))
                prob = torch.sigmoid(model(x)).numpy()
                for j in range(len(imgs)):
                    prev[j] = prob[j]
                    nc = robot_click(truths[j], prob[j] > 0.5, [(a, b) for a, b, _ in clicks[j]])
                    if nc:
                        clicks[j].append(nc)
        model.train()
        x = torch.from_numpy(np.stack([net_input(i, c, p) for i, c, p in zip(imgs, clicks, prev)]))
        y = torch.from_numpy(np.stack(truths).astype(np.float32))
        logits = model(x)
        p = torch.sigmoid(logits)
        dice = 1 - (2 * (p * y).sum((1, 2)) + 1) / (p.sum((1, 2)) + y.sum((1, 2)) + 1)
        loss = F.binary_cross_entropy_with_logits(logits, y) + dice.mean()
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f'step {step} loss {loss.item():.4f} {time.time() - start:.0f}s', flush=True)
        if step % 1000 == 999 or step == args.steps - 1:
            torch.save({'state': model.state_dict(), 'width': args.width}, args.out)


def evaluate(args):
    torch.set_num_threads(args.threads)
    saved = torch.load(args.model)
    model = UNet(saved['width']); model.load_state_dict(saved['state']); model.eval()
    data = {n: load(args.split, n) for n in args.images.split(',')}
    objs = []
    for n, (_, lab) in data.items():
        ids, counts = np.unique(lab, return_counts=True)
        objs += [(n, int(i)) for i, c in zip(ids, counts) if i and c >= 12]
    rng = np.random.default_rng(args.seed)
    if args.nuclei and args.nuclei < len(objs):
        objs = [objs[i] for i in rng.permutation(len(objs))[:args.nuclei]]
    nocs85, nocs90, ious_all = [], [], []
    for count, (n, idx) in enumerate(objs):
        img, lab = data[n]
        truth_full = lab == idx
        ys, xs = np.nonzero(truth_full)
        vy0, vx0 = max(0, ys.min() - 48), max(0, xs.min() - 48)
        vy1, vx1 = min(lab.shape[0], ys.max() + 49), min(lab.shape[1], xs.max() + 49)
        truth = truth_full[vy0:vy1, vx0:vx1]
        view = img[vy0:vy1, vx0:vx1]
        # Pixels within the tolerance of the outline count neither way and are never clicked.
        keep = np.ones_like(truth)
        if args.tolerance:
            keep = ~(ndimage.binary_dilation(truth, iterations=args.tolerance) & ~ndimage.binary_erosion(truth, iterations=args.tolerance))
        pred = np.zeros_like(truth)
        prob_view = np.zeros(truth.shape, np.float32)
        clicks, ious = [], []
        while len(ious) < 20:
            c = robot_click(truth & keep, pred & keep, [(a, b) for a, b, _ in clicks])
            if c is None:
                break
            clicks.append(c)
            # The window is centred on the bbox of the current mask and the positive clicks.
            my, mx = np.nonzero(pred)
            allx = [a for a, _, positive in clicks if positive] + list(mx)
            ally = [b for _, b, positive in clicks if positive] + list(my)
            cx = (min(allx) + max(allx)) // 2; cy = (min(ally) + max(ally)) // 2
            x0, y0 = cx - WIN // 2, cy - WIN // 2
            iw = crop(view, x0, y0)
            local = [(a - x0, b - y0, p) for a, b, p in clicks if 0 <= a - x0 < WIN and 0 <= b - y0 < WIN]
            prev = crop(prob_view, x0, y0)
            with torch.no_grad():
                prob = torch.sigmoid(model(torch.from_numpy(net_input(iw, local, prev)[None]))).numpy()[0]
            prob_view = paste(prob, x0, y0, truth.shape)
            pred = prob_view > args.threshold
            inter = (pred & truth & keep).sum(); union = ((pred | truth) & keep).sum()
            ious.append(inter / union if union else 1.0)
            if len(ious) >= 5 and ious[-1] >= 0.90:
                break
        # A nucleus wholly within the tolerance band leaves nothing to click: done, as in ours.
        ious += [ious[-1] if ious else 1.0] * (20 - len(ious))
        noc = lambda t: next((i + 1 for i, v in enumerate(ious) if v >= t), 20)
        nocs85.append(noc(0.85)); nocs90.append(noc(0.90)); ious_all.append(ious)
        if count % 100 == 99:
            print(f'{count + 1}: NoC85 {np.mean(nocs85):.2f} NoC90 {np.mean(nocs90):.2f}', flush=True)
    ious_all = np.array(ious_all)
    print(f'{len(objs)} nuclei: NoC@85 {np.mean(nocs85):.2f} NoC@90 {np.mean(nocs90):.2f} '
          f'mIoU@1/3/5 {ious_all[:, 0].mean():.3f}/{ious_all[:, 2].mean():.3f}/{ious_all[:, 4].mean():.3f} '
          f'>=0.85 after 1/2/3: {(ious_all[:, 0] >= .85).mean():.0%}/{(ious_all[:, 1] >= .85).mean():.0%}/{(ious_all[:, 2] >= .85).mean():.0%} '
          f'never85 {(ious_all.max(1) < 0.85).mean():.1%}', flush=True)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', default=ROOT)
    sub = ap.add_subparsers(dest='cmd', required=True)
    t = sub.add_parser('train'); t.add_argument('out'); t.add_argument('--images', required=True)
    t.add_argument('--steps', type=int, default=4000); t.add_argument('--width', type=int, default=32)
    t.add_argument('--batch', type=int, default=16); t.add_argument('--lr', type=float, default=1e-3)
    t.add_argument('--max-extra', type=int, default=3); t.add_argument('--seed', type=int, default=1)
    e = sub.add_parser('eval'); e.add_argument('model'); e.add_argument('--images', required=True)
    e.add_argument('--split', default='train'); e.add_argument('--nuclei', type=int, default=600)
    e.add_argument('--seed', type=int, default=7); e.add_argument('--threshold', type=float, default=0.5)
    e.add_argument('--tolerance', type=int, default=0); e.add_argument('--threads', type=int, default=2)
    sub.add_parser('split')
    a = ap.parse_args()
    ROOT = a.data
    {'train': train, 'eval': evaluate, 'split': lambda _: split()}[a.cmd](a)
