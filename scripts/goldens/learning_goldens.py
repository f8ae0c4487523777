#!/usr/bin/env python3
"""Golden outputs and gradients from PyTorch for the learning engine's tests.

    python3 scripts/goldens/learning_goldens.py  # writes Tests/Fixtures/learning/*.json

Run offline (needs torch); the JSON files are committed. Every tensor is stored in the
engine's layout: feature maps NHWC, conv weights HWIO ([kh, kw, in, out]). Each case
holds its inputs, a fixed "probe" r, and the outputs and gradients of sum(out * r)
(or of the loss itself for losses), rounded to 7 significant digits.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "learning")


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous() if t.dim() == 4 else t


def hwio(w):
    return w.permute(2, 3, 1, 0).contiguous()


def pack(t):
    t = t.detach().double()
    return {"shape": list(t.shape), "data": [float(f"{v:.7g}") for v in t.flatten().tolist()]}


def write(name, case):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({k: pack(v) if torch.is_tensor(v) else v for k, v in case.items()}, f, separators=(",", ":"))


def conv_case(name, n, cin, cout, h, w, k, stride, padding, dilation, groups=1):
    x = torch.randn(n, cin, h, w, requires_grad=True)
    weight = torch.randn(cout, cin // groups, k, k, requires_grad=True)
    bias = torch.randn(cout, requires_grad=True)
    y = F.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    write(name, {"x": nhwc(x), "weight": hwio(weight), "bias": bias, "probe": nhwc(r), "y": nhwc(y),
                 "dx": nhwc(x.grad), "dweight": hwio(weight.grad), "dbias": bias.grad,
                 "stride": stride, "padding": padding, "dilation": dilation, "groups": groups})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20261125)
    conv_case("conv3x3_pad1", 2, 3, 4, 6, 7, 3, 1, 1, 1)
    conv_case("conv3x3_stride2_dilation2", 1, 2, 3, 9, 8, 3, 2, 2, 2)
    conv_case("conv1x1", 2, 5, 3, 4, 3, 1, 1, 0, 1)
    conv_case("conv3x3_groups2", 1, 4, 6, 5, 6, 3, 1, 1, 1, groups=2)

    # Batch norm, training mode, then the running statistics it leaves.
    x = torch.randn(2, 3, 4, 5, requires_grad=True)
    gamma = torch.randn(3, requires_grad=True)
    beta = torch.randn(3, requires_grad=True)
    running_mean, running_var = torch.zeros(3), torch.ones(3)
    y = F.batch_norm(x, running_mean, running_var, gamma, beta, training=True, momentum=0.1, eps=1e-5)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    write("batchnorm_train", {"x": nhwc(x), "gamma": gamma, "beta": beta, "probe": nhwc(r), "y": nhwc(y),
                              "dx": nhwc(x.grad), "dgamma": gamma.grad, "dbeta": beta.grad,
                              "running_mean": running_mean, "running_var": running_var})

    x = torch.randn(2, 6, 3, 4, requires_grad=True)
    gamma = torch.randn(6, requires_grad=True)
    beta = torch.randn(6, requires_grad=True)
    y = F.group_norm(x, 3, gamma, beta, eps=1e-5)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    write("groupnorm", {"x": nhwc(x), "gamma": gamma, "beta": beta, "probe": nhwc(r), "y": nhwc(y),
                        "dx": nhwc(x.grad), "dgamma": gamma.grad, "dbeta": beta.grad, "groups": 3})

    for mode in ["bilinear", "nearest"]:
        x = torch.randn(2, 3, 4, 5, requires_grad=True)
        kwargs = {"align_corners": False} if mode == "bilinear" else {}
        y = F.interpolate(x, scale_factor=2, mode=mode, **kwargs)
        r = torch.randn_like(y)
        (y * r).sum().backward()
        write(f"upsample_{mode}", {"x": nhwc(x), "probe": nhwc(r), "y": nhwc(y), "dx": nhwc(x.grad)})

    x = torch.randn(2, 3, 6, 5, requires_grad=True)
    y = F.max_pool2d(x, 2)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    write("maxpool2", {"x": nhwc(x), "probe": nhwc(r), "y": nhwc(y), "dx": nhwc(x.grad)})

    # Losses: value and gradient with respect to the prediction.
    logits = torch.randn(2, 4, 5, 3, requires_grad=True)  # already NHWC-shaped
    targets = (torch.rand(2, 4, 5, 3) > 0.5).float()
    loss = F.binary_cross_entropy_with_logits(logits, targets)
    loss.backward()
    write("loss_bce", {"logits": logits, "targets": targets, "loss": loss, "dlogits": logits.grad})

    logits = torch.randn(2, 3, 4, 5, requires_grad=True)  # NCHW for torch
    labels = torch.randint(0, 3, (2, 4, 5))
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    write("loss_cross_entropy", {"logits": nhwc(logits), "labels": labels.float(), "loss": loss, "dlogits": nhwc(logits.grad)})

    # HoVerNet's dice (pytorch port: sums over N, H, W per channel, then over channels).
    probs = torch.rand(2, 4, 5, 2, requires_grad=True)
    true = (torch.rand(2, 4, 5, 2) > 0.5).float()
    inse = torch.sum(probs * true, (0, 1, 2))
    left, right = torch.sum(probs, (0, 1, 2)), torch.sum(true, (0, 1, 2))
    loss = torch.sum(1.0 - (2.0 * inse + 1e-3) / (left + right + 1e-3))
    loss.backward()
    write("loss_dice", {"probabilities": probs, "targets": true, "loss": loss, "dprobabilities": probs.grad})

    pred = torch.randn(2, 3, 4, 5, requires_grad=True)
    target = torch.randn(2, 3, 4, 5)
    loss = F.mse_loss(pred, target)
    loss.backward()
    write("loss_mse", {"prediction": pred, "target": target, "loss": loss, "dprediction": pred.grad})
    pred.grad = None
    loss = F.l1_loss(pred, target)
    loss.backward()
    write("loss_l1", {"prediction": pred, "target": target, "loss": loss, "dprediction": pred.grad})

    # HoVerNet gradient-MSE, transcribing the TF reference (get_gradient_hv + loss_mse_grad):
    # TF conv2d is a cross-correlation with HWIO kernels, 'SAME' zero padding.
    def sobel(size):
        r = torch.arange(-(size // 2), size // 2 + 1, dtype=torch.float64)
        v, h = torch.meshgrid(r, r, indexing="ij")  # np.meshgrid(h_range, v_range): h varies along columns
        return h / (h * h + v * v + 1.0e-15), v / (h * h + v * v + 1.0e-15)

    mh, mv = sobel(5)

    def gradient_hv(l):  # l: NHWC with channels (h, v)
        h = l[..., 0].unsqueeze(1)
        v = l[..., 1].unsqueeze(1)
        dh = F.conv2d(h, mh.float().view(1, 1, 5, 5), padding=2)
        dv = F.conv2d(v, mv.float().view(1, 1, 5, 5), padding=2)
        return torch.cat([dh, dv], 1).permute(0, 2, 3, 1)

    pred = torch.randn(2, 7, 6, 2, requires_grad=True)
    true = torch.randn(2, 7, 6, 2)
    mask = (torch.rand(2, 7, 6) > 0.4).float()
    focus = torch.stack([mask, mask], -1)
    diff = gradient_hv(pred) - gradient_hv(true)
    loss = torch.sum(focus * diff * diff) / (torch.sum(focus) + 1.0e-8)
    loss.backward()
    write("loss_gradient_mse", {"prediction": pred, "target": true, "mask": mask, "loss": loss,
                                "dprediction": pred.grad, "kernel_h": mh.float(), "kernel_v": mv.float()})

    # RITM's NormalizedFocalLossSigmoid (alpha 0.5 dropped: a constant factor), normaliser
    # detached, per-sample mean over the spatial dims then over the batch. Seeded on its own
    # so adding it leaves the cases above unchanged.
    torch.manual_seed(7)
    logits = (2 * torch.randn(2, 5, 4, 1)).requires_grad_()
    targets = (torch.rand(2, 5, 4, 1) > 0.6).float()
    p = torch.sigmoid(logits)
    pt = torch.where(targets > 0.5, p, 1 - p)
    beta = (1 - pt) ** 2
    mult = (pt.new_ones(()) * beta[0].numel() / (beta.sum(dim=(1, 2, 3), keepdim=True) + 1e-8)).detach()
    per_pixel = -(beta * mult) * torch.log(torch.clamp(pt, min=1e-12))
    loss = (per_pixel.sum(dim=(1, 2, 3)) / beta[0].numel()).mean()
    loss.backward()
    write("loss_normalized_focal", {"logits": logits, "targets": targets, "gamma": 2, "loss": loss, "dlogits": logits.grad})


if __name__ == "__main__":
    main()
