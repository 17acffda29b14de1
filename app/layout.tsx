import type { Metadata } from "next";
import type { ReactNode } from "react";
import { KeyStoreNotice } from "@/components/auth/key-store-notice";
import { Nav } from "@/components/layout/nav";
import { Notices } from "@/components/ui/notices";
import { pageSessionUser } from "@/lib/auth/page-guard";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "MedShare", template: "%s · MedShare" },
  description: "Privacy-preserving sharing of medical records between hospitals and medical institutes.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const user = await pageSessionUser("null");
  return (
    <html lang="en">
      <body className="min-h-screen">
        <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2">
          Skip to content
        </a>
        <Nav user={user} />
        <KeyStoreNotice user={user} />
        <main id="main" className="mx-auto max-w-6xl px-4 py-6 sm:px-6 sm:py-8">
          {children}
        </main>
        <Notices />
      </body>
    </html>
  );
}
