import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/*
 * The Chromium the tests drive. Debian's `chromium-headless-shell` is the
 * same Blink and V8 without the browser's own interface: the full browser in
 * headless mode still runs its tab strip's WebUI renderer and browser-side
 * services, which cost about a third of a short journey's Chromium CPU here,
 * and Playwright's own headless default is this shell too. `.ci/run` installs
 * both; the full browser stays the fallback, and `CHROMIUM_PATH` overrides.
 * (Benchmarks keep the full browser: its numbers describe what a learner runs.)
 */
const HEADLESS_SHELL = "/usr/bin/chromium-headless-shell";
const FULL_BROWSER = "/usr/bin/chromium";

/** The executable the tests launch. */
export const TEST_CHROMIUM = process.env.CHROMIUM_PATH ?? (existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : FULL_BROWSER);

/** No sandbox (root in a container) and nothing that reaches the network; the benchmarks' browsers use them too. */
export const TEST_CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Launches the tests' headless Chromium. */
export function launchTestChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: TEST_CHROMIUM, headless: true, args: TEST_CHROMIUM_ARGS });
}
