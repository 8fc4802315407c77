"""`make review [BASE=<git ref>] [COST_THRESHOLD=<USD>] [SCHEMA=<schema.json> ...]`.

    python -m tooling.review [--base REF] [--out build/review] [--cost-threshold USD] [--schema FILE ...]

Exit codes: 0 nothing needs attention; 7 a change needs a human (permissions broaden, a protected
resource is replaced or deleted, a new finding, a cost increase above the threshold); 1 a failure (a
side could not be planned, a new undeclared difference between environments); 2 usage (an unknown
ref, no git repository, an unusable schema file). See docs/review.md.
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from shared.stack_files import REPO
from tooling.checks.cli import CommandParser
from tooling.checks.render import console
from tooling.checks.report import USAGE
from tooling.review.base import GitError
from tooling.review.render import markdown, terminal
from tooling.review.replacement import SchemaError
from tooling.review.review import DEFAULT_COST_THRESHOLD, build_review

OUT = REPO / "build" / "review"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = CommandParser(
        prog="python -m tooling.review",
        description="What the working tree does to each environment against a base commit "
        "(exit 0 nothing to review, 7 needs a human, 1 failure, 2 usage). See docs/review.md.",
    )
    parser.add_argument("--base", default="", help="git ref of the base (default: the merge base with main)")
    parser.add_argument("--out", type=Path, default=OUT, help="where review.md and review.json go")
    parser.add_argument(
        "--cost-threshold",
        type=float,
        default=DEFAULT_COST_THRESHOLD,
        help="USD per month per environment above which a cost increase needs a human",
    )
    parser.add_argument(
        "--schema", type=Path, action="append", default=[], help="a provider's schema (pulumi package get-schema)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = console()
    if args.cost_threshold < 0:
        print(f"error: --cost-threshold must be 0 or more USD per month (got {args.cost_threshold})", file=sys.stderr)
        return USAGE
    try:
        review = build_review(args.base or None, args.out, threshold=args.cost_threshold, schema_files=args.schema)
    except (GitError, SchemaError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "review.json").write_text(review.to_json())
    (args.out / "review.md").write_text(markdown(review))
    terminal(review, out)
    out.print(f"wrote {args.out / 'review.md'} and {args.out / 'review.json'}", soft_wrap=True)
    return review.exit_code


if __name__ == "__main__":
    sys.exit(main())
