/*
 * One object store in its own IndexedDB database, opened on first use (and
 * again after a failed open), with each request in its own transaction that
 * settles when the transaction completes. The page's run, sweep and epoch
 * stores are each one of these.
 */

/** Runs `make` on the store in a transaction of `mode` and resolves with its request's result. */
export type StoreRequest = <T>(mode: IDBTransactionMode, make: (store: IDBObjectStore) => IDBRequest) => Promise<T>;

/** The request function of store `store` in database `dbName`; `what` names it in errors ("run store"). */
export function indexedDbStore(dbName: string, store: string, keyPath: string | string[], what: string): StoreRequest {
  let opened: Promise<IDBDatabase> | null = null;
  const db = (): Promise<IDBDatabase> => {
    opened ??= new Promise((resolve, reject) => {
      const req = indexedDB.open(dbName, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(store, { keyPath });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => {
        opened = null;
        reject(new Error(`this browser's ${what} cannot be opened: ${req.error?.message ?? "unknown error"}`));
      };
    });
    return opened;
  };
  return async <T>(mode: IDBTransactionMode, make: (s: IDBObjectStore) => IDBRequest): Promise<T> => {
    const tx = (await db()).transaction(store, mode);
    return new Promise<T>((resolve, reject) => {
      const req = make(tx.objectStore(store));
      tx.oncomplete = () => resolve(req.result as T);
      tx.onerror = () => reject(new Error(`this browser's ${what} failed: ${tx.error?.message ?? "unknown error"}`));
    });
  };
}
