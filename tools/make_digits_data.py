#!/usr/bin/env python3
"""Writes godot_project/demos/data/digits.txt, the digits demo's data, from the copy scikit-learn ships.

The data: scikit-learn's `load_digits()`, 1,797 handwritten digits, which is the test set (optdigits.tes) of the
UCI Machine Learning Repository's "Optical Recognition of Handwritten Digits" (E. Alpaydin and C. Kaynak, 1998,
https://doi.org/10.24432/C50P49), licensed under Creative Commons Attribution 4.0 International (CC BY 4.0), as
that page states. Each image is a 32x32 bitmap divided into 4x4 blocks, each pixel of the 8x8 result counting the
block's "on" pixels (0..16); the demo's drawing canvas downsamples the same way.

Format (one digit per line, 66 characters): the label (0-9), a space, then 64 base-17 digits ("0"-"9", "a"-"g"),
one per pixel in row-major order. scikit-learn is needed to run this script only, never at runtime:
    pip install scikit-learn && python tools/make_digits_data.py
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "godot_project" / "demos" / "data" / "digits.txt"
SYMBOLS = "0123456789abcdefg"  # 0..16
HEADER = (
    "# 1,797 handwritten digits (8x8, each pixel 0..16): the test set of the UCI 'Optical Recognition of\n"
    "# Handwritten Digits' (E. Alpaydin, C. Kaynak, 1998, https://doi.org/10.24432/C50P49), CC BY 4.0,\n"
    "# as shipped by scikit-learn (load_digits). Written by tools/make_digits_data.py.\n"
    "# Each line: label, space, 64 pixels row-major as base-17 digits 0-9a-g.\n"
)


def encode(label: int, pixels: list[int]) -> str:
    assert 0 <= label <= 9 and len(pixels) == 64 and all(0 <= p <= 16 for p in pixels)
    return f"{label} " + "".join(SYMBOLS[p] for p in pixels)


def main() -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    lines = [encode(int(t), [int(v) for v in row]) for row, t in zip(digits.data, digits.target, strict=True)]
    OUT.write_text(HEADER + "\n".join(lines) + "\n")
    print(f"wrote {len(lines)} digits to {OUT}")


if __name__ == "__main__":
    main()
