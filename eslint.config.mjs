// ESLint for the whole tree (`npm run lint`; scripts/test-all runs it before
// the test tiers). Layout is Prettier's job (`npm run format:check`):
// eslint-config-prettier, last, turns off every rule that would disagree.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import prettier from "eslint-config-prettier/flat";
import globals from "globals";
import tseslint from "typescript-eslint";
import dockyard from "./tools/eslint/index.js";

// A name starting with `_` is unused on purpose (`const { dropped: _dropped, ...rest } = x`).
const unused = {
  argsIgnorePattern: "^_",
  varsIgnorePattern: "^_",
  caughtErrorsIgnorePattern: "^_",
  destructuredArrayIgnorePattern: "^_",
  ignoreRestSiblings: true,
};

export default defineConfig(
  globalIgnores([
    "dist/",
    "**/node_modules/",
    ".testhost/",
    ".e2e-work/",
    ".sdk/",
    "bench/results/",
    "examples/*/bin/",
    "test/fixtures/",
  ]),
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },

  // JavaScript: scripts, tools, the test language host, bench, the executables.
  {
    files: ["**/*.{js,cjs,mjs}", "bin/pulumi-resource-dockyard", "bench/lib/noop-plugin/pulumi-resource-dybenchnoop"],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "commonjs",
      globals: { ...globals.node },
    },
    rules: {
      "no-unused-vars": ["error", unused],
    },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { sourceType: "module" },
  },

  // TypeScript, with type information from tsconfig.test.json (which covers
  // provider/, sdk/, test/, bench/ and the examples).
  {
    files: ["**/*.{ts,mts}"],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        project: ["./tsconfig.test.json"],
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", unused],
      // Async functions without an await are deliberate: Pulumi's interfaces
      // want promises, and a throw becomes a rejection.
      "@typescript-eslint/require-await": "off",
      // The plugin reads its own package.json; the dynamic providers' code
      // loads the package when it runs, not when it is serialized.
      "@typescript-eslint/no-require-imports": ["error", { allow: ["/package\\.json$", "^pulumi-dockyard(/|$)"] }],
    },
  },
  // Tests and benchmarks read untyped JSON (CLI output, engine messages,
  // exported state) and may say so with `any`; their dynamic providers'
  // closures, serialized and run by the engine, load modules with require();
  // they take methods off objects to wrap them and put them back.
  {
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/unbound-method": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    files: ["**/*.d.ts"],
    extends: [tseslint.configs.disableTypeChecked],
  },

  // The provider and the SDK run remote commands only as quoted argv arrays.
  {
    files: ["provider/**/*.ts", "sdk/**/*.ts"],
    ignores: ["**/*.d.ts"],
    plugins: { dockyard },
    rules: { "dockyard/remote-command": "error" },
  },

  prettier,
);
