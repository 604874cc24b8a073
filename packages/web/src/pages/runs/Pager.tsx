/** "26–50 of 130" with Prev and Next; `page` is 0-based. */
export function Pager({
  page,
  perPage,
  total,
  onPage,
}: {
  page: number;
  perPage: number;
  total: number;
  onPage: (page: number) => void;
}) {
  const first = total === 0 ? 0 : page * perPage + 1;
  const last = Math.min(total, (page + 1) * perPage);
  return (
    <nav className="pager" aria-label="Run list pages">
      <button type="button" aria-label="Previous page" disabled={page === 0} onClick={() => onPage(page - 1)}>
        ‹ Prev
      </button>
      <span data-testid="runs-range" aria-live="polite">
        {first}–{last} of {total}
      </span>
      <button type="button" aria-label="Next page" disabled={last >= total} onClick={() => onPage(page + 1)}>
        Next ›
      </button>
    </nav>
  );
}
