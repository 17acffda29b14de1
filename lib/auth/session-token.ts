import { getServerSession } from "next-auth";
import { authOptions } from "./options";

/** `sid` names the server-side session row (portal.sessions) that must still be live. */
export type SessionClaims = { uid: string; sv: number; sid: string };

/** The signed-in identity as claimed by the session cookie (not yet checked against the database). */
export async function readSessionClaims(): Promise<SessionClaims | null> {
  const session = await getServerSession(authOptions);
  const user = session?.user as { id?: string; sv?: number; sid?: string } | undefined;
  if (!user?.id || typeof user.sv !== "number" || typeof user.sid !== "string") return null;
  return { uid: user.id, sv: user.sv, sid: user.sid };
}
