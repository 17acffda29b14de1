import "server-only";
import { AppError } from "@/lib/errors";

/**
 * A page's read from another party: its data, or — when that party is unreachable — the plain
 * message to show in its place ("The storage service (CSP) is unreachable…"), so the rest of the
 * page still renders and nothing turns into an error page. Other errors are thrown as before.
 */
export async function orOutage<T>(read: Promise<T>): Promise<{ data: T; outage: null } | { data: null; outage: string }> {
  try {
    return { data: await read, outage: null };
  } catch (error) {
    if (error instanceof AppError && error.code === "UNAVAILABLE") return { data: null, outage: error.message };
    throw error;
  }
}
