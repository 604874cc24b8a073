/** Escapes text for HTML content and attribute values. */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A table from a header row and body rows of already-escaped cells. */
export function table(head: string[], rows: string[][], className = ""): string {
  const th = head.map((h) => `<th>${h}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<table class="${className}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A section with an id (the tests and the table of contents find sections by it). */
export function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

/** A number with up to `digits` significant digits, or an em dash for none. */
export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return "—";
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(digits)));
}

/** A fraction as a percentage, or an em dash. */
export function percent(x: number | null | undefined): string {
  return x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`;
}

/** A count with thousands separators (1,234,567). */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Bytes in MiB or GiB. */
export function bytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

export const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1000px;padding:1.5rem;color:#222;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.kv td:first-child{font-weight:600}.muted{color:#777}
.confusion td{text-align:center;min-width:2.2rem}
.examples{display:flex;flex-wrap:wrap;gap:.8rem}.examples figure{margin:0;text-align:center;font-size:.8rem}
.examples img{image-rendering:pixelated;border:1px solid #ccc;width:84px;height:84px}
.ok{color:#1a7f37}.bad{color:#c62828}
.finding{border-left:4px solid #999;padding:.3rem .8rem;margin:.6rem 0;background:#fafafa}
.finding.problem{border-color:#c62828}.finding.warning{border-color:#e69500}.finding.info{border-color:#1f77b4}
.finding code{background:#eee;padding:0 .2rem}
svg{max-width:100%;height:auto}
.share{display:inline-block;width:60px;height:.6rem;background:#eee;vertical-align:middle}.share span{display:block;height:100%;background:#1f77b4}
.kv thead:has(th:empty){display:none}
@media (max-width:720px){body{padding:1rem}figure{margin:.5rem 0}table{display:block;max-width:100%;overflow-x:auto}}
`;
