/**
 * Vitest globalSetup of the "postgres" project: one PostgreSQL cluster for
 * the whole run; each test server makes its own database in it
 * (helpers.ts `startTestServer`), so files never see each other's runs.
 */
import type { TestProject } from "vitest/node";
import { startPostgresCluster } from "./cluster";

/** The key under which test files `inject()` the cluster's maintenance URL. */
export const POSTGRES_ADMIN_URL_KEY = "layerlabPostgresAdminUrl";

declare module "vitest" {
  export interface ProvidedContext {
    /** postgres://…/postgres of this run's cluster (see cluster.ts). */
    [POSTGRES_ADMIN_URL_KEY]: string;
  }
}

/** Starts the cluster, hands its URL to the test files, and stops it when the run ends. */
export default async function setup(project: TestProject): Promise<() => void> {
  const cluster = await startPostgresCluster();
  project.provide(POSTGRES_ADMIN_URL_KEY, cluster.adminUrl);
  return () => cluster.stop();
}
