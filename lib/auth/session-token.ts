import { getServerSession } from "next-auth";
import { authOptions } from "./options";

export type SessionClaims = { uid: string; sv: number };

/** The signed-in identity as claimed by the session cookie (not yet checked against the database). */
export async function readSessionClaims(): Promise<SessionClaims | null> {
  const session = await getServerSession(authOptions);
  const user = session?.user as { id?: string; sv?: number } | undefined;
  if (!user?.id || typeof user.sv !== "number") return null;
  return { uid: user.id, sv: user.sv };
}
