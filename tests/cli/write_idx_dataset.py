#!/usr/bin/env python3
"""Writes a tiny MNIST-style data set (8x8 uint8 images, raw IDX files) for
the end-to-end CLI tests.

  write_idx_dataset.py OUT_DIR N_TRAIN N_TEST brightness|quadrant

brightness: 10 classes from the mean brightness of uniform noise.
quadrant:   4 classes; the labelled quadrant of the image is brightened.
"""
import random
import struct
import sys


def brightness_sample(rng):
    pixels = [rng.randrange(256) for _ in range(64)]
    return pixels, min(9, sum(pixels) * 10 // (64 * 256))


def quadrant_sample(rng):
    label = rng.randrange(4)
    pixels = [rng.randrange(64) + (160 if (r // 4) * 2 + c // 4 == label else 0)
              for r in range(8) for c in range(8)]
    return pixels, label


def write(out, name, n, seed, sample):
    rng = random.Random(seed)
    images, labels = bytearray(), bytearray()
    for _ in range(n):
        pixels, label = sample(rng)
        images += bytes(pixels)
        labels.append(label)
    with open(f"{out}/{name}-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 8, 8) + images)
    with open(f"{out}/{name}-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + labels)


def main():
    out, n_train, n_test, rule = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    sample = {"brightness": brightness_sample, "quadrant": quadrant_sample}[rule]
    write(out, "train", n_train, 1, sample)
    write(out, "t10k", n_test, 2, sample)


if __name__ == "__main__":
    main()
