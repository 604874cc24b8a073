import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { RegistrySchema } from "./schema";

/** The registry file's name inside DATA_DIR. */
export const REGISTRY_FILE = "registry.sqlite";

/**
 * Opens the registry database. SQLite (a file under dataDir) is the only
 * dialect wired today; PostgreSQL is one more branch here returning a Kysely
 * with a PostgresDialect — nothing above this module knows which it is.
 */
export function openDatabase(opts: { dataDir: string; databaseUrl?: string | undefined }): Kysely<RegistrySchema> {
  if (opts.databaseUrl) {
    throw new Error(
      `DATABASE_URL=${opts.databaseUrl.split(":")[0]}:… is not supported yet; unset it to use SQLite under DATA_DIR`,
    );
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
