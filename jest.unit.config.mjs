// The unit tier alone (jest.config.js's "unit" project), for StrykerJS (stryker.config.json): its
// jest runner takes one config, and mutants are judged by in-process tests only.
import { createRequire } from "node:module";

const { projects } = createRequire(import.meta.url)("./jest.config.js");

/** @type {import('jest').Config} */
export default { rootDir: import.meta.dirname, ...projects.find((p) => p.displayName === "unit") };
