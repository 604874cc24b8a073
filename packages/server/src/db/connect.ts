import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import type { RegistrySchema } from "./schema";

/** The registry file's name inside DATA_DIR. */
export const REGISTRY_FILE = "registry.sqlite";

/** Which database holds the registry. */
export type DatabaseKind = "sqlite" | "postgres";

/** PostgreSQL's type id of `bigint` (int8). */
const INT8_OID = 20;

/**
 * The registry's bigints are millisecond times and byte counts, far below
 * 2^53, so they are read as numbers — as SQLite returns them — instead of
 * node-postgres's default strings. Set on this pool only, not on pg's globals.
 */
const registryTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/**
 * Opens the registry database: PostgreSQL when `databaseUrl` is given (a
 * server shared by several machines), else SQLite in a file under dataDir
 * (the embedded default that needs nothing installed). Nothing above this
 * module knows which it is; the migrations and queries are portable.
 */
export function openDatabase(opts: {
  dataDir: string;
  databaseUrl?: string | null | undefined;
}): Kysely<RegistrySchema> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10, types: registryTypes });
    // An idle client losing its connection (the database restarted) must not crash the server;
    // the next query gets a fresh client and its own error.
    pool.on("error", () => {});
    return new Kysely<RegistrySchema>({ dialect: new PostgresDialect({ pool }) });
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const database = new Database(join(opts.dataDir, REGISTRY_FILE));
  // WAL: readers (SSE replays) never block the writer; NORMAL sync is crash-safe with WAL.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  return new Kysely<RegistrySchema>({ dialect: new SqliteDialect({ database }) });
}

/** The kind of database a DATABASE_URL (or its absence) selects. */
export function databaseKind(databaseUrl: string | null | undefined): DatabaseKind {
  return databaseUrl ? "postgres" : "sqlite";
}
