import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";

/*
 * Migrations in code, in order. They use only Kysely's schema builder and
 * portable types, so the same list runs on SQLite and PostgreSQL. Numbers
 * with a fraction are "double precision": PostgreSQL's "real" is 4 bytes and
 * would round a learning rate of 0.001 to 0.0010000000475, while SQLite gives
 * both names the same 8-byte REAL affinity (so registries made before the
 * rename are unchanged).
 */
const migrations: Record<string, Migration> = {
  "0001_registry": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("runs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("tags", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("notes", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("spec", "text", (c) => c.notNull())
        .addColumn("config", "text", (c) => c.notNull())
        .addColumn("fingerprint", "text", (c) => c.notNull())
        .addColumn("dataset", "text", (c) => c.notNull())
        .addColumn("train_limit", "integer")
        .addColumn("executor", "text", (c) => c.notNull())
        .addColumn("model_kind", "text", (c) => c.notNull())
        .addColumn("optimizer", "text", (c) => c.notNull())
        .addColumn("batch_size", "integer", (c) => c.notNull())
        .addColumn("epochs", "integer", (c) => c.notNull())
        .addColumn("hidden_units", "text", (c) => c.notNull())
        .addColumn("dropout", "double precision", (c) => c.notNull())
        .addColumn("learning_rate", "double precision", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("started_at", "bigint")
        .addColumn("finished_at", "bigint")
        .addColumn("epochs_done", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("train_loss", "double precision")
        .addColumn("train_accuracy", "double precision")
        .addColumn("val_loss", "double precision")
        .addColumn("val_accuracy", "double precision")
        .addColumn("test_loss", "double precision")
        .addColumn("test_accuracy", "double precision")
        .addColumn("error", "text")
        .execute();
      await db.schema.createIndex("runs_fingerprint").on("runs").column("fingerprint").execute();
      await db.schema.createIndex("runs_status").on("runs").column("status").execute();
      await db.schema
        .createTable("run_metrics")
        .addColumn("run_id", "text", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        .addColumn("epoch", "integer", (c) => c.notNull())
        .addColumn("train_loss", "double precision", (c) => c.notNull())
        .addColumn("train_accuracy", "double precision", (c) => c.notNull())
        .addColumn("val_loss", "double precision")
        .addColumn("val_accuracy", "double precision")
        .addColumn("learning_rate", "double precision", (c) => c.notNull())
        .addColumn("seconds", "double precision", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_metrics_pk", ["run_id", "epoch"])
        .execute();
      await db.schema
        .createTable("run_events")
        .addColumn("run_id", "text", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("time", "bigint", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_events_pk", ["run_id", "seq"])
        .execute();
      await db.schema
        .createTable("datasets")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("shape", "text", (c) => c.notNull())
        .addColumn("classes", "text", (c) => c.notNull())
        .addColumn("train_count", "integer", (c) => c.notNull())
        .addColumn("test_count", "integer", (c) => c.notNull())
        .addColumn("report", "text", (c) => c.notNull())
        .addColumn("bytes", "bigint", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("artifacts")
        .addColumn("run_id", "text", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("bytes", "bigint", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("artifacts_pk", ["run_id", "name"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ["artifacts", "datasets", "run_events", "run_metrics", "runs"]) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },
  "0002_one_run_per_fingerprint": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("runs").addColumn("fingerprint_slot", "text").execute();
      // The newest run of each fingerprint answers for it; older duplicates stay, as copies.
      await sql`
        update runs set fingerprint_slot = fingerprint
        where not exists (
          select 1 from runs newer
          where newer.fingerprint = runs.fingerprint
            and (newer.created_at > runs.created_at or (newer.created_at = runs.created_at and newer.id > runs.id))
        )`.execute(db);
      // NULLs never collide in a unique index (SQLite and PostgreSQL alike), so copies need no slot.
      await db.schema.createIndex("runs_fingerprint_slot").on("runs").column("fingerprint_slot").unique().execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("runs_fingerprint_slot").ifExists().execute();
      await db.schema.alterTable("runs").dropColumn("fingerprint_slot").execute();
    },
  },
  "0003_train_seconds": {
    async up(db: Kysely<unknown>) {
      // The done event's seconds: training time over every session of a resumed run, which
      // finished_at - started_at (the last session, or the wall-clock gap between sessions) is not.
      await db.schema.alterTable("runs").addColumn("train_seconds", "double precision").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("runs").dropColumn("train_seconds").execute();
    },
  },
  "0004_workers": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("runs").addColumn("worker", "text").execute();
      await db.schema.alterTable("runs").addColumn("job", "text").execute();
      await db.schema.alterTable("runs").addColumn("lease", "text").execute();
      await db.schema.alterTable("runs").addColumn("stop_reason", "text").execute();
      await db.schema
        .createTable("workers")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("slots", "integer", (c) => c.notNull())
        .addColumn("leases", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("last_seen", "bigint", (c) => c.notNull())
        .addColumn("first_seen", "bigint", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("workers").ifExists().execute();
      for (const column of ["stop_reason", "lease", "job", "worker"]) {
        await db.schema.alterTable("runs").dropColumn(column).execute();
      }
    },
  },
  "0005_sweeps": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("sweeps")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("plan", "text", (c) => c.notNull())
        .addColumn("dataset", "text", (c) => c.notNull())
        .addColumn("executor", "text", (c) => c.notNull())
        .addColumn("seed", "integer", (c) => c.notNull())
        .addColumn("control", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.alterTable("runs").addColumn("sweep_id", "text").execute();
      await db.schema.alterTable("runs").addColumn("sweep_cell", "integer").execute();
      await db.schema.createIndex("runs_sweep_id").on("runs").column("sweep_id").execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("runs_sweep_id").ifExists().execute();
      for (const column of ["sweep_cell", "sweep_id"]) await db.schema.alterTable("runs").dropColumn(column).execute();
      await db.schema.dropTable("sweeps").ifExists().execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** A migrator over the registry's migrations (tests use it to build a registry as an older version left it). */
export function registryMigrator(db: Kysely<unknown>): Migrator {
  return new Migrator({ db, provider });
}

/** Brings the registry's schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = registryMigrator(db);
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error) {
    throw new Error(
      `registry migration ${failed?.migrationName ?? "(unknown)"} failed: ${(error as Error).message ?? String(error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/** A cheap round trip, for the health check. */
export async function pingDatabase(db: Kysely<unknown>): Promise<void> {
  await sql`select 1`.execute(db);
}
