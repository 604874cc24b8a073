import { glossaryEntry, glossaryHref } from "./glossary";
import "./help-link.css";

/** The first sentence of a definition: the tooltip of a help link. */
function firstSentence(text: string): string {
  return /^.*?[.!?](\s|$)/.exec(text)?.[0].trim() ?? text;
}

/**
 * A small "?" that opens the glossary at `term`; its tooltip is the entry's
 * first sentence. Renders nothing for an unknown term, so a missing entry
 * never shows a dead link.
 */
export function HelpLink({ term }: { term: string | undefined }) {
  const entry = term === undefined ? undefined : glossaryEntry(term);
  if (!entry) return null;
  return (
    <a className="help-link" href={glossaryHref(entry.id)} title={firstSentence(entry.definition)}>
      <span aria-hidden="true">?</span>
      <span className="sr-only">{entry.term} in the glossary</span>
    </a>
  );
}
