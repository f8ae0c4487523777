#!/usr/bin/env python3
"""The DESIGN.md reference workload in PyTorch, printing the keys `annotator bench engine --json` prints.

    OPENBLAS_CORETYPE=SkylakeX python3 bench/pytorch_reference.py [--channels-last] [--steps 10]

Batch 4x3x256x256; conv3x3 3->32, ReLU, conv 32->32, ReLU, maxpool 2, conv 32->64, ReLU,
conv 64->64, ReLU, upsample x2, conv 64->32, ReLU, conv1x1 32->2; cross-entropy on random
labels; a training step is forward + backward + Adam(1e-3). Medians over --steps after warm-up.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--upsample", default="bilinear", choices=["bilinear", "nearest"])
    parser.add_argument("--channels-last", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(3, 32, 3, padding=1)
            self.c2 = nn.Conv2d(32, 32, 3, padding=1)
            self.c3 = nn.Conv2d(32, 64, 3, padding=1)
            self.c4 = nn.Conv2d(64, 64, 3, padding=1)
            self.c5 = nn.Conv2d(64, 32, 3, padding=1)
            self.head = nn.Conv2d(32, 2, 1)

        def forward(self, x):
            x = F.relu(self.c2(F.relu(self.c1(x))))
            x = F.max_pool2d(x, 2)
            x = F.relu(self.c4(F.relu(self.c3(x))))
            mode = dict(mode="bilinear", align_corners=False) if args.upsample == "bilinear" else dict(mode="nearest")
            x = F.interpolate(x, scale_factor=2, **mode)
            return self.head(F.relu(self.c5(x)))

    model = Net()
    x = torch.randn(args.batch, 3, args.size, args.size)
    labels = torch.randint(0, 2, (args.batch, args.size, args.size))
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    train = []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()
        if step >= args.warmup:
            train.append((time.perf_counter() - start) * 1000)
    forward = []
    with torch.no_grad():
        for step in range(args.warmup + args.steps):
            start = time.perf_counter()
            model(x)
            if step >= args.warmup:
                forward.append((time.perf_counter() - start) * 1000)
    pixels = args.batch * args.size * args.size
    quarter = pixels // 4
    forward_flops = 2 * (pixels * 27 * 32 + pixels * 288 * 32 + quarter * 288 * 64 + quarter * 576 * 64
                         + pixels * 576 * 32 + pixels * 32 * 2)
    train_flops = 3 * forward_flops - 2 * pixels * 27 * 32
    train_ms, forward_ms = statistics.median(train), statistics.median(forward)
    print(json.dumps({
        "train_step_ms": round(train_ms, 3),
        "forward_ms": round(forward_ms, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 3),
        "gflops": round(train_flops / (train_ms / 1000) / 1e9, 3),
        "forward_gflops": round(forward_flops / (forward_ms / 1000) / 1e9, 3),
        "threads": args.threads,
        "channels_last": args.channels_last,
        "torch": torch.__version__,
    }, sort_keys=True))


if __name__ == "__main__":
    main()
