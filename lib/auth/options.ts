import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { AppError } from "@/lib/errors";
import { clientAddress } from "@/lib/http/client-address";
import { authenticate } from "./login";
import { createSession, revokeSession, SESSION_LIMITS } from "./sessions";

/**
 * The JWT lives as long as the longest session may; whether it still counts (revoked, idle,
 * past its absolute lifetime) is decided by its row in portal.sessions on every request.
 */
export const SESSION_MAX_AGE_SECONDS = SESSION_LIMITS.absoluteMs / 1000;

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS, updateAge: 5 * 60 },
  jwt: { maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "MedShare account",
      credentials: { email: { label: "E-mail", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        const address = clientAddress((req?.headers ?? {}) as Record<string, string | undefined>);
        try {
          const user = await authenticate(credentials?.email ?? "", credentials?.password ?? "", address);
          const sid = await createSession(user.id, address);
          return { id: user.id, email: user.email, name: user.name, sv: user.sessionVersion, sid } as never;
        } catch (error) {
          // next-auth passes an Error's message to the sign-in form as `error`.
          if (error instanceof AppError) throw new Error(error.message);
          throw new Error("Sign-in is unavailable right now. Please try again.");
        }
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        const u = user as unknown as { sv: number; sid: string };
        token.uid = user.id;
        token.sv = u.sv;
        token.sid = u.sid;
      }
      return token;
    },
    async session({ session, token }) {
      session.user = { ...session.user, id: token.uid, sv: token.sv, sid: token.sid } as typeof session.user;
      return session;
    },
  },
  events: {
    // Sign-out ends the session server-side: a copy of the cookie is worthless afterwards.
    async signOut({ token }) {
      if (typeof token?.sid === "string") await revokeSession(token.sid);
    },
  },
};
