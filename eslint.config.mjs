// ESLint for MUG's own JavaScript (frontend/static/frontend/js): ES modules without a build step. Pages run in
// the browser, the game worker in a Web Worker, shared/ in both. Run by bin/lint-js (with tsc's type check).
import js from "@eslint/js";
import globals from "globals";

const JS = "frontend/static/frontend/js";

export default [
  { ignores: ["node_modules/**", "staticfiles/**", "var/**", ".venv/**"] },
  js.configs.recommended,
  {
    files: [`${JS}/**/*.js`],
    languageOptions: { ecmaVersion: 2022, sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-var": "error",
      "prefer-const": "error",
      "no-implicit-globals": "error",
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      "no-restricted-syntax": [
        "error",
        {
          // Message types come from shared/protocol/*.js (checked against the Python protocols), never literals.
          selector: "BinaryExpression[operator=/^[!=]==$/][left.property.name='type'][right.type='Literal']",
          message: "Dispatch on message types with a handler map (shared/dispatch.js) and shared/protocol/ names.",
        },
        {
          selector: "Property[key.name='type'] > Literal.value",
          message: "Name message types with shared/protocol/ constants, not string literals.",
        },
      ],
    },
  },
  {
    files: [`${JS}/page/**/*.js`],
    languageOptions: { globals: globals.browser },
    rules: { "no-restricted-imports": ["error", { patterns: ["**/worker/*"] }] },
  },
  {
    files: [`${JS}/worker/**/*.js`],
    languageOptions: { globals: globals.worker },
    rules: { "no-restricted-imports": ["error", { patterns: ["**/page/*"] }] },
  },
  {
    // Both: only what pages and workers share (no document, no window).
    files: [`${JS}/shared/**/*.js`],
    languageOptions: { globals: { ...globals["shared-node-browser"], location: "readonly", WebSocket: "readonly" } },
    rules: { "no-restricted-imports": ["error", { patterns: ["**/page/*", "**/worker/*"] }] },
  },
  // Render packets' objects have a `type` too: the kind of shape (mug/rendering.py), drawn by these two.
  { files: [`${JS}/page/renderer.js`, `${JS}/page/shapes.js`], rules: { "no-restricted-syntax": "off" } },
  // entry_links.js is a classic script (the admin's Media), not a module.
  { files: [`${JS}/page/entry_links.js`], languageOptions: { sourceType: "script" } },
];
