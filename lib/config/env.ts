import { z } from "zod";

/**
 * The server's environment, validated once. `npm start` fills every variable (generating
 * secrets into the data folder on first run), so a missing one here is a deployment error.
 */
const envSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgresql:// URL"),
  NEXTAUTH_SECRET: z.string().min(32, "NEXTAUTH_SECRET must be at least 32 characters"),
  NEXTAUTH_URL: z.url().optional(),
  MEDSHARE_KEK: z
    .string()
    .refine((v) => Buffer.from(v, "base64").length === 32, "MEDSHARE_KEK must be 32 bytes, base64"),
});
export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

export function env(): Env {
  if (cached) return cached;
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`MedShare is not configured: ${problems}. Start it with \`npm start\`.`);
  }
  cached = parsed.data;
  return cached;
}

/**
 * The key-encryption key alone: what a process that unseals but serves no sessions needs (the
 * clustering worker, holding the key holder's CKKS key), without the authority's session secret.
 */
export function kek(): Buffer {
  const value = process.env.MEDSHARE_KEK ?? "";
  const key = Buffer.from(value, "base64");
  if (key.length !== 32) throw new Error("MedShare is not configured: MEDSHARE_KEK must be 32 bytes, base64. Start it with `npm start`.");
  return key;
}
