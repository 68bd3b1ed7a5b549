"""Write-audit-publish: stage every extract, gate it with blocking asset checks, then move `current`.

staged/<dataset>     the extract written to a hidden staging folder, with three blocking checks:
                       great_expectations     the dataset's GX suite (data_quality/suites/), Data Docs linked
                       no_personal_data       no ID numbers, phone numbers or S1 personal columns in the files
                       upstream_checks_passed every error-severity dbt test and every landing conservation check
published/<dataset>  the verified version made current (one step for all: they move together or not at all), its
                     change set (changes.py), then each park's share (parks.py)
published/analytics_duckdb  the analysts' database of views over the current versions

A failed blocking check fails the staging step, so the publication step never runs: `current` stays where it
was. dbt tests failing do not by themselves stop a downstream Python asset (Dagster issue 25112), hence
`upstream_checks_passed`, which reads their latest results from the instance.
"""

import datetime as dt
from pathlib import Path

import dagster as dg

from assets.landing.assets import asset_key as landing_key
from assets.landing.assets import conservation
from assets.landing.completeness import missing_deliveries
from assets.landing.deliveries import SNAPSHOT
from assets.landing.land import deliveries_dir
from assets.transform.assets import WAREHOUSE_POOL, warehouse_models
from contracts.published import PUBLISHED, Published
from contracts.sources import DATASETS
from resources.lake import Lake

from . import changes, gates, parks, pii, replica, store
from .gates import COMPLETE_CHECK, GATES, GX_CHECK, PII_CHECK, UPSTREAM_CHECK, table_schema

OWNERS = ["team:data-engineering"]
ANALYTICS_KEY = dg.AssetKey(["published", "analytics_duckdb"])


def staged_key(p: Published) -> dg.AssetKey:
    return dg.AssetKey(["staged", p.name])


def published_key(p: Published) -> dg.AssetKey:
    return dg.AssetKey(["published", p.name])


def mart_key(p: Published) -> dg.AssetKey:
    return dg.AssetKey(["marts", p.model])


def run_version(context) -> str:
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = record.start_time if record and record.start_time else None
    when = dt.datetime.fromtimestamp(started, dt.timezone.utc) if started else dt.datetime.now(dt.timezone.utc)
    return store.version_id(when, context.run.run_id)


def deliveries(lake: Lake) -> list[dict]:
    """Every landed delivery (file, table extract or API period) the warehouse was built from."""
    out = []
    for ds in DATASETS:
        for name in lake.files(deliveries_dir(ds), ".json"):
            d = lake.read_json(f"{deliveries_dir(ds)}/{name}")
            out.append({k: d.get(k) for k in ("dataset", "partition", "source", "sha256", "rows_in", "loaded_at")})
    return out


def landing_conservation(lake: Lake) -> list[str]:
    failures = []
    for ds in DATASETS:
        partitions = [name.removesuffix(".json") for name in lake.files(deliveries_dir(ds), ".json")]
        ok, rows = conservation(lake, ds, partitions)
        failures += [f"{landing_key(ds).to_user_string()} {r['partition']}: {r['rows_in']} in, {r['loaded']} loaded "
                     f"+ {r['quarantined']} quarantined" for r in rows if not r["conserved"]]
    return failures


def failed_landing_attempts(instance: dg.DagsterInstance) -> list[dict]:
    """Landings whose latest attempt did not materialize (a delivery that failed, or a run that died): what landed
    before it may be stale, so it is a gap like a delivery never landed."""
    storage = instance.event_log_storage
    gaps = []
    for ds in DATASETS:
        key = landing_key(ds)
        if ds.partitioning != "snapshot":
            attempts = storage.get_latest_asset_partition_materialization_attempts_without_materializations(key)
            gaps += [{"dataset": ds.asset_name, "partition": partition, "delivery": f"run {run_id}",
                      "problem": "the latest attempt to land it did not succeed"}
                     for partition, (run_id, _) in sorted(attempts.items())]
            continue
        planned = storage.get_latest_planned_materialization_info(key)
        done = instance.get_latest_materialization_event(key)
        if planned and (done is None or done.run_id != planned.run_id):
            run = instance.get_run_by_id(planned.run_id)
            if run is not None and run.is_finished:
                gaps.append({"dataset": ds.asset_name, "partition": SNAPSHOT, "delivery": f"run {planned.run_id}",
                             "problem": "the latest attempt to land it did not succeed"})
    return gaps


def failed_dbt_tests(instance: dg.DagsterInstance) -> tuple[int, list[str]]:
    """The latest result of every dbt test (an asset check of warehouse_models) that has error severity."""
    keys = list(warehouse_models.check_keys)
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    failed = []
    for key, record in latest.items():
        event = record.event.dagster_event if record.event else None
        evaluation = (event.event_specific_data
                      if event and event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION else None)
        if evaluation is None:
            if record.status.value == "FAILED":  # the check itself errored
                failed.append(f"{key.asset_key.to_user_string()}:{key.name} (did not complete)")
            continue
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(f"{key.asset_key.to_user_string()}:{key.name}")
    return len(latest), sorted(failed)


