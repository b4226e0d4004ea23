"""`make screenshots`: copy a few of the guide walk's screenshots to docs/img/ for docs/guide.md.

The walk (tests/e2e/test_guide.py) writes every step to var/screenshots/ (git-ignored). This keeps
a small set, at most 1280 px wide, cut to the part a reader needs, in 256 colours: a page of
the portal is flat colours and text, which a palette keeps sharp at a fraction of the size.

    python -m tests.e2e.docs_images
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "var" / "screenshots"
TARGET = ROOT / "docs" / "img"
MAX_WIDTH = 1280

# docs/img name ← (step name in var/screenshots/guide-NN-<step>.png, height kept from the top in
# px; None keeps it all).
IMAGES: dict[str, tuple[str, int | None]] = {
    "creation-mot-de-passe.png": ("creation-du-mot-de-passe", 620),
    "connexion.png": ("connexion", 560),
    "mon-affichage.png": ("mon-affichage-nouveau", 720),
    "afficher-les-tickets.png": ("afficher-les-tickets-nouveau", 900),
    "ouvrir-un-ticket.png": ("ouvrir-un-ticket-rempli", 1180),
    "ticket-nouveau.png": ("ticket-nouveau", 1040),
    "ticket-commentaire.png": ("ticket-commentaire", 560),
    "ticket-resolu.png": ("ticket-resolu-reouvrir", None),
    "ticket-ferme.png": ("ticket-ferme", 660),
    "accueil.png": ("accueil-apres-fin-de-mois", None),
}


def prepare(source: Path, target: Path, height: int | None) -> int:
    """Write the reduced copy of `source` to `target`; return its size in bytes."""
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    if height is not None and image.height > height:
        image = image.crop((0, 0, image.width, height))
    if image.width > MAX_WIDTH:
        ratio = MAX_WIDTH / image.width
        image = image.resize((MAX_WIDTH, round(image.height * ratio)), Image.Resampling.LANCZOS)
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(target, format="PNG", optimize=True)
    return target.stat().st_size


def step_screenshot(step: str) -> Path | None:
    """var/screenshots/guide-NN-<step>.png, whatever its number in the walk."""
    found = sorted(SOURCE.glob(f"guide-[0-9][0-9]-{step}.png"))
    return found[-1] if found else None


def main() -> int:
    sources = {step: step_screenshot(step) for step, _ in IMAGES.values()}
    missing = [step for step, path in sources.items() if path is None]
    if missing:
        print(f"Missing in {SOURCE}: {', '.join(missing)} (run tests/e2e/test_guide.py first)")
        return 1
    TARGET.mkdir(parents=True, exist_ok=True)
    total = 0
    for target, (step, height) in IMAGES.items():
        source = sources[step]
        assert source is not None
        size = prepare(source, TARGET / target, height)
        total += size
        print(f"docs/img/{target:26} {size // 1024:4d} Kio  ← {source.relative_to(ROOT)}")
    print(f"{len(IMAGES)} images, {total // 1024} Kio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
