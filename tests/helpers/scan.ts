import pg from "pg";

export type Hit = { table: string; column: string; needle: string };

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/**
 * Looks for secret byte strings (and text) in every table of every MedShare schema: raw in
 * bytea columns, as hex or base64 in text and JSON. Returns each place a needle was found.
 */
export const MEDSHARE_SCHEMAS = ["portal", "authority", "csp", "ledger", "public", "aa"];

export async function scanDatabase(
  url: string,
  needles: Array<{ name: string; bytes?: Uint8Array; text?: string }>,
  schemas: readonly string[] = MEDSHARE_SCHEMAS,
): Promise<Hit[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const hits: Hit[] = [];
  try {
    const tables = await client.query<{ table_schema: string; table_name: string }>(
      `SELECT table_schema, table_name FROM information_schema.tables
       WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE'`,
      [schemas],
    );
    for (const t of tables.rows) {
      const rows = await client.query(`SELECT * FROM "${t.table_schema}"."${t.table_name}"`);
      for (const row of rows.rows)
        for (const [column, value] of Object.entries(row)) {
          if (value === null || value === undefined) continue;
          const asBuffer = Buffer.isBuffer(value) ? value : null;
          const asText = asBuffer ? "" : typeof value === "string" ? value : JSON.stringify(value);
          for (const n of needles) {
            const found =
              (n.bytes && asBuffer && asBuffer.indexOf(Buffer.from(n.bytes)) >= 0) ||
              (n.bytes && !asBuffer && (asText.includes(hex(n.bytes)) || asText.includes(b64(n.bytes)))) ||
              (n.text && !asBuffer && asText.includes(n.text)) ||
              (n.text && asBuffer && asBuffer.indexOf(Buffer.from(n.text)) >= 0);
            if (found) hits.push({ table: `${t.table_schema}.${t.table_name}`, column, needle: n.name });
          }
        }
    }
  } finally {
    await client.end();
  }
  return hits;
}
