// snappyjs (MIT) ships no types; the emitter uses its block-format functions only.
declare module "snappyjs" {
  export function compress(input: Uint8Array): Uint8Array;
  export function uncompress(input: Uint8Array): Uint8Array;
}
