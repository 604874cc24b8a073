/** The localStorage key that remembers, per browser, that the first-run tour was dismissed or finished. */
export const TOUR_SEEN_KEY = "layerlab.tourSeen";

/** Whether this browser has dismissed or finished the tour; true where storage is unavailable, so it never nags. */
export function tourSeen(): boolean {
  try {
    return localStorage.getItem(TOUR_SEEN_KEY) !== null;
  } catch {
    return true;
  }
}

/** Remembers that the tour was dismissed or finished. */
export function markTourSeen(): void {
  try {
    localStorage.setItem(TOUR_SEEN_KEY, new Date().toISOString());
  } catch {
    // Storage is off (a private window): the tour simply shows again next time.
  }
}
