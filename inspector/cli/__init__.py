"""``cache-inspector-cli``: the core, from the shell and from scripts.

Exit codes: 0 success, 2 usage error, 1 any other failure (one line on
stderr for each thing that went wrong).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import TextIO

from inspector.cli.context import PROG, Context, ids_after_config, settle_positionals
from inspector.cli.output import Output, OutputError, ensure_standard_fds, silence_stdout
from inspector.cli.parser import build_parser
from inspector.cli.prompt import Declined, UsageError
from inspector.core import CacheError
from inspector.core.errors import reason_of


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    stdout_closed = ensure_standard_fds() or sys.stdout is None
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    settle_positionals(args)
    ids_after_config(args)
    ctx = Context(Output(out or sys.stdout, closed=out is None and stdout_closed))
    try:
        code: int = args.func(args, ctx)
        ctx.out.flush()
        return code
    except UsageError as exc:
        ctx.error(str(exc))
        return 2
    except Declined as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except OutputError as exc:
        done = f" The {args.command} itself ran: {ctx.job_summary}" if ctx.job_summary else ""
        ctx.error(f"cannot write the output: {exc}.{done}")
        silence_stdout()
        return 1
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's
        # final flush from complaining about the closed pipe.
        silence_stdout()
        return 0
    except (CacheError, ValueError) as exc:
        ctx.error(str(exc))
        return 1
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        ctx.error(f"{where}{reason_of(exc)}")
        return 1
    finally:
        ctx.close()
