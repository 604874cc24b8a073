/** One row per class: precision, recall and support, as fractions shown in percent. */
export function PerClassTable({
  rows,
}: {
  rows: readonly { name: string; precision: number; recall: number; support: number }[];
}) {
  return (
    <table className="per-class">
      <thead>
        <tr>
          <th>class</th>
          <th>precision</th>
          <th>recall</th>
          <th>support</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((c) => (
          <tr key={c.name}>
            <td>{c.name}</td>
            <td>{(c.precision * 100).toFixed(1)}%</td>
            <td>{(c.recall * 100).toFixed(1)}%</td>
            <td>{c.support}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
