/**
 * A table's column headings in the portal's style: small grey capitals, a gap after every
 * column but the last. `dense`: the tighter rows of tables inside a card. `className` adds to
 * the head (e.g. `max-sm:sr-only` where rows stack as cards on a phone).
 */
export function TableHead({ columns, dense = false, className }: { columns: string[]; dense?: boolean; className?: string }) {
  return (
    <thead className={`text-xs uppercase text-slate-500${className ? ` ${className}` : ""}`}>
      <tr>
        {columns.map((c, i) => (
          <th key={c} className={`${dense ? "py-1" : "py-2"}${i < columns.length - 1 ? " pr-4" : ""}`}>
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}
