"""Command line: create the database, import data files, load the city pack, print coverage, manage accounts.

Run as ``python -m assetmap COMMAND`` (``--help`` lists commands). Every command reads the same
configuration as the web app (``ASSETMAP_DATABASE_URL``, ``ASSETMAP_DATA_PACK`` ...). A user
error prints its message and exits with status 2; nothing is written by a failing import.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from assetmap import config as config_mod
from assetmap import lifecycle
from assetmap.accounts import MIN_PASSWORD_LENGTH, Role
from assetmap.coverage import CoverageParams, compute_coverage
from assetmap.errors import AssetmapError, Conflict
from assetmap.frames import ASSET_WARD_COLUMN, coverage_inputs
from assetmap.importers import ImportSummary, assets, boundaries, pack, stats
from assetmap.models import Status
from assetmap.report import ward_table, write_report
from assetmap.storage import open_store
from assetmap.storage.base import AssetQuery, Store

EXISTING = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """assetmap: community assets against need for people aged 50+."""
    ctx.obj = config_mod.load_config()


@contextmanager
def _store(ctx: click.Context) -> Iterator[Store]:
    try:
        store = open_store(ctx.obj["DATABASE_URL"])
    except AssetmapError as exc:
        _fail(exc)
    try:
        store.migrate()
        yield store
    except AssetmapError as exc:
        _fail(exc)
    finally:
        store.close()


def _fail(exc: AssetmapError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(2)


def _run(ctx: click.Context, path: Path, action: Callable[[Store], ImportSummary]) -> None:
    with _store(ctx) as store:
        click.echo(f"importing {path} ...", err=True)
        summary = action(store)
        click.echo(summary.line())


@main.command("init-db")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    """Create or upgrade the database schema."""
    with _store(ctx):
        click.echo(f"schema up to date: {ctx.obj['DATABASE_URL']}")


@main.command("import-wards")
@click.argument("path", type=EXISTING)
@click.pass_context
def import_wards(ctx: click.Context, path: Path) -> None:
    """Wards from ONS GeoJSON, GeoPackage or zipped shapefile."""
    _run(ctx, path, lambda s: boundaries.import_wards(s, path))


@main.command("import-areas")
@click.argument("path", type=EXISTING)
@click.option("--kind", type=click.Choice(["lsoa11", "oa11"]), default="lsoa11", show_default=True)
@click.pass_context
def import_areas(ctx: click.Context, path: Path, kind: str) -> None:
    """Small-area polygons (LSOA or Output Area)."""
    _run(ctx, path, lambda s: boundaries.import_small_areas(s, path, kind=kind))


STAT_READERS: dict[str, Callable[..., stats.Values]] = {
    "centroids": stats.read_centroids,
    "population": stats.read_population,
    "census-ages": stats.read_census_ages,
    "deprivation": stats.read_deprivation,
}


@main.command("import-stats")
@click.argument("what", type=click.Choice(sorted(STAT_READERS)))
@click.argument("path", type=EXISTING)
@click.option("--kind", type=click.Choice(["lsoa11", "oa11"]), default="lsoa11", show_default=True)
@click.pass_context
def import_stats(ctx: click.Context, what: str, path: Path, kind: str) -> None:
    """Centroids, single-year-of-age population, 2011 Census age bands (OAs), or deprivation (LSOAs)."""
    _run(ctx, path, lambda s: stats.import_stats(s, path, STAT_READERS[what], kind=kind))


@main.command("import-loneliness")
@click.argument("path", type=EXISTING)
@click.option(
    "--boundaries",
    "source_boundaries",
    type=EXISTING,
    help="Boundaries of the file's areas (e.g. LSOA 2021), to interpolate unmatched codes.",
)
@click.pass_context
def import_loneliness(ctx: click.Context, path: Path, source_boundaries: Path | None) -> None:
    """Modelled loneliness per LSOA."""
    from assetmap.frames import areas_frame

    def action(store: Store) -> ImportSummary:
        found = stats.read_loneliness(
            path, target=areas_frame(store.areas()), source_boundaries=source_boundaries
        )
        return stats.import_values(store, path, found)

    _run(ctx, path, action)


@main.command("import-register")
@click.argument("path", type=EXISTING)
@click.option(
    "--mapping",
    type=click.Choice(["registers", "community_assets"]),
    required=True,
    help="Which block of data/source_mapping.csv maps the file's kinds.",
)
@click.option("--dataset", help="Dataset name kept with each asset (default: the file name).")
@click.pass_context
def import_register(ctx: click.Context, path: Path, mapping: str, dataset: str | None) -> None:
    """A combined register GeoJSON from the data pack."""
    _run(ctx, path, lambda s: assets.import_register(s, path, mapping=mapping, dataset=dataset))


@main.command("import-assets")
@click.argument("path", type=EXISTING)
@click.option("--dataset", help="Dataset name kept with each asset (default: the file name).")
@click.option("--licence", default="", help="Licence for rows that do not name one.")
@click.option(
    "--postcodes", type=EXISTING, help="Postcode CSV (Postcode, lat, long) to place postcode-only rows."
)
@click.pass_context
def import_assets(
    ctx: click.Context, path: Path, dataset: str | None, licence: str, postcodes: Path | None
) -> None:
    """Assets from a generic CSV or GeoJSON file."""
    if postcodes is None:
        default = Path(ctx.obj["DATA_PACK"]) / "osm" / "ons_nspl_may2025_postcodes_LE.csv"
        postcodes = default if default.is_file() else None
    index = assets.PostcodeIndex(postcodes) if postcodes else None

    def action(store: Store) -> ImportSummary:
        if path.suffix.lower() in (".geojson", ".json"):
            return assets.import_geojson(store, path, dataset=dataset, licence=licence)
        return assets.import_csv(store, path, dataset=dataset, licence=licence, postcodes=index)

    _run(ctx, path, action)


@main.command("import-osm")
@click.argument("path", type=EXISTING)
@click.option(
    "--dataset",
    help="Dataset name kept with each asset (default: openstreetmap, so a newer "
    "extract updates the same assets).",
)
@click.pass_context
def import_osm(ctx: click.Context, path: Path, dataset: str | None) -> None:
    """Assets from an OpenStreetMap .osm.pbf extract (tags mapped by data/osm_tags.csv)."""
    from assetmap.importers import osm

    _run(ctx, path, lambda s: osm.import_osm(s, path, dataset=dataset))


@main.command("import-network")
@click.argument("path", type=EXISTING)
@click.pass_context
def import_network(ctx: click.Context, path: Path) -> None:
    """Walk network from an OpenStreetMap .osm.pbf extract, saved to WALK_NETWORK for coverage."""
    from assetmap import network

    target = ctx.obj["WALK_NETWORK"]
    if not target:
        _fail(AssetmapError("WALK_NETWORK is empty; set ASSETMAP_WALK_NETWORK to the file to save to"))
    click.echo(f"importing {path} ...", err=True)
    try:
        summary = network.import_network(path, Path(target))
    except AssetmapError as exc:
        _fail(exc)
    click.echo(summary.line())


@main.command("load-pack")
@click.option(
    "--pack",
    "pack_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data pack folder (default: ASSETMAP_DATA_PACK).",
)
@click.pass_context
def load_pack(ctx: click.Context, pack_dir: Path | None) -> None:
    """Load the whole city data pack: wards, small areas, statistics and asset registers."""
    pack_dir = pack_dir or Path(ctx.obj["DATA_PACK"])
    with _store(ctx) as store:
        steps = pack.load_pack(store, pack_dir)
        total = len(pack.pack_steps(pack_dir))
        with tqdm(total=total, desc="loading pack", unit="file", file=sys.stderr) as bar:
            for step, summary in steps:
                bar.update(1)
                tqdm.write(f"{step.label}: {summary.line()}", file=sys.stdout)


@main.command("coverage-report")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/coverage"),
    show_default=True,
    help="Folder for areas/wards CSV and GeoJSON.",
)
@click.option("--minutes", type=float, help="Walking minutes that count as within reach.")
@click.option(
    "--kind",
    type=click.Choice(["lsoa11", "oa11"]),
    default="lsoa11",
    show_default=True,
    help="Small areas to report on.",
)
@click.pass_context
def coverage_report(ctx: click.Context, out_dir: Path, minutes: float | None, kind: str) -> None:
    """Print wards sorted by gap score; write per-area and per-ward results as CSV and GeoJSON."""
    from assetmap.network import stored_walk_graph

    overrides: dict[str, Any] = {"minutes": minutes} if minutes else {}
    with _store(ctx) as store:
        params = CoverageParams.from_config(ctx.obj, **overrides)
        areas, asset_frame, wards = coverage_inputs(store, statuses=ctx.obj["COVERAGE_STATUSES"], kind=kind)
        if areas.empty:
            _fail(AssetmapError(f"no {kind} small areas loaded; run `python -m assetmap load-pack` first"))
        graph = stored_walk_graph(ctx.obj["WALK_NETWORK"])
        click.echo(
            f"distances: along the walk network in {ctx.obj['WALK_NETWORK']}"
            if graph is not None
            else f"distances: straight lines x detour factor {params.detour_factor}",
            err=True,
        )
        result = compute_coverage(
            areas, asset_frame, wards, params, asset_ward_column=ASSET_WARD_COLUMN, network=graph
        )
        click.echo(ward_table(result, minutes=params.minutes))
        for path in write_report(result, out_dir):
            click.echo(f"wrote {path}", err=True)


# -- accounts --------------------------------------------------------------------------------------
PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)


def _password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or asked for twice without echoing."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(
        click.prompt(
            f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt="Repeat the password",
        )
    )


@main.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--ward",
    "wards",
    multiple=True,
    help="Limit the account to this ward code (repeat for more); none: anywhere.",
)
@PASSWORD_STDIN
@click.pass_context
def create_user(
    ctx: click.Context, name: str, role: str, wards: tuple[str, ...], password_stdin: bool
) -> None:
    """Create an account that can log in to the web app."""
    with _store(ctx) as store:
        user = store.create_user(name, _password(password_stdin), role=role, wards=wards)
        where = ", ".join(user.wards) if user.wards else "any ward"
        click.echo(f"created {user.role} {user.username} ({where})")


@main.command("set-password")
@click.argument("name")
@PASSWORD_STDIN
@click.pass_context
def set_password(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Give an account a new password (its open sessions end)."""
    with _store(ctx) as store:
        store.user_by_name(name)  # an unknown name fails before the password is asked for
        user = store.set_password(name, _password(password_stdin))
        click.echo(f"password changed for {user.username}")


