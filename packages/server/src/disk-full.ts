import { isDiskFull } from "@layerlab/runner";
import { HttpError } from "./http-error";

/** Whether an error (a file write's ENOSPC or EDQUOT, SQLite's SQLITE_FULL) means DATA_DIR's disk is full. */
export { isDiskFull };

/** How messages name the server's data folder, so an operator knows which setting and which path. */
export function dataDirName(dataDir: string): string {
  return `DATA_DIR (${dataDir})`;
}

/** The message a server run ends with when DATA_DIR's disk fills up while it trains. */
export function runDiskFullMessage(dataDir: string): string {
  return `disk full in ${dataDirName(dataDir)}: free space and resume the run`;
}

/** The 507 a request gets when what it would store does not fit on DATA_DIR's disk. */
export function diskFullHttpError(dataDir: string): HttpError {
  return new HttpError(507, `disk full in ${dataDirName(dataDir)}; free space and retry`);
}
