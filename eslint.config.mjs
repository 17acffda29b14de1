import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";
import prettier from "eslint-config-prettier/flat";

const pureLibraries = {
  // These libraries run unchanged in the browser and in Node: no app, framework or Node-only code.
  files: [
    "lib/abe/**/*.ts",
    "lib/csv/**/*.ts",
    "lib/hopcm/**/*.ts",
    "lib/records/**/*.ts",
    "lib/keystore/**/*.ts",
    "lib/uploads/protocol.ts",
    "lib/requests/protocol.ts",
  ],
  ignores: ["**/*.test.ts"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            group: ["node:*", "fs", "path", "crypto", "buffer", "worker_threads"],
            message: "lib/abe and lib/hopcm must stay isomorphic (no Node-only imports).",
          },
          {
            group: ["@/*", "next", "next/*", "react", "react-dom", "next-auth", "next-auth/*", "@prisma/*"],
            message: "lib/abe and lib/hopcm must not import the app or a framework.",
          },
        ],
      },
    ],
  },
};

const authorityModules = ["@/lib/authority", "@/lib/authority/*", "@/lib/portal", "@/lib/portal/*"];

const cspBoundary = {
  // The CSP is a separate party: it talks to the authority through its published interface only.
  files: ["lib/csp/**/*.ts"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [{ group: [...authorityModules, "../authority", "../authority/*"], message: "lib/csp must not import lib/authority internals." }],
      },
    ],
  },
};

const clusteringAuthorityFiles = ["portal", "runs", "start", "cancel", "manage"];

const clusteringCspBoundary = {
  // lib/clustering/csp is the CSP's side of clustering: no authority modules, not the portal's clustering files.
  files: ["lib/clustering/csp/**/*.ts"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            group: [...authorityModules, ...clusteringAuthorityFiles.flatMap((f) => [`@/lib/clustering/${f}`, `../${f}`])],
            message: "lib/clustering/csp is the CSP's: it must not import the authority's modules.",
          },
        ],
      },
    ],
  },
};

const clusteringAuthorityBoundary = {
  // The portal's clustering files reach the CSP's runs through its API (cspCall), never its tables or the worker's internals.
  files: clusteringAuthorityFiles.map((f) => `lib/clustering/${f}.ts`),
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            group: ["@/lib/csp", "@/lib/csp/*", "@/lib/clustering/*", "./*", ...clusteringAuthorityFiles.flatMap((f) => [`!@/lib/clustering/${f}`, `!./${f}`])],
            message: "The authority's clustering files use the CSP's API (cspCall), not lib/csp, lib/clustering/csp or the worker's modules.",
          },
        ],
      },
    ],
  },
};

const clusteringEntryPoint = {
  // Pages and server actions call clustering through one module.
  files: ["app/**/*.ts", "app/**/*.tsx", "lib/actions/**/*.ts"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [{ group: ["@/lib/clustering/*", "!@/lib/clustering/portal"], message: "Pages and actions import lib/clustering/portal only." }],
      },
    ],
  },
};

const config = [
  ...nextVitals,
  ...nextTs,
  { ignores: ["lib/generated/**", ".next/**", ".data/**", "node_modules/**", "test-results/**", "playwright-report/**", "next-env.d.ts"] },
  { rules: { "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }] } },
  // Playwright fixtures call `use`, which the React hooks rule mistakes for React's.
  { files: ["e2e/**/*.ts", "tests/**/*.ts"], rules: { "react-hooks/rules-of-hooks": "off" } },
  pureLibraries,
  cspBoundary,
  clusteringCspBoundary,
  clusteringAuthorityBoundary,
  clusteringEntryPoint,
  // Layout is Prettier's (npm run lint checks it): no ESLint rule may disagree with it.
  prettier,
];

export default config;