@main.command("disable-user")
@click.argument("name")
@click.pass_context
def disable_user(ctx: click.Context, name: str) -> None:
    """Stop an account logging in (its open sessions end); enable-user undoes it."""
    with _store(ctx) as store:
        click.echo(f"disabled {store.set_active(name, False).username}")


@main.command("enable-user")
@click.argument("name")
@click.pass_context
def enable_user(ctx: click.Context, name: str) -> None:
    """Let a disabled account log in again."""
    with _store(ctx) as store:
        click.echo(f"enabled {store.set_active(name, True).username}")


@main.command("mark-stale")
@click.option("--dry-run", is_flag=True, help="Only list what would be marked stale; write nothing.")
@click.pass_context
def mark_stale(ctx: click.Context, dry_run: bool) -> None:
    """Mark verified assets stale when not re-verified for STALE_AFTER_DAYS days (audited)."""
    days = int(ctx.obj["STALE_AFTER_DAYS"])
    now = datetime.now(UTC)
    with _store(ctx) as store:
        verified = store.assets(AssetQuery(statuses=[Status.VERIFIED.value]))
        due = lifecycle.due_for_stale(verified, now=now, after_days=days)
        cutoff = lifecycle.stale_cutoff(now, after_days=days).date().isoformat()
        changed = 0
        for asset in due:
            when = asset.last_verified_at.date().isoformat() if asset.last_verified_at else "never"
            click.echo(f"{asset.id}  {asset.name}  (last verified {when})")
            if dry_run:
                continue
            try:
                store.set_status(
                    str(asset.id),
                    Status.STALE,
                    expected_version=asset.version,
                    actor=lifecycle.STALE_ACTOR,
                    note={"reason": f"not verified for more than {days} days"},
                )
                changed += 1
            except Conflict:
                click.echo(f"  left alone: {asset.id} changed while this ran", err=True)
        verb = "would mark" if dry_run else "marked"
        count = len(due) if dry_run else changed
        click.echo(
            f"{verb} {count} of {len(verified)} verified assets stale "
            f"(not verified since {cutoff}, {days} days)"
        )
