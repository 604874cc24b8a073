import { useEffect, useMemo, useState } from "react";
import {
  GLOSSARY,
  type GlossaryEntry,
  glossaryElementId,
  glossaryEntry,
  glossaryHref,
  glossaryIdOf,
  searchGlossary,
} from "./glossary";
import "./glossary.css";

const ALPHABETICAL = [...GLOSSARY].sort((a, b) => a.term.localeCompare(b.term));

/** The entry a `#/glossary/<id>` address names, following the address as it changes. */
function useEntryFromAddress(): string | null {
  const [id, setId] = useState(() => glossaryIdOf(window.location.hash));
  useEffect(() => {
    const on = () => setId(glossaryIdOf(window.location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return id;
}

function Entry({ entry, current }: { entry: GlossaryEntry; current: boolean }) {
  const headingId = `${glossaryElementId(entry.id)}-h`;
  return (
    <article
      id={glossaryElementId(entry.id)}
      className={`glossary-entry${current ? " current" : ""}`}
      aria-labelledby={headingId}
      tabIndex={-1}
      aria-current={current ? "location" : undefined}
    >
      <h3 id={headingId}>
        <a href={glossaryHref(entry.id)}>{entry.term}</a>
        {entry.aka && <span className="muted aka"> · also {entry.aka.join(", ")}</span>}
      </h3>
      <p>{entry.definition}</p>
      {entry.range && (
        <p className="glossary-range">
          <strong>Usual values:</strong> {entry.range}
        </p>
      )}
      {entry.related && (
        <p className="muted glossary-related">
          See also:{" "}
          {entry.related.map((id, i) => (
            <span key={id}>
              {i > 0 && ", "}
              <a href={glossaryHref(id)}>{glossaryEntry(id)?.term ?? id}</a>
            </span>
          ))}
        </p>
      )}
    </article>
  );
}

/** The glossary: every term in plain words, searchable, each entry at its own address. */
export function GlossaryPage() {
  const entryId = useEntryFromAddress();
  const [query, setQuery] = useState("");
  const shown = useMemo(() => searchGlossary(query, ALPHABETICAL), [query]);

  // Opening an entry's address shows it even when a search had hidden it.
  useEffect(() => {
    if (!entryId) return;
    setQuery("");
    // After the cleared search has rendered the full list.
    requestAnimationFrame(() => {
      const el = document.getElementById(glossaryElementId(entryId));
      el?.scrollIntoView({ block: "start" });
      el?.focus({ preventScroll: true });
    });
  }, [entryId]);

  return (
    <div className="page glossary-page">
      <section className="panel" aria-labelledby="glossary-h">
        <h2 id="glossary-h">Glossary</h2>
        <p className="muted">
          The words the studio uses, in plain terms, with the values people usually pick. Every control's “?” opens its
          entry here.
        </p>
        <div className="glossary-search">
          <label htmlFor="glossary-search">Search the glossary</label>
          <input
            id="glossary-search"
            type="search"
            value={query}
            placeholder="e.g. learning rate, stride, overfitting"
            onChange={(e) => setQuery(e.target.value)}
          />
          <span className="muted" role="status" data-testid="glossary-count">
            {shown.length === GLOSSARY.length ? `${shown.length} terms` : `${shown.length} of ${GLOSSARY.length} terms`}
          </span>
        </div>
        {shown.length === 0 && <p className="empty">No term matches “{query}”: try fewer or shorter words.</p>}
        <div className="glossary-list">
          {shown.map((e) => (
            <Entry key={e.id} entry={e} current={e.id === entryId} />
          ))}
        </div>
      </section>
    </div>
  );
}
