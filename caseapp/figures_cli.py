"""`flask figures rollup`: the dashboard's daily rollup from the command line."""
from __future__ import annotations

import time
from datetime import date

import click
from flask.cli import AppGroup

figures_cli = AppGroup("figures", help="The leaders' figures: the daily rollup the dashboard sums.")


def _day(_ctx, _param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"not a date YYYY-MM-DD: {value!r}") from None


@figures_cli.command("rollup")
@click.option("--from", "first", callback=_day, default=None,
              help="roll these already rolled days again, from this day (YYYY-MM-DD)")
@click.option("--to", "last", callback=_day, default=None, help="... to this day (default: the last rolled)")
@click.option("--rebuild", is_flag=True, help="forget the rollup and roll every past day again")
@click.option("--intraday", is_flag=True,
              help="also roll today up to a few minutes ago (what the periodic job does)")
def rollup_command(first, last, rebuild, intraday):
    """Roll every past local day not rolled yet (what the periodic job and the dashboard do);
    with --from/--to, roll those days again; with --rebuild, all of them."""
    from .services.figures import rollup
    started = time.perf_counter()
    if rebuild:
        days = rollup.rebuild(intraday=intraday)
        what = f"rebuilt: {days} days"
    elif first is not None or last is not None:
        split = rollup.current_split()
        if split.rolled_through is None:
            raise click.UsageError("nothing is rolled up yet: run `flask figures rollup` first")
        days = rollup.reroll(first or date.min, last or split.rolled_through)
        what = f"rolled again: {days} days"
    else:
        days = rollup.catch_up(intraday=intraday)
        what = f"caught up: {days} new days"
    split = rollup.current_split()
    until = split.watermark.isoformat() if split.watermark else "nothing (no case yet)"
    click.echo(f"{what}; rolled through {split.rolled_through}, as of {until} "
               f"in {time.perf_counter() - started:.1f} s")
