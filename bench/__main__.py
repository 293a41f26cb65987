"""`python -m bench` lists the benchmarks; `python -m bench NAME [args]` runs one."""

import importlib
import sys

BENCHMARKS = {
    "assessment_month": "The monthly job vs one hand-written SQL query; evaluation import vs plain COPY.",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHMARKS:
        print("Benchmarks (run: python -m bench NAME --help):")
        for name, about in BENCHMARKS.items():
            print(f"  {name:20} {about}")
        return 0 if not argv else 2
    module = importlib.import_module(f"bench.{argv[0]}")
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
