/** A signed count as the difference matrix prints it: +3, −2, 0. */
export function signed(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? `\u2212${-n}` : "0";
}

/**
 * B's confusion counts minus A's, coloured on a diverging scale: a cell where
 * B counts more takes B's colour, one where A counts more takes A's, the
 * stronger the larger the gap. Each cell selects the images behind it.
 */
export function DifferenceMatrix({
  difference,
  classes,
  colors,
  names,
  selected,
  onSelect,
}: {
  /** `difference[actual][predicted]` = B's count − A's count. */
  difference: number[][];
  classes: readonly string[];
  colors: { a: string; b: string };
  names: { a: string; b: string };
  selected: [number, number] | null;
  onSelect: (cell: [number, number]) => void;
}) {
  const max = Math.max(1, ...difference.flat().map(Math.abs));
  return (
    <table
      className="confusion difference"
      aria-label={`Difference: ${names.b}'s counts minus ${names.a}'s; rows are actual classes, columns predicted`}
    >
      <thead>
        <tr>
          <th scope="col">actual \ predicted</th>
          {classes.map((c) => (
            <th scope="col" key={c}>
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {difference.map((row, r) => (
          <tr key={classes[r]}>
            <th scope="row">{classes[r]}</th>
            {row.map((d, c) => {
              const isSelected = selected !== null && selected[0] === r && selected[1] === c;
              const tint = d > 0 ? colors.b : colors.a;
              const side = d > 0 ? `${names.b} has ${d} more` : d < 0 ? `${names.a} has ${-d} more` : "no difference";
              return (
                <td
                  key={classes[c]}
                  className={`${r === c ? "diag" : "off"}${d === 0 ? " zero" : ""}${isSelected ? " selected" : ""}`}
                  style={
                    { "--tint": tint, "--strength": `${Math.round((Math.abs(d) / max) * 60)}%` } as React.CSSProperties
                  }
                >
                  <button
                    type="button"
                    onClick={() => onSelect([r, c])}
                    aria-pressed={isSelected}
                    aria-label={`${signed(d)}: ${classes[r]} predicted as ${classes[c]}, ${side}`}
                  >
                    {signed(d)}
                  </button>
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
