import { parseFlags } from "../../../ops/lib/cli";

describe("parseFlags", () => {
  const spec = { volume: "repeat", image: "value", force: "bool" } as const;

  it("takes --flag value, --flag=value, repeats and booleans", () => {
    expect(parseFlags(["--volume", "a", "--volume=b", "--image", "-x", "--force"], spec)).toEqual({
      help: false,
      values: { volume: ["a", "b"], image: "-x", force: true },
      positionals: [],
    });
  });

  it("rejects what util.parseArgs alone would accept, with the messages the commands print", () => {
    expect(() => parseFlags(["--image", "a", "--image", "b"], spec)).toThrow("--image given twice");
    expect(() => parseFlags(["--image", "--force"], spec)).toThrow("--image needs a value");
    expect(() => parseFlags(["--image"], spec)).toThrow("--image needs a value");
    expect(() => parseFlags(["--image="], spec)).toThrow("--image needs a non-empty value");
    expect(() => parseFlags(["--force=yes"], spec)).toThrow("--force takes no value");
    expect(() => parseFlags(["--volme", "a"], spec)).toThrow(
      'unknown argument "--volme"; expected one of --volume, --image, --force',
    );
    for (const arg of ["-x", "--", "file", "-hx", "--help=1"]) {
      expect(() => parseFlags([arg], spec)).toThrow(`unknown argument "${arg}"`);
    }
  });

  it("stops at -h/--help, after the flags before it were checked", () => {
    expect(parseFlags(["-h", "--bogus"], spec).help).toBe(true);
    expect(parseFlags(["--help"], spec).help).toBe(true);
    expect(() => parseFlags(["--bogus", "--help"], spec)).toThrow('unknown argument "--bogus"');
  });

  it("accepts as many positionals as allowed", () => {
    expect(parseFlags(["f.yml", "--force"], spec, { positionals: 1 }).positionals).toEqual(["f.yml"]);
    expect(() => parseFlags(["f.yml", "g.yml"], spec, { positionals: 1 })).toThrow(
      'unknown argument "g.yml"',
    );
  });
});