class GateConfig(dg.Config):
    # gaps an operator accepts by name (`tax_returns:2025-03`, as the deliveries_complete check names them): the
    # version is published without them, and its manifest records them
    accept_gaps: list[str] = []


@dg.multi_asset(
    specs=[dg.AssetSpec(staged_key(p), deps=[mart_key(p)], group_name="published", owners=OWNERS,
                        kinds={"parquet", "great_expectations"}, tags={"layer": "gate"},
                        description=f"Staged extract of {p.mart} (not yet visible to anyone). Grain: {p.grain}.")
           for p in PUBLISHED],
    check_specs=[spec for p in PUBLISHED for spec in (
        dg.AssetCheckSpec(GX_CHECK, asset=staged_key(p), blocking=True,
                          description=f"Great Expectations suite data_quality/suites/{p.name}.json"),
        dg.AssetCheckSpec(PII_CHECK, asset=staged_key(p), blocking=True,
                          description="no ID number, phone number or S1 personal column in the staged files"),
        dg.AssetCheckSpec(UPSTREAM_CHECK, asset=staged_key(p), blocking=True,
                          description="every error-severity dbt test passed and every landed delivery "
                                      "conserved its rows"),
        dg.AssetCheckSpec(COMPLETE_CHECK, asset=staged_key(p), blocking=True,
                          description="every delivery in the sources root has landed as it is now, and no landing's "
                                      "latest attempt failed, unless an operator accepted the gap by name "
                                      "(run config accept_gaps; the manifest records it)"),
    )],
    pool=WAREHOUSE_POOL,  # it reads the build warehouse: never while another run writes it
    required_resource_keys={"settings"},
    description="Stage every published extract and gate it (write and audit of write-audit-publish).",
)
def staged_extracts(context: dg.AssetExecutionContext, config: GateConfig):
    from data_quality.validate import build_docs, row_count_bounds, validate

    settings = context.resources.settings
    published = settings.published_path
    version = run_version(context)
    gaps = missing_deliveries(settings.sources_path, settings.lake, settings.samr_url() is not None)
    accepted, blocking = gates.split_gaps(gaps + failed_landing_attempts(context.instance), config.accept_gaps)
    provenance = {"run_id": context.run.run_id, "warehouse": str(settings.warehouse_path),
                  "deliveries": deliveries(settings.lake), "accepted_gaps": accepted}
    con = settings.connect()
    con.execute(gates.attach_sql(settings.warehouse_path))
    staged: dict[str, tuple[Path, dict]] = {}
    try:
        for p in PUBLISHED:
            folder, manifest = store.stage(con, published, p.name, version, gates.select_sql(p), provenance)
            staged[p.name] = (folder, manifest)
            context.log.info(f"staged {p.name} {version}: {manifest['row_count']:,} rows at {folder}")
            yield dg.MaterializeResult(asset_key=staged_key(p), metadata=gates.staged_metadata(version, folder,
                                                                                                 manifest))
        # each park's own extracts, split from these (a split that loses or repeats a row fails the step)
        by_park = parks.stage(con, published, version, staged, provenance)
        context.log.info(f"staged {len(PUBLISHED)} datasets for each of {len(by_park)} parks "
                         f"({', '.join(by_park)}) under {parks.parks_root(published)}")
    finally:
        con.close()

    dbt_checked, dbt_failed = failed_dbt_tests(context.instance)
    not_conserved = landing_conservation(settings.lake)
    validated = {}
    for p in PUBLISHED:
        folder, manifest = staged[p.name]
        previous = store.current_manifest(published, p.name)
        bounds = row_count_bounds(previous["row_count"] if previous else None, p.row_count_tolerance, p.allow_empty)
        validated[p.name] = (validate(p.name, str(folder / "*.parquet"), bounds, settings.home_path / "gx",
                                      docs=False, config=settings.duckdb_config()), bounds, previous)
    build_docs(settings.home_path / "gx", [outcome for outcome, _, _ in validated.values()])
    for p in PUBLISHED:
        folder, manifest = staged[p.name]
        outcome, bounds, previous = validated[p.name]
        context.log.info(outcome.summary())
        yield gates.gx_result(staged_key(p), outcome, bounds, previous)
        yield gates.pii_result(staged_key(p), pii.scan(folder, settings.duckdb_config()), len(manifest["files"]))
        yield gates.upstream_result(staged_key(p), dbt_checked, dbt_failed, not_conserved)
        yield gates.complete_result(staged_key(p), settings.sources_path, blocking, accepted)


class PublicationConfig(dg.Config):
    keep_versions: int = 5  # published versions kept per dataset for rollback


