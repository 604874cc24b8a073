import type { TrainEvent } from "@layerlab/spec";
import { type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool, sql } from "kysely";
import type {
  DatasetRow,
  Executor,
  NewRunRow,
  RegistrySchema,
  RunRow,
  RunRowUpdate,
  RunStatus,
  RunSummaryRow,
  SweepRow,
  WorkersTable,
} from "./schema";

/** Filters of the run list; every field is optional and they combine with AND. */
export interface RunFilter {
  status?: RunStatus[];
  dataset?: string;
  modelKind?: string;
  optimizer?: string;
  batchSize?: number;
  epochs?: number;
  /** true: only runs with dropout; false: only runs without. */
  dropout?: boolean;
  /** Dense units before the output, comma-separated. */
  hidden?: string;
  learningRateMin?: number;
  /** Exclusive upper bound. */
  learningRateMax?: number;
  /** Matched against name, notes and tags, case-insensitively. */
  text?: string;
  tag?: string;
  executor?: Executor;
}

/** Sortable run fields. */
export const RUN_SORT_FIELDS = {
  createdAt: "created_at",
  name: "name",
  status: "status",
  dataset: "dataset",
  executor: "executor",
  optimizer: "optimizer",
  batchSize: "batch_size",
  epochs: "epochs",
  learningRate: "learning_rate",
  testAccuracy: "test_accuracy",
  valAccuracy: "val_accuracy",
  finishedAt: "finished_at",
} as const;
/** A field runs can be sorted by. */
export type RunSortField = keyof typeof RUN_SORT_FIELDS;

/** Every run column but the spec and config: what a list needs, a few hundred bytes a run. */
const RUN_SUMMARY_COLUMNS = Object.keys({
  id: true,
  name: true,
  status: true,
  tags: true,
  notes: true,
  fingerprint: true,
  fingerprint_slot: true,
  dataset: true,
  train_limit: true,
  executor: true,
  model_kind: true,
  optimizer: true,
  batch_size: true,
  epochs: true,
  hidden_units: true,
  dropout: true,
  learning_rate: true,
  created_at: true,
  started_at: true,
  finished_at: true,
  epochs_done: true,
  train_seconds: true,
  train_loss: true,
  train_accuracy: true,
  val_loss: true,
  val_accuracy: true,
  test_loss: true,
  test_accuracy: true,
  error: true,
  worker: true,
  job: true,
  lease: true,
  stop_reason: true,
  sweep_id: true,
  sweep_cell: true,
} satisfies Record<keyof RunSummaryRow, true>) as (keyof RunSummaryRow)[];

/** A dataset registered by an upload. */
export interface StoredDataset {
  id: string;
  name: string;
  shape: [number, number, number];
  classes: string[];
  trainCount: number;
  testCount: number;
  report: unknown;
  bytes: number;
  createdAt: number;
}

function datasetFromRow(row: DatasetRow): StoredDataset {
  return {
    id: row.id,
    name: row.name,
    shape: JSON.parse(row.shape),
    classes: JSON.parse(row.classes),
    trainCount: row.train_count,
    testCount: row.test_count,
    report: JSON.parse(row.report),
    bytes: Number(row.bytes),
    createdAt: Number(row.created_at),
  };
}

/** Escapes LIKE wildcards so user text matches literally. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The run filter as one SQL condition (every field optional, all combined with AND). */
function matchesFilter(eb: ExpressionBuilder<RegistrySchema, "runs">, filter: RunFilter): Expression<SqlBool> {
  const all: Expression<SqlBool>[] = [];
  if (filter.status?.length) all.push(eb("status", "in", filter.status));
  if (filter.dataset !== undefined) all.push(eb("dataset", "=", filter.dataset));
  if (filter.modelKind !== undefined) all.push(eb("model_kind", "=", filter.modelKind));
  if (filter.optimizer !== undefined) all.push(eb("optimizer", "=", filter.optimizer));
  if (filter.batchSize !== undefined) all.push(eb("batch_size", "=", filter.batchSize));
  if (filter.epochs !== undefined) all.push(eb("epochs", "=", filter.epochs));
  if (filter.dropout !== undefined) all.push(eb("dropout", filter.dropout ? ">" : "=", 0));
  if (filter.hidden !== undefined) all.push(eb("hidden_units", "=", filter.hidden));
  if (filter.executor !== undefined) all.push(eb("executor", "=", filter.executor));
  if (filter.learningRateMin !== undefined) all.push(eb("learning_rate", ">=", filter.learningRateMin));
  if (filter.learningRateMax !== undefined) all.push(eb("learning_rate", "<", filter.learningRateMax));
  if (filter.tag !== undefined) {
    all.push(eb(sql`lower(${eb.ref("tags")})`, "like", sql`${likePattern(JSON.stringify(filter.tag))} escape '\\'`));
  }
  if (filter.text !== undefined && filter.text !== "") {
    const pattern = likePattern(filter.text);
    all.push(
      eb.or([
        eb(sql`lower(${eb.ref("name")})`, "like", sql`${pattern} escape '\\'`),
        eb(sql`lower(${eb.ref("notes")})`, "like", sql`${pattern} escape '\\'`),
        eb(sql`lower(${eb.ref("tags")})`, "like", sql`${pattern} escape '\\'`),
      ]),
    );
  }
  return eb.and(all);
}

