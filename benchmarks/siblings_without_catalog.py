"""Copy a QA suite without its product catalog: the ablation of issue 11.

    python benchmarks/siblings_without_catalog.py OUT [--suite benchmarks/suites/siblings]
    supportbot eval OUT --json

Writes the suite to OUT with `corpus/products.toml` deleted and the `product:` line removed
from every Markdown front matter, so that products can only be inferred from titles, file
names and near-duplicate families (ingest/product_evidence.py). Standard library only.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.DOTALL)


def strip_product(text: str) -> str:
    """The Markdown text with any `product:` line of its front matter removed."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return text
    kept = [line for line in match.group(1).splitlines() if not line.startswith("product:")]
    return "---\n" + "".join(f"{line}\n" for line in kept) + "---\n" + text[match.end() :]


def copy_without_catalog(suite: Path, out: Path) -> int:
    """Copy `suite` to `out` without its catalog; how many front matters lost a product."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(suite, out, symlinks=False)
    (out / "corpus" / "products.toml").unlink(missing_ok=True)
    changed = 0
    for path in sorted((out / "corpus").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        stripped = strip_product(text)
        if stripped != text:
            path.write_text(stripped, encoding="utf-8")
            changed += 1
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the suite to (replaced)")
    parser.add_argument("--suite", type=Path, default=HERE / "suites" / "siblings")
    args = parser.parse_args(argv)
    if not (args.suite / "corpus").is_dir():
        print(f"{args.suite} is not a QA suite: no corpus/ folder", file=sys.stderr)
        return 2
    changed = copy_without_catalog(args.suite, args.out)
    print(f"wrote {args.out}: products.toml removed, product: removed from {changed} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
