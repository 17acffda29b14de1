import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { AppError } from "@/lib/errors";
import { authenticate } from "./login";

/** Sessions are short: the cookie is a hint, the database decides on every request. */
export const SESSION_MAX_AGE_SECONDS = 30 * 60;

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS, updateAge: 5 * 60 },
  jwt: { maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "MedShare account",
      credentials: { email: { label: "E-mail", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        const headers = (req?.headers ?? {}) as Record<string, string | undefined>;
        const address = headers["x-forwarded-for"]?.split(",")[0]?.trim() || headers["x-real-ip"] || "local";
        try {
          const user = await authenticate(credentials?.email ?? "", credentials?.password ?? "", address);
          return { id: user.id, email: user.email, name: user.name, sv: user.sessionVersion } as never;
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
        token.uid = user.id;
        token.sv = (user as unknown as { sv: number }).sv;
      }
      return token;
    },
    async session({ session, token }) {
      session.user = { ...session.user, id: token.uid, sv: token.sv } as typeof session.user;
      return session;
    },
  },
};
