/**
 * In the "postgres" test project every data folder gets its own database in
 * the run's cluster, so a server restarted on the same folder (crash and
 * recovery tests) finds its registry again, and no two files share one.
 * In the other projects there is no cluster and servers keep SQLite.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { POSTGRES_ADMIN_URL_KEY } from "./postgres.global";

/** The cluster's maintenance URL when this file runs in the "postgres" project. */
function adminUrl(): string | null {
  return inject(POSTGRES_ADMIN_URL_KEY) ?? null;
}

/** Whether servers in this test file keep their registry in PostgreSQL. */
export function registryOnPostgres(): boolean {
  return adminUrl() !== null;
}

/** The database name that belongs to a data folder. */
function databaseName(dataDir: string): string {
  return `layerlab_${createHash("sha256").update(dataDir).digest("hex").slice(0, 24)}`;
}

async function withAdmin<T>(admin: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The DATABASE_URL for a server on `dataDir` — its database is created on
 * first use — or null when this project keeps SQLite.
 */
export async function databaseUrlFor(dataDir: string): Promise<string | null> {
  const admin = adminUrl();
  if (admin === null) return null;
  const name = databaseName(dataDir);
  await withAdmin(admin, async (client) => {
    const found = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`create database ${name}`);
  });
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops the database of `dataDir`, if this project made one. */
export async function dropDatabaseFor(dataDir: string): Promise<void> {
  const admin = adminUrl();
  if (admin === null) return;
  await withAdmin(admin, (client) => client.query(`drop database if exists ${databaseName(dataDir)} with (force)`));
}
