/** The stack config: schema (keys, defaults, types), parse (validation), load (from Pulumi). */
export * from "./schema";
export { ParseContext, parseConfig } from "./parse";
export { loadConfig } from "./load";
