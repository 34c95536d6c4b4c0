"""What cleaning one uploaded photo costs: CPU seconds and peak memory, per kind of image within
the limits (5 MB, the pixel bound), for the app's clean_photos and for a plain full decode and
re-encode of the same file (what the app did before it bounded the pixels it decodes).

    .venv/bin/python bench/photo_decode.py [--repeat 3]

Each measurement runs in a fresh child process; "+peak MB" is how much the process's peak
resident memory grew while cleaning the photo.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_samples(folder: Path) -> dict[str, Path]:
    """Images a phone or a mischievous client can send within the limits."""
    from PIL import Image, ImageDraw
    import random
    rng = random.Random(7)
    samples = {}

    def noisy(size, block=64):
        image = Image.new("RGB", size, (90, 140, 60))
        draw = ImageDraw.Draw(image)
        for _ in range(size[0] * size[1] // (block * block)):
            x, y = rng.randrange(size[0]), rng.randrange(size[1])
            draw.rectangle((x, y, x + block, y + block),
                           fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        return image

    def save(name, image, fmt, **options):
        out = io.BytesIO()
        image.save(out, fmt, **options)
        assert out.tell() <= 5 * 1024 * 1024, (name, out.tell())
        path = folder / name
        path.write_bytes(out.getvalue())
        samples[name] = path

    save("phone-12mp.jpg", noisy((4032, 3024)), "JPEG", quality=85)
    save("camera-40mp.jpg", noisy((7296, 5472), block=128), "JPEG", quality=70)
    save("progressive-40mp.jpg", noisy((7296, 5472), block=128), "JPEG", quality=70,
         progressive=True)
    save("flat-16mp.png", Image.new("RGB", (4608, 3456), (200, 200, 200)), "PNG")
    save("flat-40mp.png", Image.new("RGB", (7296, 5472), (200, 200, 200)), "PNG")
    save("screenshot-3mp.png", noisy((1080, 2400), block=32), "PNG")
    return samples


def measure(path: str, mode: str) -> dict:
    """In this process: clean one file, report CPU seconds and peak RSS."""
    import resource
    from PIL import Image
    from caseapp.services.cases.photos import clean_photos  # imports are not the photo's cost
    blob = Path(path).read_bytes()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.process_time()
    from caseapp.services.errors import ValidationFailed
    try:
        if mode == "app":
            ((_, out),) = clean_photos([(Path(path).name, blob)])
        else:
            out = _full_decode(blob)
    except ValidationFailed as exc:
        return {"cpu": time.process_time() - start, "maxrss_mb": 0.0,
                "stored": "refused: " + "; ".join(exc.fields.get("photos", [])), "bytes": 0}
    cpu = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline
    with Image.open(io.BytesIO(out)) as stored:
        size = stored.size
    return {"cpu": cpu, "maxrss_mb": peak / 1024, "stored": f"{size[0]}x{size[1]}",
            "bytes": len(out)}


def _full_decode(blob: bytes) -> bytes:
    """The unbounded way: decode every pixel, re-encode at full size."""
    from PIL import Image, ImageOps
    with Image.open(io.BytesIO(blob)) as image:
        fmt = image.format
        image.load()
        image = ImageOps.exif_transpose(image)
        out = io.BytesIO()
        if fmt == "JPEG":
            image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
        else:
            image.save(out, "PNG", optimize=True)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per image and mode (best kept)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return 0
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        samples = make_samples(Path(tmp))
        print(f"{'image':<22}{'file':>8}  {'mode':<12}{'CPU s':>7}{'+peak MB':>9}  stored")
        for name, path in samples.items():
            for mode in ("full-decode", "app"):
                runs = [json.loads(subprocess.run(
                    [sys.executable, __file__, "--child", str(path), mode], check=True,
                    capture_output=True, text=True, env=dict(os.environ)).stdout)
                    for _ in range(args.repeat)]
                best = min(runs, key=lambda r: r["cpu"])
                print(f"{name:<22}{path.stat().st_size / 1e6:>7.1f}M  {mode:<12}"
                      f"{best['cpu']:>7.2f}{best['maxrss_mb']:>9.0f}  {best['stored']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