@dg.multi_asset(
    specs=[dg.AssetSpec(published_key(p), deps=[staged_key(p)], group_name="published", owners=OWNERS,
                        kinds={"parquet"}, tags={"layer": "published"},
                        description=f"The current published version of {p.name}: "
                                    f"LAKEHOUSE_HOME/published/{p.name}/current/*.parquet, each park's share at "
                                    f"published/parks/<park_code>/{p.name}/current, and the rows that changed at "
                                    f"published/{p.name}/changes. Grain: {p.grain}.")
           for p in PUBLISHED]
    + [dg.AssetSpec(ANALYTICS_KEY, deps=[published_key(p) for p in PUBLISHED], group_name="published",
                    owners=OWNERS, kinds={"duckdb"}, tags={"layer": "published"},
                    description="LAKEHOUSE_HOME/published/analytics.duckdb: one view per published dataset over its "
                                "current version, for analysts (open it read-only); replaced atomically. Each park's "
                                "analysts have their own: published/parks/<park_code>/analytics.duckdb.")],
    required_resource_keys={"settings"},
    description="Make the staged versions current once every blocking check passed (publish of write-audit-publish).",
)
def published_extracts(context: dg.AssetExecutionContext, config: PublicationConfig):
    settings = context.resources.settings
    published = settings.published_path
    version = run_version(context)
    checks = {p.name: [{"asset": staged_key(p).to_user_string(), "check": c, "passed": True} for c in GATES]
              for p in PUBLISHED}
    previous = {p.name: store.current_version(published, p.name) for p in PUBLISHED}
    # every dataset and analytics.duckdb become current in one atomic switch, after every file is verified
    manifests = store.publish(published, version, checks)
    removed, removed_releases = store.retain(published, config.keep_versions)
    # then each park's (the whole extract passed the gate; a park's rows are a part of it)
    by_park = parks.publish(published, version, checks, config.keep_versions)
    # then the object store's replica, its pointer last (a lake on S3 only: assets/publish/replica.py)
    replicated = replica.replicate_all(published, settings.lake) if settings.lake.remote else {}
    for prefix, done in replicated.items():
        context.log.info(f"replica {settings.lake.uri(prefix)}: release {done['release']}, {done['uploaded']} "
                         f"folder(s) uploaded, {done['deleted']} removed")
    for p in PUBLISHED:
        folder = store.version_dir(published, p.name, version)
        yield dg.MaterializeResult(asset_key=published_key(p), metadata={
            "version": version, "previous_version": previous[p.name] or "none",
            "dagster/row_count": manifests[p.name]["row_count"],
            "path": dg.MetadataValue.path(str(store.dataset_dir(published, p.name) / store.CURRENT)),
            "manifest": dg.MetadataValue.path(str(folder / store.MANIFEST)),
            "dagster/column_schema": table_schema(manifests[p.name]),
            "versions_kept": len(store.versions(published, p.name)), "versions_removed": len(removed[p.name]),
            # the change feed: what a consumer applies to the previous version to get this one
            **{f"rows_{kind}": manifests[p.name]["changes"][kind] for kind in changes.KINDS},
            "change_set": dg.MetadataValue.path(str(changes.change_set_dir(published, p.name, previous[p.name],
                                                                            version))),
            "parks_published": len(by_park),
            **({"replica": dg.MetadataValue.path(settings.lake.uri(f"{replica.PUBLISHED_PREFIX}/{p.name}"))}
               if replicated else {})})
    path = published / store.ANALYTICS
    yield dg.MaterializeResult(asset_key=ANALYTICS_KEY, metadata={
        "path": dg.MetadataValue.path(str(path)), "version": version, "releases_removed": len(removed_releases),
        "parks": dg.MetadataValue.md("\n".join(
            f"- `{park}`: {parks.park_root(published, park) / store.ANALYTICS}" for park in by_park)),
        "views": dg.MetadataValue.md("\n".join(f"- `{p.name}`: {p.grain}" for p in PUBLISHED))})


class RollbackConfig(dg.Config):
    version: str  # a published version, as `python -m assets.publish.store list` shows it
    datasets: list[str] = []  # default: every published dataset


@dg.op(required_resource_keys={"settings"})
def rollback_op(context: dg.OpExecutionContext, config: RollbackConfig):
    settings = context.resources.settings
    published = settings.published_path
    done = store.rollback(published, config.version, config.datasets or None)
    rolled_parks = parks.rollback(published, config.version, config.datasets or None)
    if settings.lake.remote:
        replica.replicate_all(published, settings.lake)
    context.log.info(f"current -> {config.version} for {', '.join(done)}; analytics.duckdb rebuilt; "
                     f"{len(rolled_parks)} parks rolled back too")
    for name in done:
        context.log_event(dg.AssetMaterialization(asset_key=["published", name], metadata={
            "version": config.version, "rolled_back": True}))


PUBLISH_ASSETS = [staged_extracts, published_extracts]
