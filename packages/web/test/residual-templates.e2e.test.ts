import { mkdirSync } from "node:fs";
import { analyzeSpec, buildTemplate, type TemplateId } from "@layerlab/spec";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { serveStudio } from "./harness";

// The residual templates in the builder's template picker, on the studio's default dataset (28×28 shapes),
// and the small one trained in the page.
const SHOTS = "/tmp/shots/residual-templates";
const DEFAULT_DATA = { inputShape: [1, 28, 28], classes: ["circle", "square", "triangle"] };

const studio = serveStudio("residual-templates");
let page: Page;
let errors: string[];
beforeAll(() => {
  ({ page, errors } = studio);
  mkdirSync(SHOTS, { recursive: true });
});

describe("residual templates", () => {
  it("are picked from the builder's templates, with their weights counted for the dataset", async () => {
    await page.goto(`${studio.url}#/build`);
    for (const [name, id] of [
      ["ResNet-20", "resnet-20"],
      ["MNIST ResNet", "resnet-mnist"],
    ] as const satisfies readonly (readonly [string, TemplateId])[]) {
      await page.getByRole("button", { name, exact: true }).click();
      await expect.poll(() => page.textContent("[data-testid=spec-status]")).toContain("ready to train");
      const params = analyzeSpec(buildTemplate(id, DEFAULT_DATA)).totals.params;
      await expect.poll(() => page.textContent("[data-testid=total-params]")).toBe(params.toLocaleString("en-US"));
      await page.screenshot({ path: `${SHOTS}/${id}-builder.png` });
    }
    expect(errors).toEqual([]);
  });

  it("trains the MNIST ResNet in the page", { timeout: 240_000 }, async () => {
    await page.click('nav a[href="#/train"]');
    await page.fill("#cfg-epochs", "1");
    await page.fill("#limit", "128");
    await page.click("[data-testid=start]");
    await expect.poll(() => page.textContent("[data-testid=run-status]"), { timeout: 200_000 }).toBe("done");
    await page.screenshot({ path: `${SHOTS}/resnet-mnist-trained.png` });
    expect(errors).toEqual([]);
  });
});