/**
 * The typed query layer over the registry: every SQL the server runs lives
 * here, written with Kysely's portable builder so another dialect needs no
 * change in the callers.
 */
export class Registry {
  constructor(readonly db: Kysely<RegistrySchema>) {}

  /**
   * Runs `work` in one transaction (joining the current one, if any). On
   * SQLite the registry has one connection, so a transaction also keeps every
   * other request's query waiting until it ends: keep `work` to queries.
   */
  inTransaction<T>(work: (tx: Registry) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    return this.db.transaction().execute((tx) => work(new Registry(tx)));
  }

  /** Inserts a new run row. */
  async insertRun(row: NewRunRow): Promise<void> {
    await this.db.insertInto("runs").values(row).execute();
  }

  /**
   * Inserts a run unless its `fingerprint_slot` is held by another run;
   * returns whether it was inserted. The unique index decides, so of two
   * racing inserts exactly one wins, on any database.
   */
  async insertRunUnlessSlotHeld(row: NewRunRow): Promise<boolean> {
    const result = await this.db
      .insertInto("runs")
      .values(row)
      .onConflict((oc) => oc.column("fingerprint_slot").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** The run that answers for a fingerprint, or undefined when none does. */
  runHoldingFingerprint(fingerprint: string): Promise<RunRow | undefined> {
    return this.db.selectFrom("runs").selectAll().where("fingerprint_slot", "=", fingerprint).executeTakeFirst();
  }

  /** One run, or undefined. */
  getRun(id: string): Promise<RunRow | undefined> {
    return this.db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Updates fields of a run; returns whether it existed. */
  async updateRun(id: string, patch: RunRowUpdate): Promise<boolean> {
    const result = await this.db.updateTable("runs").set(patch).where("id", "=", id).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Moves a run to `to` only when it is in one of `from`; returns whether it moved. */
  async transitionRun(id: string, from: RunStatus[], to: RunStatus, patch: RunRowUpdate = {}): Promise<boolean> {
    const result = await this.db
      .updateTable("runs")
      .set({ ...patch, status: to })
      .where("id", "=", id)
      .where("status", "in", from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Deletes a run and (by cascade) its metrics, events and artifacts rows. */
  async deleteRun(id: string): Promise<void> {
    await this.inTransaction(async ({ db: tx }) => {
      await tx.deleteFrom("run_events").where("run_id", "=", id).execute();
      await tx.deleteFrom("run_metrics").where("run_id", "=", id).execute();
      await tx.deleteFrom("artifacts").where("run_id", "=", id).execute();
      await tx.deleteFrom("runs").where("id", "=", id).execute();
    });
  }

  /** Registers a sweep (its runs are inserted as runs, naming it). */
  async insertSweep(row: SweepRow): Promise<void> {
    await this.db.insertInto("sweeps").values(row).execute();
  }

  getSweep(id: string): Promise<SweepRow | undefined> {
    return this.db.selectFrom("sweeps").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Every sweep, newest first. */
  listSweeps(): Promise<SweepRow[]> {
    return this.db.selectFrom("sweeps").selectAll().orderBy("created_at", "desc").execute();
  }

  /** A sweep's runs in grid order. */
  runsOfSweep(id: string): Promise<RunRow[]> {
    return this.db.selectFrom("runs").selectAll().where("sweep_id", "=", id).orderBy("sweep_cell").execute();
  }

  /** Deletes a sweep's row; its runs are deleted one by one by the caller (they own folders). */
  async deleteSweep(id: string): Promise<void> {
    await this.db.deleteFrom("sweeps").where("id", "=", id).execute();
  }

  /** Runs with this fingerprint, newest first. */
  runsByFingerprint(fingerprint: string): Promise<RunRow[]> {
    return this.db
      .selectFrom("runs")
      .selectAll()
      .where("fingerprint", "=", fingerprint)
      .orderBy("created_at", "desc")
      .execute();
  }

  /** Runs in these states, oldest first. */
  runsWithStatus(status: RunStatus[]): Promise<RunRow[]> {
    return this.db.selectFrom("runs").selectAll().where("status", "in", status).orderBy("created_at").execute();
  }

  /** Every run id. */
  async allRunIds(): Promise<string[]> {
    return (await this.db.selectFrom("runs").select("id").execute()).map((r) => r.id);
  }

  /** The run list, filtered and sorted, without specs and configs. */
  listRuns(
    filter: RunFilter,
    sort: { field: RunSortField; order: "asc" | "desc" } = { field: "createdAt", order: "desc" },
    page: { limit: number; offset: number } = { limit: 100, offset: 0 },
  ): Promise<RunSummaryRow[]> {
    const column = RUN_SORT_FIELDS[sort.field];
    return (
      this.db
        .selectFrom("runs")
        .select(RUN_SUMMARY_COLUMNS)
        .where((eb) => matchesFilter(eb, filter))
        // Runs without the value (no test accuracy yet) come last in either order.
        .orderBy(sql`${sql.ref(column)} is null`)
        .orderBy(column, sort.order)
        .orderBy("created_at", "desc")
        .orderBy("id")
        .limit(page.limit)
        .offset(page.offset)
        .execute()
    );
  }

  /** How many runs match the filter, whatever page is shown. */
  async countRuns(filter: RunFilter): Promise<number> {
    const row = await this.db
      .selectFrom("runs")
      .select((eb) => eb.fn.countAll().as("n"))
      .where((eb) => matchesFilter(eb, filter))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** One page of the run list and the number of runs matching the filter, read together so they agree. */
  runPage(
    filter: RunFilter,
    sort: { field: RunSortField; order: "asc" | "desc" },
    page: { limit: number; offset: number },
  ): Promise<{ rows: RunSummaryRow[]; total: number }> {
    return this.inTransaction(async (tx) => ({
      rows: await tx.listRuns(filter, sort, page),
      total: await tx.countRuns(filter),
    }));
  }

  /** Stores events (ignoring seqs already stored) in one transaction. */
  async insertEvents(runId: string, events: readonly TrainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((e) => ({
      run_id: runId,
      seq: e.seq,
      type: e.type,
      time: e.time,
      body: JSON.stringify(e),
    }));
    await this.db
      .insertInto("run_events")
      .values(rows)
      .onConflict((oc) => oc.columns(["run_id", "seq"]).doNothing())
      .execute();
  }

  /** Events after `afterSeq` (all when -1), in order. */
  async eventsAfter(runId: string, afterSeq: number, limit = 10_000): Promise<TrainEvent[]> {
    const rows = await this.db
      .selectFrom("run_events")
      .select("body")
      .where("run_id", "=", runId)
      .where("seq", ">", afterSeq)
      .orderBy("seq")
      .limit(limit)
      .execute();
    return rows.map((r) => JSON.parse(r.body) as TrainEvent);
  }

  /** The highest stored seq of a run, or -1. */
  async lastEventSeq(runId: string): Promise<number> {
    const row = await this.db
      .selectFrom("run_events")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("run_id", "=", runId)
      .executeTakeFirst();
    return row?.seq === null || row?.seq === undefined ? -1 : Number(row.seq);
  }

  /** Drops a run's events (a resumed or overwritten run starts its stream again). */
  async deleteEvents(runId: string): Promise<void> {
    await this.db.deleteFrom("run_events").where("run_id", "=", runId).execute();
  }

  /** Records one epoch's metrics (replacing a row of the same epoch). */
  async upsertEpochMetrics(
    runId: string,
    m: {
      epoch: number;
      trainLoss: number;
      trainAccuracy: number;
      valLoss: number | null;
      valAccuracy: number | null;
      learningRate: number;
      seconds: number;
    },
  ): Promise<void> {
    const values = {
      run_id: runId,
      epoch: m.epoch,
      train_loss: m.trainLoss,
      train_accuracy: m.trainAccuracy,
      val_loss: m.valLoss,
      val_accuracy: m.valAccuracy,
      learning_rate: m.learningRate,
      seconds: m.seconds,
    };
    await this.db
      .insertInto("run_metrics")
      .values(values)
      .onConflict((oc) => oc.columns(["run_id", "epoch"]).doUpdateSet(values))
      .execute();
  }

  /** Per-epoch metrics, in epoch order. */
  async epochMetrics(runId: string) {
    return this.db.selectFrom("run_metrics").selectAll().where("run_id", "=", runId).orderBy("epoch").execute();
  }

  /** Records an artifact a run has (replacing an older entry of that name). */
  async putArtifact(runId: string, name: string, bytes: number): Promise<void> {
    const values = { run_id: runId, name, bytes, created_at: Date.now() };
    await this.db
      .insertInto("artifacts")
      .values(values)
      .onConflict((oc) => oc.columns(["run_id", "name"]).doUpdateSet({ bytes, created_at: values.created_at }))
      .execute();
  }

  /** Artifacts recorded for a run. */
  async artifacts(runId: string): Promise<{ name: string; bytes: number }[]> {
    const rows = await this.db
      .selectFrom("artifacts")
      .select(["name", "bytes"])
      .where("run_id", "=", runId)
      .orderBy("name")
      .execute();
    return rows.map((r) => ({ name: r.name, bytes: Number(r.bytes) }));
  }

  /** Registers an imported dataset. */
  async insertDataset(d: StoredDataset): Promise<void> {
    await this.db
      .insertInto("datasets")
      .values({
        id: d.id,
        name: d.name,
        shape: JSON.stringify(d.shape),
        classes: JSON.stringify(d.classes),
        train_count: d.trainCount,
        test_count: d.testCount,
        report: JSON.stringify(d.report),
        bytes: d.bytes,
        created_at: d.createdAt,
      })
      .execute();
  }

  /** One imported dataset, or undefined. */
  async getDataset(id: string): Promise<StoredDataset | undefined> {
    const row = await this.db.selectFrom("datasets").selectAll().where("id", "=", id).executeTakeFirst();
    return row && datasetFromRow(row);
  }

  /** Every imported dataset, newest first. */
  async listDatasets(): Promise<StoredDataset[]> {
    const rows = await this.db.selectFrom("datasets").selectAll().orderBy("created_at", "desc").execute();
    return rows.map(datasetFromRow);
  }

  /** Removes a dataset's row; returns whether it existed. */
  async deleteDataset(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom("datasets").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** How many runs use a dataset. */
  async runsUsingDataset(id: string): Promise<number> {
    const row = await this.db
      .selectFrom("runs")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("dataset", "=", id)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Records a worker's heartbeat: who it is, how many runs it takes, which claims it holds. */
  async recordHeartbeat(w: { name: string; slots: number; leases: string[]; time: number }): Promise<void> {
    const values = { name: w.name, slots: w.slots, leases: JSON.stringify(w.leases), last_seen: w.time };
    await this.db
      .insertInto("workers")
      .values({ ...values, first_seen: w.time })
      .onConflict((oc) => oc.column("name").doUpdateSet(values))
      .execute();
  }

  /** Every worker heard from, most recently seen first. */
  workers(): Promise<Selectable<WorkersTable>[]> {
    return this.db.selectFrom("workers").selectAll().orderBy("last_seen", "desc").orderBy("name").execute();
  }

  /** Ids of the server runs waiting for a worker or a thread, in the order they are handed out. */
  async queuedServerRunIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom("runs")
      .select("id")
      .where("executor", "=", "server")
      .where("status", "=", "queued")
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map((r) => r.id);
  }

  /** Server runs held by a claim now (training somewhere). */
  leasedRuns(): Promise<RunRow[]> {
    return this.db
      .selectFrom("runs")
      .selectAll()
      .where("executor", "=", "server")
      .where("status", "=", "running")
      .where("lease", "is not", null)
      .execute();
  }

  /** The run whose current claim is this lease, if any. */
  runWithLease(lease: string): Promise<RunRow | undefined> {
    return this.db.selectFrom("runs").selectAll().where("lease", "=", lease).executeTakeFirst();
  }

  /** The run a lease belongs to while that lease is the run's current claim. */
  runByLease(runId: string, lease: string): Promise<RunRow | undefined> {
    return this.db.selectFrom("runs").selectAll().where("id", "=", runId).where("lease", "=", lease).executeTakeFirst();
  }
}
